#pragma once

#include <event2/event.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"

namespace corecached::net {

class TlsStream;

// SocketIo is one non-blocking socket driven from one fiber. A read or write that would block parks
// only the calling fiber; one persistent edge-triggered libevent event per socket (set up once)
// unparks it when the socket turns readable or writable (../shared/notes/fibers-and-libevent.md).
//
// Owner: the connection's fiber. Thread: owning network thread. Owns the fd: closes it on
// destruction. Kick() may be called by other fibers of the same thread (shutdown).
class SocketIo {
 public:
  enum class Status : uint8_t { kOk, kEof, kError, kTimeout, kKicked, kWouldBlock };

  SocketIo(int fd, event_base* base);
  ~SocketIo();
  SocketIo(const SocketIo&) = delete;
  SocketIo& operator=(const SocketIo&) = delete;

  // Appends at most `max` readable bytes to `buf`, parking until at least one arrives, the peer
  // closes (kEof), `deadline` passes (kTimeout) or Kick() is called (kKicked).
  Status Read(std::string* buf, std::size_t max, std::chrono::steady_clock::time_point deadline);
  // One read attempt that never parks: kWouldBlock when nothing is readable now (issue #10: the
  // connection's fiber may then end and the connection wait with no fiber; see SetIdleWake).
  // After a short read it makes no syscall until the next readable edge: the socket is drained.
  Status TryRead(std::string* buf, std::size_t max);
  // While set, a readable event also calls fn(arg): the connection has no fiber to unpark and its
  // owner starts one. fn runs inside the loop (it must not suspend). nullptr clears it.
  void SetIdleWake(void (*fn)(void*), void* arg) {
    idle_wake_ = fn;
    idle_arg_ = arg;
  }
  // Writes all of `data`, parking while the socket buffer is full. kTimeout when the peer accepts
  // no byte for `stall_timeout` (the deadline moves on with every byte written).
  Status WriteAll(std::string_view data, std::chrono::milliseconds stall_timeout);
  // Asks the fiber to stop: its current or next wait returns kKicked.
  void Kick();
  [[nodiscard]] bool Kicked() const { return kicked_; }
  [[nodiscard]] int Fd() const { return fd_; }

  // TLS (socket_io_tls.cc): from UseTls on, Read and WriteAll go through `tls`, parking on its
  // WANT_READ/WANT_WRITE as on EAGAIN. Handshake runs the server side of the handshake until it
  // completes (kOk), fails (kEof, kError), `deadline` passes (kTimeout) or Kick() (kKicked).
  void UseTls(std::unique_ptr<TlsStream> tls);
  Status Handshake(std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] TlsStream* Tls() const { return tls_.get(); }

 private:
  static void OnEvent(evutil_socket_t fd, short what, void* arg);
  Status Wait(bool* ready, std::chrono::steady_clock::time_point deadline);
  Status WaitTls(bool want_read, std::chrono::steady_clock::time_point deadline);
  // TryRead over TLS: kWouldBlock only when OpenSSL wants the socket readable and holds no
  // decrypted byte (with read-ahead it has drained the socket), so an idle TLS connection can
  // give up its fiber as a plain one does.
  Status TryReadTls(std::string* buf, std::size_t max);
  Status WriteAllTls(std::string_view data, std::chrono::milliseconds stall_timeout);

  int fd_;
  runtime::EventPtr event_;
  runtime::Parker parker_;
  void (*idle_wake_)(void*) = nullptr;
  void* idle_arg_ = nullptr;
  bool readable_ = true;
  bool writable_ = true;
  bool kicked_ = false;
  bool peer_closed_ = false;        // EV_CLOSED seen: a short read no longer means drained
  std::unique_ptr<TlsStream> tls_;  // null: plain TCP
};

}  // namespace corecached::net
