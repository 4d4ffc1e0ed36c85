// SocketIo's TLS half: the same park-on-event loop as socket_io.cc, driven by TlsStream's
// WANT_READ/WANT_WRITE instead of EAGAIN. Kept apart so the plain path stays as it was and the
// TLS path can change without touching it.
#include <algorithm>
#include <memory>
#include <utility>

#include "net/socket_io.h"
#include "net/tls_stream.h"

namespace corecached::net {

namespace {
// One TLS record carries at most 16 KiB of plaintext, and SSL_read returns one record at most.
constexpr std::size_t kTlsScratchBytes = std::size_t{16} * 1024;

char* TlsScratch() {
  thread_local std::unique_ptr<char[]> scratch =
      std::make_unique_for_overwrite<char[]>(kTlsScratchBytes);
  return scratch.get();
}
}  // namespace

void SocketIo::UseTls(std::unique_ptr<TlsStream> tls) { tls_ = std::move(tls); }

SocketIo::Status SocketIo::WaitTls(bool want_read, std::chrono::steady_clock::time_point deadline) {
  // No callback can run between the failed SSL call and this line (same thread, no suspension),
  // so clearing the flag cannot lose an edge: OpenSSL saw EAGAIN on the socket.
  if (want_read) {
    readable_ = false;
    return Wait(&readable_, deadline);
  }
  writable_ = false;
  return Wait(&writable_, deadline);
}

SocketIo::Status SocketIo::Handshake(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (kicked_) {
      return Status::kKicked;
    }
    const TlsStream::Step step = tls_->Handshake();
    switch (step.want) {
      case TlsStream::Want::kNothing:
        return Status::kOk;
      case TlsStream::Want::kRead:
      case TlsStream::Want::kWrite:
        if (Status s = WaitTls(step.want == TlsStream::Want::kRead, deadline); s != Status::kOk) {
          return s;
        }
        break;
      case TlsStream::Want::kEof:
        return Status::kEof;
      case TlsStream::Want::kError:
        return Status::kError;
    }
  }
}

SocketIo::Status SocketIo::TryReadTls(std::string* buf, std::size_t max) {
  // A renegotiation or key update may make SSL_read want the socket writable; that wait is
  // bounded like a write's.
  constexpr auto kWriteWait = std::chrono::seconds(30);
  char* scratch = TlsScratch();
  const std::size_t want = std::min(max, kTlsScratchBytes);
  for (;;) {
    if (kicked_) {
      return Status::kKicked;
    }
    const TlsStream::Step step = tls_->Read(scratch, want);
    switch (step.want) {
      case TlsStream::Want::kNothing:
        buf->append(scratch, step.bytes);
        return Status::kOk;
      case TlsStream::Want::kRead:
        readable_ = false;  // OpenSSL saw EAGAIN; no callback ran since (no suspension)
        return Status::kWouldBlock;
      case TlsStream::Want::kWrite:
        if (Status s = WaitTls(false, std::chrono::steady_clock::now() + kWriteWait);
            s != Status::kOk) {
          return s;
        }
        break;
      case TlsStream::Want::kEof:
        return Status::kEof;
      case TlsStream::Want::kError:
        return Status::kError;
    }
  }
}

SocketIo::Status SocketIo::WriteAllTls(std::string_view data,
                                       std::chrono::milliseconds stall_timeout) {
  auto deadline = std::chrono::steady_clock::now() + stall_timeout;
  while (!data.empty()) {
    const TlsStream::Step step = tls_->Write(data.data(), data.size());
    switch (step.want) {
      case TlsStream::Want::kNothing:
        data.remove_prefix(step.bytes);
        deadline = std::chrono::steady_clock::now() + stall_timeout;
        continue;
      case TlsStream::Want::kRead:
      case TlsStream::Want::kWrite: {
        // As in WriteAll: a kicked connection still gets to flush its last reply.
        const bool was_kicked = kicked_;
        kicked_ = false;
        const Status s = WaitTls(step.want == TlsStream::Want::kRead, deadline);
        kicked_ = kicked_ || was_kicked;
        if (s != Status::kOk) {
          return s;
        }
        continue;
      }
      case TlsStream::Want::kEof:
      case TlsStream::Want::kError:
        return Status::kError;
    }
  }
  return Status::kOk;
}

}  // namespace corecached::net
