#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/stat_list.h"
#include "net/listener.h"
#include "net/net_stats.h"
#include "net/network_thread.h"
#include "runtime/event_base.h"
#include "shard/shard.h"

namespace corecached::server {

// Server is the composition root: it builds the shards, the network threads and the listener from
// a Config, runs the main thread's loop (accepting, signals) and tears everything down in order:
// listener, network threads (each connection finishes its request), shards.
//
// Owner: main. Thread: main (Run blocks until shutdown). Stats() is called from network threads
// and reads atomics only.
class Server {
 public:
  explicit Server(config::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds (throws net::BindError), starts every thread, serves until SIGTERM, SIGINT or an enabled
  // `shutdown` command, then stops gracefully.
  void Run();
  // Thread: any. Makes Run() return (async-signal-safe).
  void RequestStop() { stop_waker_.Wake(); }

  [[nodiscard]] std::optional<core::StatList> Stats(std::string_view group) const;

 private:
  void StartThreads();
  void StopThreads();
  void WritePortFile() const;

  const config::Config config_;
  const core::Clock& clock_;
  const int64_t started_seconds_;
  std::vector<std::unique_ptr<shard::Shard>> shards_;
  std::vector<shard::Shard*> shard_ptrs_;
  net::ConnectionGate gate_;
  std::vector<std::unique_ptr<net::NetworkThread>> threads_;
  runtime::EventBasePtr base_;
  runtime::Waker stop_waker_;
  std::unique_ptr<net::Listener> listener_;
};

}  // namespace corecached::server
