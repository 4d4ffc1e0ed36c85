// libFuzzer target: the meta command parser. The first input byte picks the verb so every input
// reaches ParseMeta (its precondition: the line starts with a meta verb).
#include <string>

#include "fuzz_common.h"
#include "proto/meta_codec.h"
#include "proto/text_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  static constexpr char kVerbs[] = {'g', 's', 'd', 'a', 'n', 'e'};
  std::string input = "m";
  input += kVerbs[data[0] % sizeof(kVerbs)];
  input.append(reinterpret_cast<const char*>(data) + 1, size - 1);
  corecached::fuzz::Drive(input, [](std::string_view v, const corecached::proto::ParserOptions& o,
                                    corecached::proto::Request* r) {
    // After the first request the rest may be anything: hand it to the text parser, which routes
    // meta lines back to ParseMeta, as a session does.
    if (v.size() >= 2 && v[0] == 'm') {
      return corecached::proto::ParseMeta(v, o, r);
    }
    return corecached::proto::ParseText(v, o, r);
  });
  return 0;
}
