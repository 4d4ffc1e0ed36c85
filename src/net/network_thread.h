#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>

#include "net/authenticator.h"
#include "net/net_stats.h"
#include "net/session.h"
#include "net/socket_io.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"

namespace corecached::net {

struct NetworkThreadOptions {
  // How long an idle network thread polls before it sleeps (runtime::LoopScheduler's spin).
  int64_t spin_us = 50;
  // Fiber stack per connection. Stacks are mmap'ed with a guard page, so only touched pages count
  // in RSS; the deepest path (parse + encode + Boost.Fiber's own frames) uses well under 64 KiB,
  // and ASan builds need more headroom.
  std::size_t fiber_stack_bytes = std::size_t{256} * 1024;
  // Connections the listener may hand over before this thread takes them (the inbox bound).
  std::size_t inbox_capacity = 4096;
  // Nice value added to this thread (setpriority on its tid): network threads run below the shard
  // threads so that accepting and parsing never starve execution (seed design, "Thread
  // Priority"; issue #6). 0 = unchanged. Raising nice needs no privilege; failure is ignored.
  int nice = kDefaultNice;
  static constexpr int kDefaultNice = 5;
  // Copied into every session's SessionEnv (see there).
  std::size_t max_output_bytes = std::size_t{4} * 1024 * 1024;
  std::chrono::milliseconds slow_client_timeout{30'000};
  // -Y / auth.file; empty = no authentication. Read at construction (std::runtime_error when it
  // cannot be read) and again by ReloadAuth().
  std::string auth_file;
};

// NetworkThread runs one libevent loop and one Boost.Fiber scheduler on one OS thread, and one
// fiber per connection on them. New sockets arrive from the listener through a lock-free inbox.
//
// Owner: Server. Thread: Start/Stop from main (start-up and shutdown only); Adopt from the listener
// thread (the inbox's only producer); stats() from any (atomics only).
class NetworkThread {
 public:
  NetworkThread(const NetworkThreadOptions& options, SessionEnv env, ConnectionGate* gate);
  ~NetworkThread();
  NetworkThread(const NetworkThread&) = delete;
  NetworkThread& operator=(const NetworkThread&) = delete;

  void Start();
  // Kicks every connection (each finishes the request it is serving), waits for their fibers, and
  // joins the thread.
  void Stop();
  // Takes ownership of a connected non-blocking socket; `tls`: its listener speaks TLS (the
  // connection's fiber runs the handshake first). False when the inbox is full (the caller still
  // owns `fd`).
  bool Adopt(int fd, bool tls = false);

  [[nodiscard]] const NetStats& Stats() const { return stats_; }
  // SIGHUP: re-reads the auth file (no-op without one). Thread: main. False (and `error` set, the
  // old users kept) when the file cannot be read.
  bool ReloadAuth(std::string* error);

 private:
  void Run();
  void AcceptLoop(event_base* base);
  void Serve(int fd, bool tls, event_base* base);
  // A socket handed over by the listener.
  struct Adopted {
    int fd = -1;
    bool tls = false;
  };

  const NetworkThreadOptions options_;
  SessionEnv env_;
  ConnectionGate* gate_;
  NetStats stats_;
  std::unique_ptr<Authenticator> auth_;
  boost::lockfree::spsc_queue<Adopted> inbox_;
  runtime::Waker inbox_waker_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  // Owning network thread only:
  runtime::Parker* acceptor_ = nullptr;
  std::unordered_set<SocketIo*> live_;
  runtime::Parker* drained_ = nullptr;  // unparked when live_ becomes empty during Stop
};

}  // namespace corecached::net
