#include "proxy/upstream.h"

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "proxy/meta_client.h"

namespace corecached::proxy {

namespace {
// Reconnect backoff: doubles from the first to the cap. Short enough that a restarted server is
// used again within a second; long enough that a dead one costs one connect per connection per
// interval, not one per request.
constexpr std::chrono::milliseconds kFirstBackoff{50};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
// Reads land in one scratch buffer per thread and only the bytes received are appended (growing
// in_ by a whole chunk first would zero-fill 64 KiB per read). Callbacks never suspend, so the
// connections of one thread can share it.
constexpr std::size_t kReadChunk = std::size_t{64} * 1024;

char* Scratch() {
  thread_local std::unique_ptr<char[]> scratch = std::make_unique_for_overwrite<char[]>(kReadChunk);
  return scratch.get();
}
}  // namespace

UpstreamConnection::UpstreamConnection(event_base* base, UpstreamServer* server)
    : base_(base), server_(server) {}

UpstreamConnection::~UpstreamConnection() {
  event_.reset();
  if (fd_ >= 0) {
    close(fd_);
  }
}

bool UpstreamConnection::Connect(SteadyTime now) {
  if (now < next_connect_) {
    return false;
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const sockaddr_in& addr = server_->Address();
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  int rc = connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  if (rc != 0 && errno != EINPROGRESS) {
    close(fd_);
    fd_ = -1;
    backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
    next_connect_ = now + backoff_;
    server_->RecordFailure(now);
    server_->Stats().errors.Add();
    return false;
  }
  state_ = rc == 0 ? State::kUp : State::kConnecting;
  event_.reset(event_new(base_, fd_, EV_READ | EV_WRITE | EV_PERSIST | EV_ET, &OnEvent, this));
  event_add(event_.get(), nullptr);
  return true;
}

bool UpstreamConnection::Send(std::string_view request, InFlight entry, SteadyTime now) {
  if (state_ == State::kDown && !Connect(now)) {
    return false;
  }
  out_.append(request);
  entry.sent = now;
  entry.bytes = request.size();
  server_->Stats().requests.Add();
  server_->Stats().in_flight.Add();
  server_->InFlightBytes() += entry.bytes;
  in_flight_.push_back(std::move(entry));
  return true;
}

void UpstreamConnection::OnEvent(evutil_socket_t /*fd*/, short what, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  // Nothing may unwind through libevent's C frames (STYLE.md 6.4): a failure here (bad_alloc
  // while parsing a reply) fails this connection's requests and closes it.
  try {
    if ((what & EV_WRITE) != 0) {
      self->OnWritable();
    }
    if ((what & EV_READ) != 0 && self->state_ == State::kUp) {
      self->OnReadable();
    }
  } catch (...) {
    self->Abort(false);
  }
}

void UpstreamConnection::OnWritable() {
  if (state_ == State::kConnecting) {
    int error = 0;
    socklen_t len = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      Abort(false);
      return;
    }
    state_ = State::kUp;
    backoff_ = std::chrono::milliseconds(0);
  }
  Flush();
}

void UpstreamConnection::Flush() {
  if (state_ != State::kUp) {
    return;  // a connect in progress flushes when it completes
  }
  while (out_pos_ < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;  // the write edge calls back
    }
    Abort(false);
    return;
  }
  out_.clear();
  out_pos_ = 0;
}

void UpstreamConnection::OnReadable() {
  char* scratch = Scratch();
  for (;;) {
    ssize_t n = ::read(fd_, scratch, kReadChunk);
    if (n > 0) {
      in_.append(scratch, static_cast<std::size_t>(n));
      ParseReplies();
      if (state_ != State::kUp) {
        return;
      }
      continue;
    }
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    Abort(false);  // EOF or error: the server went away
    return;
  }
}

void UpstreamConnection::ParseReplies() {
  std::size_t pos = 0;
  while (!in_flight_.empty() && pos < in_.size()) {
    core::Result result;
    std::size_t consumed = 0;
    const InFlight& head = in_flight_.front();
    std::string_view rest = std::string_view(in_).substr(pos);
    ReplyStatus status =
        head.batch_cmds.empty()
            ? ParseReply(rest, *head.cmd, &result, &consumed)
            : ParseMultiGetReply(rest, head.batch_cmds, head.batch_results, &consumed);
    if (status == ReplyStatus::kOk && !head.batch_cmds.empty()) {
      result.outcome = head.batch_results.front()->outcome;  // for Complete's error count
    }
    if (status == ReplyStatus::kNeedMore) {
      break;
    }
    if (status == ReplyStatus::kError) {
      Abort(false);
      return;
    }
    pos += consumed;
    InFlight entry = std::move(in_flight_.front());
    in_flight_.pop_front();
    Complete(entry, std::move(result));
  }
  if (in_flight_.empty() && pos < in_.size()) {
    Abort(false);  // bytes nobody asked for: out of step
    return;
  }
  in_.erase(0, pos);
}

void UpstreamConnection::Complete(InFlight& entry, core::Result result) {
  UpstreamStats& stats = server_->Stats();
  stats.in_flight.Sub();
  server_->InFlightBytes() -= entry.bytes;
  auto now = std::chrono::steady_clock::now();
  stats.Observe(std::chrono::duration_cast<std::chrono::microseconds>(now - entry.sent));
  if (result.outcome == core::Outcome::kUpstreamError) {
    stats.errors.Add();
  } else {
    server_->RecordSuccess();
  }
  if (entry.result != nullptr && entry.batch_cmds.empty()) {
    *entry.result = std::move(result);
  }
  if (entry.waiter != nullptr) {
    entry.waiter->Done();
  }
}

void UpstreamConnection::Abort(bool timed_out) {
  auto now = std::chrono::steady_clock::now();
  event_.reset();
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  bool was_up = state_ == State::kUp;
  state_ = State::kDown;
  out_.clear();
  out_pos_ = 0;
  in_.clear();
  if (!was_up) {
    backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
    next_connect_ = now + backoff_;
  }
  // An idle connection the server closed (its idle timeout, a restart) is no failure of a
  // request; a refused connect or a request left unanswered is.
  if (!was_up || !in_flight_.empty()) {
    server_->RecordFailure(now);
  }
  UpstreamStats& stats = server_->Stats();
  // Entries are moved out first: a waiter woken here runs only after this callback returns, but
  // keep the deque consistent anyway.
  std::deque<InFlight> failed;
  failed.swap(in_flight_);
  for (InFlight& entry : failed) {
    stats.in_flight.Sub();
    server_->InFlightBytes() -= entry.bytes;
    (timed_out ? stats.timeouts : stats.errors).Add();
    if (entry.result != nullptr) {
      *entry.result = core::Result{};
      entry.result->outcome = core::Outcome::kUpstreamError;
    }
    for (core::Result* r : entry.batch_results) {
      *r = core::Result{};
      r->outcome = core::Outcome::kUpstreamError;
    }
    if (entry.waiter != nullptr) {
      entry.waiter->Done();
    }
  }
}

bool UpstreamConnection::Holds(const Waiter* waiter) const {
  return std::any_of(in_flight_.begin(), in_flight_.end(),
                     [waiter](const InFlight& e) { return e.waiter == waiter; });
}

UpstreamServer::UpstreamServer(event_base* base, const sockaddr_in& addr,
                               const UpstreamOptions& options, UpstreamStats* stats,
                               std::size_t* in_flight_bytes)
    : addr_(addr), options_(options), stats_(stats), in_flight_bytes_(in_flight_bytes) {
  for (uint32_t i = 0; i < std::max<uint32_t>(1, options.connections_per_server); ++i) {
    connections_.push_back(std::make_unique<UpstreamConnection>(base, this));
  }
}

UpstreamConnection* UpstreamServer::Next() {
  UpstreamConnection* c = connections_[next_].get();
  next_ = (next_ + 1) % connections_.size();
  return c;
}

bool UpstreamServer::RecordFailure(SteadyTime now) {
  if (ejected_ || options_.failure_limit == 0) {
    return false;
  }
  if (++consecutive_failures_ < options_.failure_limit) {
    return false;
  }
  ejected_ = true;
  ejected_until_ = now + options_.retry_timeout;
  consecutive_failures_ = 0;
  ++membership_epoch_;
  stats_->ejections.Add();
  stats_->ejected.Set(1);
  return true;
}

bool UpstreamServer::Ejected(SteadyTime now) {
  if (ejected_ && now >= ejected_until_) {
    ejected_ = false;
    ++membership_epoch_;
    stats_->ejected.Set(0);
  }
  return ejected_;
}

}  // namespace corecached::proxy
