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
  // memcached -l: a comma-separated list; each entry "host", "host:port", "[v6]" or "[v6]:port".
  // An entry without a port uses `port`.
  std::string address = "127.0.0.1";
  int port = 11211;         // -1 = an ephemeral port (tests read it from the port file); 0 = no TCP
  int backlog = 1024;       // memcached's -b
  std::string unix_socket;  // memcached -s: "" = none
  uint32_t unix_socket_mask = 0700;  // memcached -a: the socket file's permissions
  // -Z: every TCP entry speaks TLS except those written "notls:HOST:PORT" (memcached's prefix);
  // the unix socket never does.
  bool tls = false;
};

// Listener accepts TCP and unix-socket connections on the main thread's event loop and hands each
// to the next network thread, round-robin, so accepting stays fair across threads. Past
// max_connections it answers "ERROR Too many open connections" and closes, as memcached does.
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

  // The TCP port actually bound (the ephemeral one when options.port was -1); 0 without TCP.
  [[nodiscard]] int Port() const { return port_; }
  // The unix socket's absolute path ("" = none): removed by Close(). Valid while the Listener is.
  [[nodiscard]] const std::string& UnixSocketPath() const { return unix_path_; }
  // The listening sockets (`stats conns` lists them). Thread: main, after construction.
  [[nodiscard]] std::vector<int> ListenFds() const;
  // Stops accepting (shutdown) and removes the unix socket file. Idempotent.
  void Close();

 private:
  struct ListenerDeleter {
    void operator()(evconnlistener* l) const { evconnlistener_free(l); }
  };
  // What OnAccept gets for one listener: whether its connections speak TLS.
  struct Bound {
    Listener* owner = nullptr;
    bool tls = false;
  };
  static void OnAccept(evconnlistener* l, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  // Binds one TCP address and returns the port it got.
  int Bind(event_base* base, const std::string& host, int port, int backlog, bool tls);
  void BindUnix(event_base* base, const ListenerOptions& options);
  // An arg for OnAccept that lives as long as the listener.
  Bound* NewBound(bool tls);
  void Accept(int fd, bool tls);

  std::vector<std::unique_ptr<evconnlistener, ListenerDeleter>> listeners_;
  std::vector<std::unique_ptr<Bound>> bound_;  // one per listener; stable addresses
  std::vector<NetworkThread*> threads_;
  ConnectionGate* gate_;
  std::size_t next_ = 0;
  int port_ = 0;
  std::string unix_path_;
};

}  // namespace corecached::net
