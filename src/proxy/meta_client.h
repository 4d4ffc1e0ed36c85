#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/command.h"
#include "core/result.h"

namespace corecached::proxy {

// MetaClient is the client half of memcached's meta protocol (protocol.txt "Meta Commands"), as the
// proxy speaks it to upstream servers: a Command becomes one mg/ms/md/ma request (flush_all stays
// classic: meta has no flush), and each reply line becomes a Result. No quiet mode: every request
// gets exactly one reply, so replies match requests by order alone.
//
// Thread: any (pure functions). Nothing returned points into the input.

// Appends the request for `cmd` to `out`. Keys with bytes a text key may not hold (space, control
// characters; a binary-protocol client may send them) travel base64-encoded with the `b` flag.
void EncodeRequest(const core::Command& cmd, std::string* out);

// Plain gets of several keys for one server in one round travel as one classic
// `gets k1 k2 ...` (as nutcracker forwards a multi-get): memcached answers the hits in request
// order and one END. True for a get this can carry: no side effects, no TTL asked for (meta t),
// and a key a classic get line can carry (no space, CR, LF or NUL).
bool Batchable(const core::Command& cmd);
void EncodeMultiGet(std::span<const core::Command* const> cmds, std::string* out);

enum class ReplyStatus : uint8_t {
  kOk,        // *result filled, *consumed bytes used
  kNeedMore,  // the reply is incomplete; nothing consumed
  kError,     // not a reply we understand: the connection is out of step and must be closed
};

// Parses the reply at the front of `in` to a request built from `cmd` (only op and touch matter).
// Upstream failures the client should see as themselves (out of memory storing object, object too
// large, non-numeric incr: replies.h's strings) map onto the same Outcomes the local store uses;
// any other SERVER_ERROR/CLIENT_ERROR/ERROR line becomes kUpstreamError.
ReplyStatus ParseReply(std::string_view in, const core::Command& cmd, core::Result* result,
                       std::size_t* consumed);

// Parses a whole `gets` reply (VALUE blocks then END) for `cmds`, filling results[i] for each
// (kHit or kMiss); a SERVER_ERROR/CLIENT_ERROR/ERROR line fails them all with kUpstreamError.
// kNeedMore until END has arrived (nothing consumed).
ReplyStatus ParseMultiGetReply(std::string_view in, std::span<const core::Command* const> cmds,
                               std::span<core::Result* const> results, std::size_t* consumed);

}  // namespace corecached::proxy
