#include "net/socket_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "net/tls_stream.h"

namespace corecached::net {

SocketIo::SocketIo(int fd, event_base* base) : fd_(fd) {
  event_.reset(
      event_new(base, fd_, EV_READ | EV_WRITE | EV_CLOSED | EV_PERSIST | EV_ET, &OnEvent, this));
  event_add(event_.get(), nullptr);
}

SocketIo::~SocketIo() {
  if (tls_) {
    tls_->Shutdown();
    tls_.reset();
  }
  event_.reset();
  close(fd_);
}

void SocketIo::OnEvent(evutil_socket_t /*fd*/, short what, void* arg) {
  auto* self = static_cast<SocketIo*>(arg);
  if ((what & EV_CLOSED) != 0) {
    self->peer_closed_ = true;  // EPOLLRDHUP: a FIN is queued behind whatever data is left
  }
  if ((what & (EV_READ | EV_CLOSED)) != 0) {
    self->readable_ = true;
  }
  if ((what & EV_WRITE) != 0) {
    self->writable_ = true;
  }
  self->parker_.Unpark();
  if ((what & (EV_READ | EV_CLOSED)) != 0 && self->idle_wake_ != nullptr) {
    self->idle_wake_(self->idle_arg_);
  }
}

void SocketIo::Kick() {
  kicked_ = true;
  parker_.Unpark();
}

SocketIo::Status SocketIo::Wait(bool* ready, std::chrono::steady_clock::time_point deadline) {
  while (!*ready) {
    if (kicked_) {
      return Status::kKicked;
    }
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      parker_.Park();
    } else if (!parker_.ParkUntil(deadline) && !*ready) {
      return Status::kTimeout;
    }
  }
  return Status::kOk;
}

namespace {
// Reads land in one scratch buffer per network thread and only the bytes received are appended to
// the connection's buffer. Growing the connection's string by a whole read chunk first would
// zero-fill (touch) the chunk on every read: 64 KiB of RSS per idle connection and a 64 KiB memset
// per read. Fibers of one thread can share it: nothing suspends between read(2) and the append.
constexpr std::size_t kScratchBytes = std::size_t{64} * 1024;

char* Scratch() {
  thread_local std::unique_ptr<char[]> scratch =
      std::make_unique_for_overwrite<char[]>(kScratchBytes);
  return scratch.get();
}
}  // namespace

SocketIo::Status SocketIo::Read(std::string* buf, std::size_t max,
                                std::chrono::steady_clock::time_point deadline) {
  for (;;) {  // TryRead goes through TLS when the connection speaks it
    if (Status s = TryRead(buf, max); s != Status::kWouldBlock) {
      return s;
    }
    if (Status s = Wait(&readable_, deadline); s != Status::kOk) {
      return s;
    }
  }
}

SocketIo::Status SocketIo::TryRead(std::string* buf, std::size_t max) {
  if (tls_) {
    return TryReadTls(buf, max);
  }
  char* scratch = Scratch();
  const std::size_t want = std::min(max, kScratchBytes);
  for (;;) {
    if (kicked_) {
      return Status::kKicked;
    }
    if (!readable_) {
      return Status::kWouldBlock;  // drained by a short read or EAGAIN, and no edge since
    }
    ssize_t n = ::read(fd_, scratch, want);
    if (n > 0) {
      buf->append(scratch, static_cast<std::size_t>(n));
      if (static_cast<std::size_t>(n) < want && !peer_closed_) {
        // A short read took everything the socket held, so the next read would only say EAGAIN
        // (memcached skips it the same way): a request-reply client otherwise costs two reads per
        // request (issue #10, 1.78 reads per get against memcached's 1.0). Bytes that arrive
        // after this read raise a new edge (epoll's edge-triggered mode reports every arrival),
        // and OnEvent sets the flag again before any fiber of this thread runs. A FIN that came
        // before the read raised no edge after it: the read returned the data without the EOF
        // behind it. Its edge reported EV_CLOSED, so from then on every read goes to the socket.
        readable_ = false;
      }
      return Status::kOk;
    }
    if (n == 0) {
      return Status::kEof;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::kError;
    }
    // No callback can run between the failed read and this line (same thread, no suspension), so
    // clearing the flag here cannot lose an edge.
    readable_ = false;
    return Status::kWouldBlock;
  }
}

SocketIo::Status SocketIo::WriteAll(std::string_view data,
                                    std::chrono::milliseconds stall_timeout) {
  if (tls_) {
    return WriteAllTls(data, stall_timeout);
  }
  auto deadline = std::chrono::steady_clock::now() + stall_timeout;
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      deadline = std::chrono::steady_clock::now() + stall_timeout;
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::kError;
    }
    writable_ = false;
    // A kicked connection still gets to flush its last reply, bounded by the deadline.
    bool was_kicked = kicked_;
    kicked_ = false;
    Status s = Wait(&writable_, deadline);
    kicked_ = kicked_ || was_kicked;
    if (s != Status::kOk) {
      return s;
    }
  }
  return Status::kOk;
}

}  // namespace corecached::net
