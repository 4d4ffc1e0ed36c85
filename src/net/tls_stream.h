#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace corecached::net {

class SocketIo;
class TlsContext;

// TlsStream is one connection's SSL object over its non-blocking socket. It never waits: each
// call does what OpenSSL can do now and says what it needs next (SSL_ERROR_WANT_READ/WRITE), and
// SocketIo parks the fiber on the socket's edge-triggered event exactly as it does on EAGAIN.
//
// OpenSSL's error queue is per OS thread and every fiber of a network thread shares it: each call
// clears it first and drains it after a failure, with no suspension in between (the OpenSSL docs
// require a clear queue before SSL_get_error).
//
// Owner: the connection's SocketIo. Thread: owning network thread.
class TlsStream {
 public:
  // What a step needs next.
  enum class Want : uint8_t {
    kNothing,  // done: `bytes` were moved (read or written), or the handshake finished
    kRead,     // park until the socket is readable, then call again
    kWrite,    // park until the socket is writable, then call again
    kEof,      // the peer closed (close_notify or a plain FIN)
    kError,    // a protocol or socket error: close the connection
  };
  struct Step {
    Want want = Want::kNothing;
    std::size_t bytes = 0;
  };

  // Takes ownership of `ssl` and binds it to `fd` (which it does not own).
  TlsStream(SSL* ssl, int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  Step Handshake();
  Step Read(char* buf, std::size_t max);
  Step Write(const char* data, std::size_t size);
  // Sends close_notify if it can without waiting (best effort, once), before the fd is closed.
  void Shutdown();
  [[nodiscard]] SSL* Ssl() const { return ssl_.get(); }

 private:
  struct SslDeleter {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
  };
  Step Classify(int rc);

  std::unique_ptr<SSL, SslDeleter> ssl_;
  bool broken_ = false;  // a fatal error happened: no close_notify (OpenSSL forbids it)
};

// How the server side of a TLS handshake ended.
enum class TlsAccept : uint8_t { kOk, kShed, kFailed, kTimeout, kRejected, kClosed };

// Runs the server side of the handshake on `io` in the calling (connection) fiber: bounded in
// time (ctx's handshake_timeout) and in count (at most max_handshakes_per_thread in progress on
// this network thread; past it the connection is shed at once). Counts the outcome in ctx's
// TlsStats (memcached's ssl_handshake_errors for every refusal except a shed or a kicked one).
// kRejected: the handshake succeeded but the client certificate's subject is not allowed.
// Thread: owning network thread, inside the connection's fiber.
[[nodiscard]] TlsAccept AcceptTls(SocketIo* io, TlsContext* ctx);

}  // namespace corecached::net
