// Binary response encoder: Result -> the exact packets memcached 1.6.18 sends (checked against
// Debian's /usr/bin/memcached). Quiet opcodes send nothing on success (and GetQ/GATQ nothing on a
// miss); errors are always sent.
#include <string>
#include <string_view>
#include <variant>

#include "proto/binary_codec.h"
#include "proto/binary_header.h"

namespace corecached::proto {

namespace {

using binary::Opcode;
using binary::Response;
using binary::Status;
using core::Outcome;

// Every binary Request carries a BinaryContext; anything else gets a default one (opaque 0).
BinaryContext ContextOf(const Request& req) {
  const auto* ctx = std::get_if<BinaryContext>(&req.context);
  return ctx != nullptr ? *ctx : BinaryContext{};
}

void AppendEmpty(const BinaryContext& ctx, uint64_t cas, std::string* out) {
  Response r;
  r.opcode = ctx.opcode;
  r.opaque = ctx.opaque;
  r.cas = cas;
  binary::AppendResponse(r, out);
}

void AppendBusy(const BinaryContext& ctx, uint32_t retry_after_ms, std::string* out) {
  std::string text(replies::kBinaryBusyPrefix);
  text += std::to_string(retry_after_ms);
  text += replies::kBinaryBusySuffix;
  Response r;
  r.opcode = ctx.opcode;
  r.status = Status::kTemporaryFailure;
  r.opaque = ctx.opaque;
  r.value = text;
  binary::AppendResponse(r, out);
}

// Add on a present key answers "exists", Replace on a missing one "not found", Append/Prepend
// "not stored" (memcached process_bin_update / process_bin_append_prepend).
Status NotStoredStatus(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kAdd:
    case Opcode::kAddQ:
      return Status::kKeyExists;
    case Opcode::kReplace:
    case Opcode::kReplaceQ:
      return Status::kKeyNotFound;
    default:
      return Status::kItemNotStored;
  }
}

// Get/GetK/GAT/GATK hit: extras = 4-byte flags, key only for the K variants. Touch: flags only.
void AppendHit(const BinaryContext& ctx, const core::Command& cmd, const core::Result& result,
               bool with_value, std::string* out) {
  std::string flags;
  binary::AppendBe(result.flags, 4, &flags);
  Response r;
  r.opcode = ctx.opcode;
  r.opaque = ctx.opaque;
  r.cas = result.cas;
  r.extras = flags;
  if (ctx.return_key) {
    r.key = cmd.key;
  }
  if (with_value) {
    r.value = result.value;
  }
  binary::AppendResponse(r, out);
}

// GetQ/GATQ: nothing. GetK/GATK: status 0x0001 with the key and no text. Others: "Not found".
void AppendMiss(const BinaryContext& ctx, const core::Command& cmd, std::string* out) {
  if (ctx.quiet) {
    return;
  }
  if (!ctx.return_key) {
    binary::AppendError(ctx.opcode, ctx.opaque, Status::kKeyNotFound, out);
    return;
  }
  Response r;
  r.opcode = ctx.opcode;
  r.status = Status::kKeyNotFound;
  r.opaque = ctx.opaque;
  r.key = cmd.key;
  binary::AppendResponse(r, out);
}

void AppendArith(const BinaryContext& ctx, const core::Result& result, std::string* out) {
  if (ctx.quiet) {
    return;
  }
  std::string number;
  binary::AppendBe(result.number, 8, &number);
  Response r;
  r.opcode = ctx.opcode;
  r.opaque = ctx.opaque;
  r.cas = result.cas;
  r.value = number;
  binary::AppendResponse(r, out);
}

Status ErrorStatus(uint8_t opcode, Outcome outcome) {
  switch (outcome) {
    case Outcome::kNotStored:
      return NotStoredStatus(opcode);
    case Outcome::kExists:
      return Status::kKeyExists;
    case Outcome::kNonNumeric:
      return Status::kNonNumeric;
    case Outcome::kTooLarge:
      return Status::kValueTooLarge;
    case Outcome::kNoMemory:
      return Status::kOutOfMemory;
    case Outcome::kUpstreamError:
      return Status::kTemporaryFailure;
    default:
      return Status::kKeyNotFound;
  }
}

void AppendOne(const BinaryContext& ctx, const core::Command& cmd, const core::Result& result,
               std::string* out) {
  switch (result.outcome) {
    case Outcome::kHit:
      AppendHit(ctx, cmd, result, /*with_value=*/true, out);
      return;
    case Outcome::kTouched:
      AppendHit(ctx, cmd, result, /*with_value=*/false, out);
      return;
    case Outcome::kMiss:
      AppendMiss(ctx, cmd, out);
      return;
    case Outcome::kArithOk:
      AppendArith(ctx, result, out);
      return;
    case Outcome::kStored:
    case Outcome::kDeleted:  // memcached answers a delete with CAS 0
    case Outcome::kOk:
      if (!ctx.quiet) {
        AppendEmpty(ctx, result.outcome == Outcome::kStored ? result.cas : 0, out);
      }
      return;
    case Outcome::kBusy:
      AppendBusy(ctx, result.retry_after_ms, out);
      return;
    case Outcome::kColdLoading: {
      Response r;
      r.opcode = ctx.opcode;
      r.status = Status::kTemporaryFailure;
      r.opaque = ctx.opaque;
      r.value = replies::kBinaryColdLoading;
      binary::AppendResponse(r, out);
      return;
    }
    default:
      binary::AppendError(ctx.opcode, ctx.opaque, ErrorStatus(ctx.opcode, result.outcome), out);
      return;
  }
}

// Flush: one result per shard. The first failure answers for all; otherwise OK (FlushQ: nothing).
void AppendFlush(const BinaryContext& ctx, std::span<const core::Result> results,
                 std::string* out) {
  for (const core::Result& result : results) {
    if (result.outcome != Outcome::kOk) {
      AppendOne(ctx, core::Command{}, result, out);
      return;
    }
  }
  if (!ctx.quiet) {
    AppendEmpty(ctx, 0, out);
  }
}

}  // namespace

void EncodeBinaryResults(const Request& req, std::span<const core::Result> results,
                         std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  if (ctx.too_large) {
    // The Set's delete ran; whatever it found, the client hears "Too large." (even SetQ).
    binary::AppendError(ctx.opcode, ctx.opaque, Status::kValueTooLarge, out);
    return;
  }
  if (req.kind == RequestKind::kFlushAll) {
    AppendFlush(ctx, results, out);
    return;
  }
  // A binary packet carries one key, so one command and one result.
  if (req.commands.empty() || results.empty()) {
    return;
  }
  AppendOne(ctx, req.commands.front(), results.front(), out);
}

// One response per stat (key = name, value = value), then an empty one that ends the list.
void EncodeBinaryStats(const Request& req, const core::StatList& stats, std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  for (const auto& [name, value] : stats) {
    Response r;
    r.opcode = ctx.opcode;
    r.opaque = ctx.opaque;
    r.key = name;
    r.value = value;
    binary::AppendResponse(r, out);
  }
  AppendEmpty(ctx, 0, out);
}

void EncodeBinaryVersion(const Request& req, std::string_view version, std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  Response r;
  r.opcode = ctx.opcode;
  r.opaque = ctx.opaque;
  r.value = version;
  binary::AppendResponse(r, out);
}

// Noop and Quit answer an empty success; QuitQ closes without a word.
void EncodeBinaryOk(const Request& req, std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  if (!ctx.quiet) {
    AppendEmpty(ctx, 0, out);
  }
}

// The binary protocol has no shutdown opcode; should a request get here, it is unknown.
void EncodeBinaryShutdownDisabled(const Request& req, std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  binary::AppendError(ctx.opcode, ctx.opaque, Status::kUnknownCommand, out);
}

void EncodeBinaryServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                             std::string* out) {
  const BinaryContext ctx = ContextOf(req);
  if (outcome == Outcome::kBusy) {
    AppendBusy(ctx, retry_after_ms, out);
    return;
  }
  const Status status =
      outcome == Outcome::kTooLarge ? Status::kValueTooLarge : Status::kOutOfMemory;
  binary::AppendError(ctx.opcode, ctx.opaque, status, out);
}

// memcached answers a Stat request for an unknown group with "Not found" (status 0x0001).
void EncodeBinaryStatsUnknown(const Request& req, std::string* out) {
  BinaryContext ctx = ContextOf(req);
  Response r;
  r.opcode = ctx.opcode;
  r.status = Status::kKeyNotFound;
  r.opaque = ctx.opaque;
  r.value = binary::StatusText(Status::kKeyNotFound);
  binary::AppendResponse(r, out);
}

}  // namespace corecached::proto
