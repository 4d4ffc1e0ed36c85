#include "net/tls_stream.h"

#include <openssl/err.h>

#include <cerrno>
#include <chrono>

#include "net/socket_io.h"
#include "net/tls_context.h"

namespace corecached::net {

TlsStream::TlsStream(SSL* ssl, int fd) : ssl_(ssl) {
  SSL_set_fd(ssl_.get(), fd);
  SSL_set_accept_state(ssl_.get());
}

TlsStream::~TlsStream() = default;

TlsStream::Step TlsStream::Classify(int rc) {
  const int error = SSL_get_error(ssl_.get(), rc);
  Step step;
  switch (error) {
    case SSL_ERROR_WANT_READ:
      step.want = Want::kRead;
      break;
    case SSL_ERROR_WANT_WRITE:
      step.want = Want::kWrite;
      break;
    case SSL_ERROR_ZERO_RETURN:
      step.want = Want::kEof;
      break;
    default:
      // SSL_ERROR_SYSCALL included: with SSL_OP_IGNORE_UNEXPECTED_EOF a bare FIN is ZERO_RETURN,
      // so SYSCALL is a socket error, fatal like SSL_ERROR_SSL.
      step.want = Want::kError;
      broken_ = true;
      break;
  }
  ERR_clear_error();
  return step;
}

TlsStream::Step TlsStream::Handshake() {
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    return {};
  }
  return Classify(rc);
}

TlsStream::Step TlsStream::Read(char* buf, std::size_t max) {
  ERR_clear_error();
  std::size_t n = 0;
  const int rc = SSL_read_ex(ssl_.get(), buf, max, &n);
  if (rc == 1) {
    return {Want::kNothing, n};
  }
  return Classify(rc);
}

TlsStream::Step TlsStream::Write(const char* data, std::size_t size) {
  ERR_clear_error();
  std::size_t n = 0;
  const int rc = SSL_write_ex(ssl_.get(), data, size, &n);
  if (rc == 1) {
    return {Want::kNothing, n};
  }
  return Classify(rc);
}

void TlsStream::Shutdown() {
  if (broken_ || SSL_is_init_finished(ssl_.get()) == 0) {
    return;
  }
  ERR_clear_error();
  // One non-blocking attempt: the socket buffer nearly always has room for the alert, and a
  // client that is gone does not hold the connection's close.
  [[maybe_unused]] int rc = SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

TlsAccept AcceptTls(SocketIo* io, TlsContext* ctx) {
  // Fibers of one network thread share this count; nothing suspends between test and increment.
  thread_local uint32_t in_progress = 0;
  TlsStats& stats = ctx->Stats();
  if (in_progress >= ctx->Options().max_handshakes_per_thread) {
    stats.handshakes_shed.fetch_add(1);
    return TlsAccept::kShed;
  }
  SSL* ssl = ctx->NewSsl();
  if (ssl == nullptr) {
    ERR_clear_error();
    stats.handshake_errors.fetch_add(1);
    return TlsAccept::kFailed;
  }
  io->UseTls(std::make_unique<TlsStream>(ssl, io->Fd()));
  ++in_progress;
  const SocketIo::Status status =
      io->Handshake(std::chrono::steady_clock::now() + ctx->Options().handshake_timeout);
  --in_progress;
  switch (status) {
    case SocketIo::Status::kOk:
      break;
    case SocketIo::Status::kKicked:
      return TlsAccept::kClosed;
    case SocketIo::Status::kTimeout:
      stats.handshake_timeouts.fetch_add(1);
      stats.handshake_errors.fetch_add(1);
      return TlsAccept::kTimeout;
    default:
      stats.handshake_errors.fetch_add(1);
      return TlsAccept::kFailed;
  }
  if (!ctx->SubjectAllowed(ssl)) {
    stats.subject_rejects.fetch_add(1);
    return TlsAccept::kRejected;
  }
  ctx->CountVersion(ssl);
  return TlsAccept::kOk;
}

}  // namespace corecached::net
