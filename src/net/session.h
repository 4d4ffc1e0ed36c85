#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/stat_list.h"
#include "net/net_stats.h"
#include "net/socket_io.h"
#include "proto/codec.h"
#include "proto/request.h"
#include "shard/router.h"
#include "shard/shard.h"

namespace corecached::net {

// What every session on a network thread shares. Owned by the NetworkThread; outlives its sessions.
struct SessionEnv {
  std::span<shard::Shard* const> shards;
  std::size_t producer = 0;  // the network thread's index (its channel on every shard)
  proto::ParserOptions parser;
  std::string version;
  bool enable_shutdown = false;
  std::chrono::seconds idle_timeout{0};  // 0 = never
  // Bound on buffered, unparsed input: one request line plus the largest value (plus slack).
  std::size_t max_input_bytes = 0;
  // `stats <group>`: nullopt for a group the server does not have. Called on this thread.
  std::function<std::optional<core::StatList>(std::string_view group)> stats;
  std::function<void()> request_shutdown;                        // `shutdown` with -A
  NetStats* net_stats = nullptr;
};

// Session is one connection's request loop: read, parse every complete request (text, meta or
// binary), hand them to the shards through the Router in one round, encode the replies in request
// order, write them in one go. This file is the only one that knows both proto/ and shard/
// (pelikan's process.c, dragonfly's McTypeToCmdName).
//
// Owner: the connection's fiber. Thread: owning network thread. `io` and `env` outlive it.
class Session {
 public:
  Session(SocketIo* io, const SessionEnv& env);
  // Serves until the client leaves, asks to close, misbehaves past repair, or the server kicks it.
  void Run();

 private:
  // One parsed request and where its results are.
  struct Pending {
    proto::Request request;
    uint32_t first_slot = 0;
    uint32_t slot_count = 0;
  };
  // Fewer requests per round would cost more shard hops; more would grow the reply buffer. 256
  // small requests are ~10 KiB of replies; large values are bounded by max_input_bytes per read.
  static constexpr std::size_t kMaxRequestsPerRound = 256;
  static constexpr std::size_t kReadChunk = 64 * 1024;

  // Parses and plans up to kMaxRequestsPerRound requests; returns false when nothing is complete.
  bool ParseRound();
  void Plan(proto::Request request);
  bool DiscardSwallowed();
  void EncodeRound();
  void EncodeOne(Pending& pending);
  bool ReadMore();
  bool Flush();

  SocketIo* io_;
  const SessionEnv& env_;
  proto::Codec codec_;
  shard::Router router_;
  std::string in_;
  std::size_t in_pos_ = 0;
  uint64_t swallow_ = 0;
  std::string out_;
  std::vector<Pending> round_;
  std::vector<shard::Router::Slot> slots_;
  std::vector<core::Result> gathered_;
  bool close_ = false;
};

}  // namespace corecached::net
