#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/stat_list.h"
#include "proto/get_line.h"
#include "proto/request.h"

namespace corecached::proto {

// Limits a parser needs from the server's configuration.
struct ParserOptions {
  std::size_t max_item_size = std::size_t{1024} * 1024;  // -I: larger values are rejected
  std::size_t size_class_count = 39;  // memcached's slab classes for -f/-n (slabs reassign)
  // memcached -B: kUnknown detects each connection's protocol from its first byte; kText or
  // kBinary makes every connection speak that one (a binary packet is then a bad text line, and
  // text a bad binary header, as in memcached).
  uint8_t binding = 0;  // a Codec::Protocol value
  // memcached -F: false = flush_all is refused (replies::kTextFlushAllDisabled; binary:
  // "Auth failure.", as memcached answers).
  bool flush_enabled = true;
  // memcached -W: false = `watch` is refused (replies::kTextWatchDisabled).
  bool watch_enabled = true;
};

// Codec is one connection's protocol state: it detects text or binary from the first byte
// (0x80 = binary request magic, memcached.c try_read_command_negotiate) and then parses requests
// and encodes their replies. Meta commands ride on text connections, as in memcached.
//
// Owner: one Connection. Thread: owning network thread. No I/O, no clock, no store.
class Codec {
 public:
  enum class Protocol : uint8_t { kUnknown, kText, kBinary };

  explicit Codec(ParserOptions options) : options_(options) {}

  // Parses at most one request from `in`. Never throws, never asserts on input.
  // With kNeedMore nothing is consumed and `out` is unspecified.
  ParseResult Parse(std::string_view in, Request* out);

  // Appends the reply for a kKeyed or kFlushAll request. `results` has one entry per command
  // (kFlushAll: one per shard; any entry may be used).
  void EncodeResults(const Request& req, std::span<const core::Result> results, std::string* out);
  void EncodeStats(const Request& req, const core::StatList& stats, std::string* out);
  // `stats <group>` for a group the server does not have (text: ERROR; binary: Not found).
  void EncodeStatsUnknown(const Request& req, std::string* out);
  void EncodeVersion(const Request& req, std::string_view version, std::string* out);
  // Verbosity, Noop, binary Quit (text quit has no reply).
  void EncodeOk(const Request& req, std::string* out);
  // `shutdown` when it is not enabled (memcached -A).
  void EncodeShutdownDisabled(const Request& req, std::string* out);
  // A request the server refused before executing it (kBusy, kNoMemory) for every key.
  void EncodeServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                         std::string* out);

  // The protocol fixed by the first byte (kUnknown before it).
  [[nodiscard]] Protocol Spoken() const { return protocol_; }
  // Fixes the protocol from the first byte of `in` if it is not known yet (as Parse does) and
  // returns it; kUnknown while nothing has arrived.
  Protocol Detect(std::string_view in);

 private:
  static void RefuseFlushAll(Request* req);

  ParserOptions options_;
  Protocol protocol_ = Protocol::kUnknown;
  GetLine get_line_;              // a long get line being parsed in pieces
  uint32_t failed_get_line_ = 0;  // a piece of this line failed: its later pieces say nothing
};

}  // namespace corecached::proto
