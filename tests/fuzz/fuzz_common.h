#pragma once

// Shared driver for the parser fuzz targets: feeds the input to a parser the way a session does
// (parse, consume, honour swallow, stop on close) and checks the invariants every parser must keep
// (twitter/pelikan's fuzz target does the same): not crashing is not enough.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/key_hash.h"
#include "core/protocol_limits.h"
#include "core/result.h"
#include "proto/codec.h"
#include "proto/request.h"

namespace corecached::fuzz {

inline constexpr std::size_t kMaxItemSize = 4096;

inline void Check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

inline bool IsStorage(core::Op op) {
  return op == core::Op::kSet || op == core::Op::kAdd || op == core::Op::kReplace ||
         op == core::Op::kAppend || op == core::Op::kPrepend || op == core::Op::kCas;
}

inline void CheckRequest(const proto::Request& req) {
  if (req.kind != proto::RequestKind::kKeyed) {
    return;
  }
  Check(!req.commands.empty());  // a get has at least one key
  for (const core::Command& cmd : req.commands) {
    Check(!cmd.key.empty() && cmd.key.size() <= core::kMaxKeyLength);
    Check(cmd.hash == core::KeyHash::Of(cmd.key));
    if (IsStorage(cmd.op)) {
      Check(cmd.value.size() <= kMaxItemSize);
    }
  }
}

// Encodes a made-up reply for every request: the encoders must cope with every outcome.
inline void EncodeSomething(proto::Codec& codec, const proto::Request& req, uint8_t salt) {
  std::string out;
  std::vector<core::Result> results(req.commands.empty() ? 1 : req.commands.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    core::Result& r = results[i];
    // every Outcome (kColdLoading is the last one), and every meta reply flag's branch
    const unsigned v = salt + static_cast<unsigned>(i);
    r.outcome =
        static_cast<core::Outcome>(v % (static_cast<unsigned>(core::Outcome::kColdLoading) + 1));
    r.value = (v & 1U) != 0 ? "v" : "";
    r.flags = salt;
    r.cas = (v & 2U) != 0 ? 7 : 0;
    r.ttl_seconds = (v & 4U) != 0 ? -1 : static_cast<int64_t>(v);
    r.last_access_seconds = v;
    r.hit_before = (v & 8U) != 0;
    r.stale = (v & 16U) != 0;
    r.win = (v & 32U) != 0;
    r.already_won = (v & 64U) != 0;
    r.number = 42;
    r.retry_after_ms = 3;
  }
  switch (req.kind) {
    case proto::RequestKind::kKeyed:
    case proto::RequestKind::kFlushAll:
      codec.EncodeResults(req, results, &out);
      break;
    case proto::RequestKind::kStats:
      codec.EncodeStats(req, {{"pid", "1"}, {"uptime", "2"}}, &out);
      codec.EncodeStatsUnknown(req, &out);
      break;
    case proto::RequestKind::kVersion:
      codec.EncodeVersion(req, "1.6.18", &out);
      break;
    default:
      codec.EncodeOk(req, &out);
      codec.EncodeServerError(req, core::Outcome::kBusy, 5, &out);
      break;
  }
}

// Drives `parse` over `in` like a session: returns when the input is used up, more is needed, or
// the request asks to close. `parse` is a ParseText/ParseMeta/ParseBinary-shaped callable.
template <typename Parse>
void Drive(std::string_view in, Parse parse) {
  proto::ParserOptions options;
  options.max_item_size = kMaxItemSize;
  proto::Codec codec(options);
  uint64_t swallow = 0;
  for (int i = 0; i < 100000 && !in.empty(); ++i) {
    if (swallow > 0) {
      std::size_t n = swallow < in.size() ? static_cast<std::size_t>(swallow) : in.size();
      in.remove_prefix(n);
      swallow -= n;
      continue;
    }
    proto::Request req;
    proto::ParseResult r = parse(in, options, &req);
    if (r.status == proto::ParseStatus::kNeedMore) {
      Check(r.consumed == 0);  // incomplete input consumes nothing
      return;
    }
    Check(r.consumed > 0 && r.consumed <= in.size());
    CheckRequest(req);
    EncodeSomething(codec, req, static_cast<uint8_t>(in.front()));
    in.remove_prefix(r.consumed);
    swallow = req.swallow;
    if (req.close_after) {
      return;
    }
  }
}

}  // namespace corecached::fuzz
