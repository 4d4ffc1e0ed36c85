// Classic text protocol replies, byte for byte as memcached 1.6.18 sends them.
//
// noreply: memcached's out_string() drops whatever it would have sent once the line carried
// noreply, errors included (SERVER_ERROR too). We do the same for our kBusy: a noreply client reads
// no replies, so any line we sent would be taken as the answer to a later request.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.h"
#include "core/stat_list.h"
#include "proto/replies.h"
#include "proto/request.h"
#include "proto/text_codec.h"

namespace corecached::proto {
namespace {

using core::Outcome;
using Verb = TextContext::Verb;

TextContext ContextOf(const Request& req) {
  const auto* ctx = std::get_if<TextContext>(&req.context);
  return ctx != nullptr ? *ctx : TextContext{};
}

template <typename Number>
void AppendNumber(Number n, std::string* out) {
  char buf[24];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), n);
  out->append(buf, r.ptr);
}

bool IsRetrieval(Verb verb) {
  return verb == Verb::kGet || verb == Verb::kGets || verb == Verb::kGat || verb == Verb::kGats;
}

void AppendBusy(uint32_t retry_after_ms, std::string* out) {
  out->append(replies::kTextBusyPrefix);
  AppendNumber(retry_after_ms, out);
  out->append(replies::kTextBusySuffix);
}

// memcached words "out of memory" differently for each kind of command.
std::string_view OutOfMemoryFor(Verb verb) {
  if (IsRetrieval(verb)) {
    return replies::kTextOutOfMemoryGet;
  }
  if (verb == Verb::kIncr || verb == Verb::kDecr) {
    return replies::kTextOutOfMemoryArith;
  }
  return replies::kTextOutOfMemoryStoring;
}

// The reply line for one outcome of a single-key command. kArithOk and kBusy carry numbers and are
// written by the caller.
std::string_view FixedReply(Outcome outcome, Verb verb) {
  switch (outcome) {
    case Outcome::kStored:
      return replies::kTextStored;
    case Outcome::kNotStored:
      return replies::kTextNotStored;
    case Outcome::kExists:
      return replies::kTextExists;
    case Outcome::kNotFound:
    case Outcome::kMiss:
      return replies::kTextNotFound;
    case Outcome::kDeleted:
      return replies::kTextDeleted;
    case Outcome::kTouched:
    case Outcome::kHit:  // a touch that found its item
      return replies::kTextTouched;
    case Outcome::kNonNumeric:
      return replies::kTextNonNumeric;
    case Outcome::kTooLarge:
      return replies::kTextObjectTooLarge;
    case Outcome::kNoMemory:
      return OutOfMemoryFor(verb);
    case Outcome::kOk:
      return replies::kTextOk;
    case Outcome::kColdLoading:
      return replies::kTextColdLoading;
    case Outcome::kUpstreamError:
      return replies::kTextBackendFailure;
    case Outcome::kArithOk:
    case Outcome::kBusy:
      break;
  }
  return {};
}

void AppendOutcome(const core::Result& result, Verb verb, std::string* out) {
  if (result.outcome == Outcome::kArithOk) {
    AppendNumber(result.number, out);
    out->append(replies::kTextCrlf);
  } else if (result.outcome == Outcome::kBusy) {
    AppendBusy(result.retry_after_ms, out);
  } else {
    out->append(FixedReply(result.outcome, verb));
  }
}

// VALUE <key> <flags> <bytes>[ <cas unique>]\r\n<data block>\r\n
void AppendValue(std::string_view key, const core::Result& result, bool with_cas,
                 std::string* out) {
  out->append(replies::kTextValuePrefix);
  out->append(key);
  out->push_back(' ');
  AppendNumber(result.flags, out);
  out->push_back(' ');
  AppendNumber(result.value.size(), out);
  if (with_cas) {
    out->push_back(' ');
    AppendNumber(result.cas, out);
  }
  out->append(replies::kTextCrlf);
  out->append(result.value);
  out->append(replies::kTextCrlf);
}

// get/gets/gat/gats: the hits in key order, then END. A key shed as kBusy (or out of memory) turns
// the whole reply into that one SERVER_ERROR line, as memcached does when a multi-get fails midway.
void AppendRetrieval(const Request& req, std::span<const core::Result> results, Verb verb,
                     std::string* out) {
  for (const core::Result& result : results) {
    if (result.outcome == Outcome::kBusy) {
      AppendBusy(result.retry_after_ms, out);
      return;
    }
    if (result.outcome == Outcome::kNoMemory) {
      out->append(OutOfMemoryFor(verb));
      return;
    }
    if (result.outcome == Outcome::kColdLoading) {
      out->append(replies::kTextColdLoading);
      return;
    }
    if (result.outcome == Outcome::kUpstreamError) {
      out->append(replies::kTextBackendFailure);
      return;
    }
  }
  const bool with_cas = verb == Verb::kGets || verb == Verb::kGats;
  const std::size_t n = std::min(results.size(), req.commands.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (results[i].outcome == Outcome::kHit) {
      AppendValue(req.commands[i].key, results[i], with_cas, out);
    }
  }
  if (!ContextOf(req).more_follows) {
    out->append(replies::kTextEnd);
  }
}

// flush_all: one Result per shard; OK unless a shard was too busy to take it.
void AppendFlushAll(std::span<const core::Result> results, std::string* out) {
  for (const core::Result& result : results) {
    if (result.outcome == Outcome::kBusy) {
      AppendBusy(result.retry_after_ms, out);
      return;
    }
    if (result.outcome == Outcome::kUpstreamError) {
      out->append(replies::kTextBackendFailure);
      return;
    }
  }
  out->append(replies::kTextOk);
}

}  // namespace

void EncodeTextResults(const Request& req, std::span<const core::Result> results,
                       std::string* out) {
  const TextContext ctx = ContextOf(req);
  if (ctx.noreply) {
    return;
  }
  if (ctx.too_large) {
    out->append(replies::kTextObjectTooLarge);
  } else if (req.kind == RequestKind::kFlushAll) {
    AppendFlushAll(results, out);
  } else if (IsRetrieval(ctx.verb)) {
    AppendRetrieval(req, results, ctx.verb, out);
  } else if (!results.empty()) {
    AppendOutcome(results.front(), ctx.verb, out);
  }
}

void EncodeTextStats(const Request& req, const core::StatList& stats, std::string* out) {
  // proto_text.c process_stat: `stats reset` answers RESET, `stats detail on|off` OK, and
  // `stats detail dump` its "PREFIX <prefix> get .. hit .. set .. del .." lines then END.
  if (req.arg == "reset") {
    out->append(replies::kTextReset);
    return;
  }
  if (req.arg == "detail on" || req.arg == "detail off") {
    out->append(replies::kTextOk);
    return;
  }
  const std::string_view prefix =
      req.arg == "detail dump" ? replies::kTextPrefixPrefix : replies::kTextStatPrefix;
  for (const auto& [name, value] : stats) {
    out->append(prefix);
    out->append(name);
    out->push_back(' ');
    out->append(value);
    out->append(replies::kTextCrlf);
  }
  out->append(replies::kTextEnd);
}

void EncodeTextVersion(const Request&, std::string_view version, std::string* out) {
  out->append(replies::kTextVersionPrefix);
  out->append(version);
  out->append(replies::kTextCrlf);
}

void EncodeTextOk(const Request& req, std::string* out) {
  if (!ContextOf(req).noreply) {
    out->append(replies::kTextOk);
  }
}

void EncodeTextShutdownDisabled(const Request&, std::string* out) {
  out->append(replies::kTextShutdownDisabled);
}

void EncodeTextServerError(const Request& req, Outcome outcome, uint32_t retry_after_ms,
                           std::string* out) {
  const TextContext ctx = ContextOf(req);
  if (ctx.noreply) {
    return;
  }
  if (ctx.too_large) {
    out->append(replies::kTextObjectTooLarge);
  } else if (outcome == Outcome::kBusy) {
    AppendBusy(retry_after_ms, out);
  } else {
    out->append(outcome == Outcome::kTooLarge ? replies::kTextObjectTooLarge
                                              : OutOfMemoryFor(ctx.verb));
  }
}

// memcached answers `stats <unknown group>` with a bare ERROR (proto_text.c process_stat).
void EncodeTextStatsUnknown(const Request& /*req*/, std::string* out) {
  out->append(replies::kTextError);
}

}  // namespace corecached::proto
