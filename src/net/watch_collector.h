#pragma once

#include <atomic>
#include <thread>

#include "core/watch_log.h"

namespace corecached::net {

// WatchCollector is memcached's logger thread (logger.c logger_thread): it owns the WatchHub and
// runs the thread that drains the network threads' rings, renders each event as memcached's line
// (proto::AppendWatchLine) and hands it to the watchers. It sleeps on the hub while no watcher is
// attached, and between passes for 1 ms to 100 ms, longer while nothing was logged (memcached's
// adaptive 1 ms to 1 s, shortened so a watcher sees lines within a tenth of a second).
//
// Owner: Server (outlives the shards and network threads that log into the hub). Thread:
// Start/Stop main (start-up and shutdown only); Hub() any.
class WatchCollector {
 public:
  WatchCollector() = default;
  ~WatchCollector();
  WatchCollector(const WatchCollector&) = delete;
  WatchCollector& operator=(const WatchCollector&) = delete;

  void Start();
  void Stop();
  [[nodiscard]] core::WatchHub* Hub() { return &hub_; }

 private:
  void Run();

  core::WatchHub hub_;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

// memcached's connevents stream: logs the opening (conn_new) or closing (conn_close, with
// `reason`) of the connection on socket `fd`, its peer read with getpeername. Call only when
// hub->Wants(core::kWatchConnEvents). Thread: the connection's network thread.
void LogConnEvent(core::WatchHub* hub, int fd, core::WatchEvent::Kind kind,
                  core::WatchEvent::CloseReason reason = core::WatchEvent::CloseReason::kNormal);

}  // namespace corecached::net
