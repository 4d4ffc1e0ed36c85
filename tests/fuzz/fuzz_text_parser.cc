// libFuzzer target: the classic text protocol parser (and the meta lines it hands on).
#include "fuzz_common.h"
#include "proto/text_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  corecached::fuzz::Drive(
      in, [](std::string_view v, const corecached::proto::ParserOptions& o,
             corecached::proto::Request* r) { return corecached::proto::ParseText(v, o, r); });
  return 0;
}
