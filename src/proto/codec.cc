#include "proto/codec.h"

#include "proto/binary_codec.h"
#include "proto/binary_header.h"
#include "proto/meta_codec.h"
#include "proto/text_codec.h"

namespace corecached::proto {

namespace {
// memcached.c try_read_command_negotiate: the binary request magic.
constexpr unsigned char kBinaryRequestMagic = 0x80;

// Calls the text, binary or meta flavour of an encoder according to the request's context.
template <typename TextFn, typename BinaryFn, typename MetaFn>
void Dispatch(const Request& req, TextFn text, BinaryFn binary, MetaFn meta) {
  switch (req.context.index()) {
    case 0:
      text();
      break;
    case 1:
      binary();
      break;
    default:
      meta();
      break;
  }
}
}  // namespace

Codec::Protocol Codec::Detect(std::string_view in) {
  if (protocol_ == Protocol::kUnknown && !in.empty()) {
    protocol_ = static_cast<Protocol>(options_.binding);
    if (protocol_ == Protocol::kUnknown) {
      protocol_ = static_cast<unsigned char>(in.front()) == kBinaryRequestMagic ? Protocol::kBinary
                                                                                : Protocol::kText;
    }
  }
  return protocol_;
}

// memcached -F (proto_text.c process_flush_all_command, proto_bin.c process_bin_flush).
void Codec::RefuseFlushAll(Request* req) {
  req->kind = RequestKind::kError;
  req->commands.clear();
  if (const auto* binary = std::get_if<BinaryContext>(&req->context)) {
    req->reply.clear();
    binary::AppendError(binary->opcode, binary->opaque, binary::Status::kAuthError, &req->reply);
  } else if (const auto* text = std::get_if<TextContext>(&req->context)) {
    req->reply = text->noreply ? "" : std::string(replies::kTextFlushAllDisabled);
  }
}

ParseResult Codec::Parse(std::string_view in, Request* out) {
  if (Detect(in) == Protocol::kUnknown) {
    return {};
  }
  const ParseResult r = protocol_ == Protocol::kBinary ? ParseBinary(in, options_, out)
                                                       : ParseText(in, options_, out);
  if (r.status == ParseStatus::kOk && out->kind == RequestKind::kFlushAll &&
      !options_.flush_enabled) {
    RefuseFlushAll(out);
  }
  return r;
}

void Codec::EncodeResults(const Request& req, std::span<const core::Result> results,
                          std::string* out) {
  Dispatch(
      req, [&] { EncodeTextResults(req, results, out); },
      [&] { EncodeBinaryResults(req, results, out); },
      [&] { EncodeMetaResults(req, results, out); });
}

void Codec::EncodeStats(const Request& req, const core::StatList& stats, std::string* out) {
  Dispatch(
      req, [&] { EncodeTextStats(req, stats, out); }, [&] { EncodeBinaryStats(req, stats, out); },
      [&] { EncodeMetaStats(req, stats, out); });
}

void Codec::EncodeStatsUnknown(const Request& req, std::string* out) {
  Dispatch(
      req, [&] { EncodeTextStatsUnknown(req, out); }, [&] { EncodeBinaryStatsUnknown(req, out); },
      [&] { EncodeTextStatsUnknown(req, out); });
}

void Codec::EncodeVersion(const Request& req, std::string_view version, std::string* out) {
  Dispatch(
      req, [&] { EncodeTextVersion(req, version, out); },
      [&] { EncodeBinaryVersion(req, version, out); },
      [&] { EncodeMetaVersion(req, version, out); });
}

void Codec::EncodeOk(const Request& req, std::string* out) {
  Dispatch(
      req, [&] { EncodeTextOk(req, out); }, [&] { EncodeBinaryOk(req, out); },
      [&] { EncodeMetaOk(req, out); });
}

void Codec::EncodeShutdownDisabled(const Request& req, std::string* out) {
  Dispatch(
      req, [&] { EncodeTextShutdownDisabled(req, out); },
      [&] { EncodeBinaryShutdownDisabled(req, out); },
      [&] { EncodeMetaShutdownDisabled(req, out); });
}

void Codec::EncodeServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                              std::string* out) {
  Dispatch(
      req, [&] { EncodeTextServerError(req, outcome, retry_after_ms, out); },
      [&] { EncodeBinaryServerError(req, outcome, retry_after_ms, out); },
      [&] { EncodeMetaServerError(req, outcome, retry_after_ms, out); });
}

}  // namespace corecached::proto
