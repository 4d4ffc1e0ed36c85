// Meta replies (protocol.txt "Meta Commands"), byte for byte as memcached 1.6.18 sends them.
// Returned flags follow the request's flag order; W/X/Z come last, in the order Z X W.
#include <string>
#include <string_view>
#include <variant>

#include "proto/meta_base64.h"
#include "proto/meta_codec.h"
#include "proto/replies.h"

namespace corecached::proto {

namespace {

// memcached's item header: sizeof(item) (48 on 64-bit) plus the 8-byte CAS. `me` reports the
// item's total size, which we rebuild from the key, value and flags (ITEM_ntotal).
constexpr std::size_t kItemHeaderBytes = 48 + 8;

// memcached prints a key base64 when the request's b says so, except mg on a hit and me, which
// follow the item's own flag (set by the ms ... b that stored it).
void AppendKey(const Request& req, bool base64, std::string* out) {
  const std::string_view key = req.commands.empty() ? std::string_view() : req.commands[0].key;
  if (base64) {
    meta_base64::Encode(key, out);
  } else {
    out->append(key);
  }
}

// " k<key>" (" b" after a base64 key) and " O<opaque>": what every verb returns.
bool AppendCommonFlag(char flag, const Request& req, const MetaContext& ctx, std::string* out,
                      bool base64_key) {
  if (flag == 'O') {
    out->append(" O").append(ctx.opaque);
    return true;
  }
  if (flag == 'k') {
    out->append(" k");
    AppendKey(req, base64_key, out);
    if (base64_key) {
      out->append(" b");
    }
    return true;
  }
  return false;
}

bool AppendCommonFlag(char flag, const Request& req, const MetaContext& ctx, std::string* out) {
  return AppendCommonFlag(flag, req, ctx, out, ctx.base64_key);
}

void AppendCommonFlags(const Request& req, const MetaContext& ctx, std::string* out) {
  for (const char flag : ctx.return_flags) {
    AppendCommonFlag(flag, req, ctx, out);
  }
}

// "t": remaining TTL in seconds, -1 for an item that never expires.
void AppendTtl(const core::Result& r, std::string* out) {
  out->append(" t").append(std::to_string(r.ttl_seconds < 0 ? -1 : r.ttl_seconds));
}

bool Wants(const MetaContext& ctx, char flag) {
  return ctx.return_flags.find(flag) != std::string::npos;
}

// Replies that do not depend on the verb's return codes. Returns false for the others.
bool AppendServerError(const MetaContext& ctx, core::Outcome outcome, uint32_t retry_after_ms,
                       std::string* out) {
  switch (outcome) {
    case core::Outcome::kBusy:
      out->append(replies::kTextBusyPrefix)
          .append(std::to_string(retry_after_ms))
          .append(replies::kTextBusySuffix);
      return true;
    case core::Outcome::kTooLarge:
      out->append(replies::kTextObjectTooLarge);
      return true;
    case core::Outcome::kColdLoading:
      out->append(replies::kTextColdLoading);
      return true;
    case core::Outcome::kUpstreamError:
      out->append(replies::kTextBackendFailure);
      return true;
    case core::Outcome::kNoMemory:
      out->append(ctx.verb == 's' ? replies::kTextOutOfMemoryStoring
                                  : replies::kTextOutOfMemoryArith);
      return true;
    case core::Outcome::kNonNumeric:
      out->append(replies::kTextNonNumeric);
      return true;
    default:
      return false;
  }
}

// EX / NF / NS: how ms and ma report a write that did not happen.
std::string_view FailureCode(core::Outcome outcome) {
  switch (outcome) {
    case core::Outcome::kExists:
      return replies::kMetaExists;
    case core::Outcome::kNotFound:
      return replies::kMetaNotFound;
    default:
      return replies::kMetaNotStored;
  }
}

void EncodeGetHit(const Request& req, const MetaContext& ctx, const core::Result& r,
                  std::string* out) {
  const bool value = Wants(ctx, 'v');
  if (value) {
    out->append(replies::kMetaValue).append(std::to_string(r.value.size()));
  } else {
    out->append(replies::kMetaHeader);
  }
  for (const char flag : ctx.return_flags) {
    switch (flag) {
      case 's':
        out->append(" s").append(std::to_string(r.value.size()));
        break;
      case 't':
        AppendTtl(r, out);
        break;
      case 'c':
        out->append(" c").append(std::to_string(r.cas));
        break;
      case 'f':
        out->append(" f").append(std::to_string(r.flags));
        break;
      case 'l':
        out->append(" l").append(std::to_string(r.last_access_seconds));
        break;
      case 'h':
        out->append(r.hit_before ? " h1" : " h0");
        break;
      default:
        AppendCommonFlag(flag, req, ctx, out, r.key_binary);
        break;
    }
  }
  if (r.already_won) {
    out->append(" Z");
  }
  if (r.stale) {
    out->append(" X");
  }
  if (r.win) {
    out->append(" W");
  }
  out->append(replies::kMetaEol);
  if (value) {
    out->append(r.value).append(replies::kMetaEol);
  }
}

void EncodeGet(const Request& req, const MetaContext& ctx, const core::Result& r,
               std::string* out) {
  if (r.outcome == core::Outcome::kHit) {
    return EncodeGetHit(req, ctx, r, out);
  }
  if (ctx.quiet) {
    return;  // q hides EN only; a hit's HD is still sent
  }
  out->append(replies::kMetaMiss);
  AppendCommonFlags(req, ctx, out);
  out->append(replies::kMetaEol);
}

void EncodeSet(const Request& req, const MetaContext& ctx, const core::Result& r,
               std::string* out) {
  const bool stored = r.outcome == core::Outcome::kStored;
  if (stored && ctx.quiet) {
    return;  // q hides HD only
  }
  out->append(stored ? replies::kMetaHeader : FailureCode(r.outcome));
  for (const char flag : ctx.return_flags) {
    if (flag == 'c') {
      // The new CAS once stored; 1.6.18 sends c0 with NS/EX/NF.
      out->append(" c").append(std::to_string(stored ? r.cas : 0));
    } else {
      AppendCommonFlag(flag, req, ctx, out);
    }
  }
  out->append(replies::kMetaEol);
}

void EncodeDelete(const Request& req, const MetaContext& ctx, const core::Result& r,
                  std::string* out) {
  switch (r.outcome) {
    case core::Outcome::kNotFound:
      out->append(replies::kMetaNotFound);
      break;
    case core::Outcome::kExists:
      out->append(replies::kMetaExists);
      break;
    default:
      if (ctx.quiet) {
        return;  // q hides HD only; NF and EX are still sent
      }
      out->append(replies::kMetaHeader);
      break;
  }
  AppendCommonFlags(req, ctx, out);
  out->append(replies::kMetaEol);
}

void EncodeArithOk(const Request& req, const MetaContext& ctx, const core::Result& r,
                   std::string* out) {
  // q hides the reply of an incr/decr on an existing item; 1.6.18 still answers the one that
  // created the item with N (reported by the store as a win).
  if (ctx.quiet && !r.win) {
    return;
  }
  const std::string number = std::to_string(r.number);
  const bool value = Wants(ctx, 'v');
  if (value) {
    out->append(replies::kMetaValue).append(std::to_string(number.size()));
  } else {
    out->append(replies::kMetaHeader);
  }
  for (const char flag : ctx.return_flags) {
    if (flag == 'c') {
      out->append(" c").append(std::to_string(r.cas));
    } else if (flag == 't') {
      AppendTtl(r, out);
    } else {
      AppendCommonFlag(flag, req, ctx, out);
    }
  }
  out->append(replies::kMetaEol);
  if (value) {
    out->append(number).append(replies::kMetaEol);
  }
}

void EncodeArith(const Request& req, const MetaContext& ctx, const core::Result& r,
                 std::string* out) {
  if (r.outcome == core::Outcome::kArithOk) {
    return EncodeArithOk(req, ctx, r, out);
  }
  out->append(FailureCode(r.outcome));
  AppendCommonFlags(req, ctx, out);
  out->append(replies::kMetaEol);
}

// "ME <key> exp=.. la=.. cas=.. fetch=yes|no cls=.. size=..": exp is minus the remaining TTL
// (memcached prints current_time - exptime), -1 when the item never expires. cls is always 1
// (we have no slab classes); size rebuilds memcached's ITEM_ntotal.
void EncodeDebug(const Request& req, const core::Result& r, std::string* out) {
  if (r.outcome != core::Outcome::kHit) {
    out->append(replies::kMetaMiss).append(replies::kMetaEol);
    return;
  }
  const std::size_t key_size = req.commands.empty() ? 0 : req.commands[0].key.size();
  const std::size_t size =
      kItemHeaderBytes + key_size + 1 + r.value.size() + 2 + (r.flags != 0 ? 4 : 0);
  out->append(replies::kMetaDebug);
  AppendKey(req, r.key_binary, out);
  out->append(" exp=").append(std::to_string(r.ttl_seconds < 0 ? -1 : -r.ttl_seconds));
  out->append(" la=").append(std::to_string(r.last_access_seconds));
  out->append(" cas=").append(std::to_string(r.cas));
  out->append(r.hit_before ? " fetch=yes" : " fetch=no");
  out->append(" cls=1 size=").append(std::to_string(size)).append(replies::kMetaEol);
}

}  // namespace

void EncodeMetaResults(const Request& req, std::span<const core::Result> results,
                       std::string* out) {
  const auto* ctx = std::get_if<MetaContext>(&req.context);
  if (ctx == nullptr || results.empty()) {
    return;
  }
  const core::Result& r = results.front();
  if (AppendServerError(*ctx, r.outcome, r.retry_after_ms, out)) {
    return;
  }
  switch (ctx->verb) {
    case 'g':
      return EncodeGet(req, *ctx, r, out);
    case 's':
      return EncodeSet(req, *ctx, r, out);
    case 'd':
      return EncodeDelete(req, *ctx, r, out);
    case 'a':
      return EncodeArith(req, *ctx, r, out);
    case 'e':
      return EncodeDebug(req, r, out);
    default:
      return;
  }
}

// Not reachable from meta requests (no meta verb asks for them); the text forms keep them sane.
void EncodeMetaStats(const Request& /*req*/, const core::StatList& stats, std::string* out) {
  for (const auto& [name, value] : stats) {
    out->append(replies::kTextStatPrefix).append(name).append(" ").append(value);
    out->append(replies::kMetaEol);
  }
  out->append(replies::kTextEnd);
}

void EncodeMetaVersion(const Request& /*req*/, std::string_view version, std::string* out) {
  out->append(replies::kTextVersionPrefix).append(version).append(replies::kMetaEol);
}

// mn (the only meta request of kind kNoop).
void EncodeMetaOk(const Request& /*req*/, std::string* out) { out->append(replies::kMetaNoop); }

void EncodeMetaShutdownDisabled(const Request& /*req*/, std::string* out) {
  out->append(replies::kTextShutdownDisabled);
}

void EncodeMetaServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                           std::string* out) {
  static const MetaContext kNoContext;
  const auto* ctx = std::get_if<MetaContext>(&req.context);
  if (!AppendServerError(ctx != nullptr ? *ctx : kNoContext, outcome, retry_after_ms, out)) {
    out->append(replies::kTextOutOfMemoryArith);
  }
}

}  // namespace corecached::proto
