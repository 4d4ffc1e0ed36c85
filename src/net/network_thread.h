#pragma once

#include <atomic>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "net/authenticator.h"
#include "net/net_stats.h"
#include "net/session.h"
#include "net/socket_io.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"

namespace corecached::net {

struct NetworkThreadOptions {
  // How long an idle network thread polls before it sleeps (runtime::LoopScheduler's spin).
  int64_t spin_us = 20;
  // Fiber stack per busy connection (an idle one has none, issue #10). Stacks are mmap'ed with a
  // guard page and pooled per thread (runtime::PooledStack), so only touched pages count in RSS;
  // the deepest path (parse + encode + Boost.Fiber's own frames) uses well under 64 KiB, and ASan
  // builds need more headroom.
  std::size_t fiber_stack_bytes = std::size_t{256} * 1024;
  // Connections the listener may hand over before this thread takes them (the inbox bound).
  std::size_t inbox_capacity = 4096;
  // Nice value added to this thread (setpriority on its tid). 0 = unchanged. Raising nice needs no
  // privilege; failure is ignored. (Issue #6 ran network threads at 5, below separate shard
  // threads; since issue #10 the shards run on these threads, so the default is 0.)
  int nice = kDefaultNice;
  static constexpr int kDefaultNice = 0;
  // Copied into every session's SessionEnv (see there).
  std::size_t max_output_bytes = std::size_t{4} * 1024 * 1024;
  std::chrono::milliseconds slow_client_timeout{30'000};
  // -Y / auth.file; empty = no authentication. Read at construction (std::runtime_error when it
  // cannot be read) and again by ReloadAuth().
  std::string auth_file;
};

// Monotonic seconds from the kernel's coarse clock (a vDSO read, no syscall): `stats conns` ages.
int64_t CoarseSeconds();

// "tcp:<ip>:<port>" ("tcp:[<ipv6>]:<port>") or "unix:<path>" of socket `fd`'s peer (peer = true)
// or local end, as memcached's conn_to_str prints them; "" when the socket has none.
std::string SocketAddressText(int fd, bool peer);

// NetworkThread runs one libevent loop and one Boost.Fiber scheduler on one OS thread, a fiber
// for each connection that has input to parse or output to send (an idle connection waits on its
// libevent read event with no fiber and no buffers: issue #10), and its guest (the shard this
// thread hosts, issue #10) on a fiber of its own with the guest's hook in the scheduler. New
// sockets arrive from the listener through a lock-free inbox.
//
// Owner: Server. Thread: Start/RequestStop/Join/Stop from main (start-up and shutdown only); Adopt
// from the listener thread (the inbox's only producer); stats() from any (atomics only).
class NetworkThread {
 public:
  // `guest` (may be null: no shard, as in tests or a proxy) outlives the thread.
  NetworkThread(const NetworkThreadOptions& options, SessionEnv env, ConnectionGate* gate,
                runtime::LoopGuest* guest = nullptr);
  ~NetworkThread();
  NetworkThread(const NetworkThread&) = delete;
  NetworkThread& operator=(const NetworkThread&) = delete;

  void Start();
  // Kicks every connection (each finishes the request it is serving), waits for their fibers, tells
  // the guest, waits for the guest's fiber (it serves peers until every thread drained), and joins
  // the thread. With guests, RequestStop() every thread first and then Join() each: a thread's
  // guest keeps answering other threads' connections until all of them are gone.
  void Stop();
  void RequestStop();
  void Join();
  // Takes ownership of a connected non-blocking socket; `tls`: its listener speaks TLS (the
  // connection's first fiber runs the handshake). False when the inbox is full (the caller still
  // owns `fd`).
  bool Adopt(int fd, bool tls = false);

  [[nodiscard]] const NetStats& Stats() const { return stats_; }

  // `stats conns` (network_thread_conns.cc): one open connection as memcached lists it.
  struct ConnStat {
    int fd = -1;
    std::string addr;         // "tcp:<ip>:<port>" of the peer, "unix:<path>"
    std::string listen_addr;  // the local end, same form
    std::string state;        // memcached's conn_* state name closest to ours
    int64_t secs_since_last_cmd = 0;
  };
  // Asks the thread to list its connections (any thread; one request at a time per thread: the
  // caller serializes). The thread answers at its next loop turn; ConnStatsReady(ticket) turns
  // true and ConnStats() is valid until the next RequestConnStats.
  void RequestConnStats(uint64_t ticket);
  [[nodiscard]] bool ConnStatsReady(uint64_t ticket) const;
  [[nodiscard]] const std::vector<ConnStat>& ConnStats() const { return conn_stats_; }
  // SIGHUP: re-reads the auth file (no-op without one). Thread: main. False (and `error` set, the
  // old users kept) when the file cannot be read.
  bool ReloadAuth(std::string* error);

 private:
  // One connection: its socket and its session, on the heap so that it outlives each fiber that
  // serves it. Owner: this NetworkThread (the intrusive live list). Thread: owning network thread.
  struct Connection {
    Connection(int fd, event_base* base, const SessionEnv& env, NetworkThread* owner)
        : io(fd, base), session(&io, env), thread(owner) {}
    SocketIo io;
    Session session;
    NetworkThread* thread;
    Connection* prev = nullptr;
    Connection* next = nullptr;
    bool running = false;       // a fiber serves it (or is about to: it is in ready_)
    bool tls_pending = false;   // a TLS connection whose handshake has not run yet
    int64_t last_active_s = 0;  // monotonic seconds when a fiber last started serving it
  };

  void Run();
  void AcceptLoop(event_base* base);
  // A socket handed over by the listener.
  struct Adopted {
    int fd = -1;
    bool tls = false;
  };
  void StartFiber(Connection* conn);
  void Serve(Connection* conn);
  void Close(Connection* conn);
  void Drain();
  // SocketIo idle wake: the idle connection `arg` turned readable (inside the loop).
  static void OnIdleReadable(void* arg);
  // Answers a pending RequestConnStats (owning network thread, from the accept loop).
  void AnswerConnStats();

  const NetworkThreadOptions options_;
  SessionEnv env_;
  ConnectionGate* gate_;
  runtime::LoopGuest* guest_;
  runtime::RemoteWake own_wake_;  // used when there is no guest
  NetStats stats_;
  std::vector<std::unique_ptr<SessionWork>> spare_work_;  // SessionEnv::spare_work
  std::unique_ptr<Authenticator> auth_;
  boost::lockfree::spsc_queue<Adopted> inbox_;
  runtime::Waker inbox_waker_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  // Owning network thread only:
  runtime::Parker* acceptor_ = nullptr;
  Connection* live_ = nullptr;  // every open connection (intrusive list)
  std::size_t live_count_ = 0;
  std::vector<Connection*>
      ready_;  // idle connections that turned readable; the acceptor starts them
  runtime::Parker* drained_ = nullptr;  // unparked when live_ becomes empty during Stop
  // `stats conns`: the ticket asked for (any thread), the one answered (release: conn_stats_ is
  // complete), and the answer (written by the owning thread between the two).
  std::atomic<uint64_t> conn_stats_asked_{0};
  std::atomic<uint64_t> conn_stats_answered_{0};
  std::vector<ConnStat> conn_stats_;
};

}  // namespace corecached::net
