#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/command.h"
#include "proto/admin.h"

namespace corecached::proto {

// Per-protocol reply context: what the encoder needs to know about the request beyond the
// protocol-neutral Commands. Each parser fills its own; the session never looks inside.
struct TextContext {
  // 21 verbs: two lines rather than 21.
  // clang-format off
  enum class Verb : uint8_t {
    kGet, kGets, kGat, kGats, kTouch, kSet, kAdd, kReplace, kAppend, kPrepend, kCas, kDelete,
    kIncr, kDecr, kFlushAll, kStats, kVersion, kVerbosity, kQuit, kShutdown, kOther
  };
  // clang-format on
  Verb verb = Verb::kOther;
  bool noreply = false;
  // A `set` refused as too large before its value arrived (it is swallowed): commands[0] deletes
  // the old item, as memcached does, and the reply is replies::kTextObjectTooLarge (memcached's
  // too-large error) whatever that delete answers.
  bool too_large = false;
  // A piece of a long get line (proto/get_line.h): more pieces follow, so no END yet. line_id
  // names the line (0 = a line parsed whole).
  bool more_follows = false;
  uint32_t line_id = 0;
};

struct BinaryContext {
  uint8_t opcode = 0;
  uint32_t opaque = 0;
  bool quiet = false;       // the Q variants: no reply on success/miss as memcached does
  bool return_key = false;  // GetK/GetKQ/GATK/GATKQ
  // The value was refused as too large before it arrived (it is swallowed): the reply is
  // "Too large." whatever the commands' results. For Set, commands[0] deletes the old item,
  // as memcached does.
  bool too_large = false;
};

struct MetaContext {
  char verb = 0;  // 'g' 's' 'd' 'a' 'n' 'e'
  // Flags that ask for something in the reply (b c f h k l O q s t v ...).
  std::string return_flags;
  std::string opaque;       // O token, echoed back
  bool quiet = false;       // q: suppress EN/HD/NF (per verb, as memcached)
  bool base64_key = false;  // b: key arrived base64-encoded; reply it the same way
  std::string raw_key;      // the key as the client sent it (base64 form when base64_key)
};

enum class RequestKind : uint8_t {
  kKeyed,     // commands[] are routed to shards by key; reply from their Results
  kFlushAll,  // commands[0] is the template broadcast to every shard
  kStats,     // arg = the stats group ("" for general stats)
  kVersion,
  kVerbosity,
  kQuit,
  kShutdown,
  kNoop,          // binary Noop, meta mn
  kAdmin,         // memcached's admin commands: `admin` says which (proto/admin.h)
  kRefreshCerts,  // text refresh_certs (-Z): reload the TLS certificates
  kError,         // the parser already produced `reply`; close_after says whether to close
};

// Request is one parsed client request. Built and consumed by one network thread.
// Nothing in it points into the input buffer: it stays valid after the buffer moves on.
struct Request {
  RequestKind kind = RequestKind::kError;
  std::vector<core::Command> commands;  // kKeyed: one per key, in reply order
  std::string arg;                      // kStats group, kVerbosity level
  std::string reply;                    // kError: the exact reply bytes (may be empty)
  bool close_after = false;             // close the connection once this reply is written
  // Bytes of the input that follow this request and must be read and discarded (a value that was
  // refused before it arrived, memcached's conn_swallow). The session discards them as they come.
  uint64_t swallow = 0;
  // A text or meta storage command refused as too large by its length alone: memcached counts
  // these in store_too_large (process_update_command) before any store sees them; binary does not.
  bool refused_too_large = false;
  std::variant<TextContext, BinaryContext, MetaContext> context;
  AdminRequest admin;  // kAdmin
};

enum class ParseStatus : uint8_t {
  kOk,        // one Request parsed (possibly kind kError); consume `consumed` bytes
  kNeedMore,  // the input holds no complete request yet; consumed == 0
};

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  std::size_t consumed = 0;
};

}  // namespace corecached::proto
