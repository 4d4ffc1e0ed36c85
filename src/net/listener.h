#pragma once

#include <event2/listener.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/net_stats.h"
#include "net/network_thread.h"

namespace corecached::net {

// BindError: the listen address could not be bound (start-up; main exits 71 like memcached).
struct BindError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ListenerOptions {
  std::string address = "127.0.0.1";  // memcached -l; a comma-separated list binds each
  int port = 11211;                   // -1 = an ephemeral port (tests read it from the port file)
  int backlog = 1024;                 // memcached's -b default
  // -Z: every address speaks TLS except those written "notls:HOST:PORT" (memcached's prefix).
  bool tls = false;
};

// Listener accepts TCP connections on the main thread's event loop and hands each to the next
// network thread, round-robin, so accepting stays fair across threads. Past max_connections it
// answers "ERROR Too many open connections" and closes, as memcached does.
//
// At construction it raises RLIMIT_NOFILE so that max_connections sockets fit next to the
// server's own descriptors (memcached's main() does the same for -c); BindError with memcached's
// message when the limit cannot be raised.
//
// Owner: Server. Thread: main (start-up, the main loop, shutdown). The network threads and the gate
// must outlive it.
class Listener {
 public:
  Listener(event_base* base, const ListenerOptions& options, std::vector<NetworkThread*> threads,
           ConnectionGate* gate);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The TCP port actually bound (the ephemeral one when options.port was -1).
  [[nodiscard]] int Port() const { return port_; }
  // Stops accepting (shutdown). Idempotent.
  void Close();

 private:
  struct ListenerDeleter {
    void operator()(evconnlistener* l) const { evconnlistener_free(l); }
  };
  // What OnAccept gets for one bound address.
  struct Bound {
    Listener* owner = nullptr;
    bool tls = false;
  };
  static void OnAccept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  // Returns the port bound.
  int Bind(event_base* base, const std::string& host, int port, bool tls);
  void Accept(int fd, bool tls);

  std::vector<std::unique_ptr<evconnlistener, ListenerDeleter>> listeners_;
  std::vector<std::unique_ptr<Bound>> bound_;  // one per listener; stable addresses
  std::vector<NetworkThread*> threads_;
  ConnectionGate* gate_;
  std::size_t next_ = 0;
  int port_ = 0;
};

}  // namespace corecached::net
