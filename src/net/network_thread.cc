#include "net/network_thread.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/fiber/all.hpp>
#include <exception>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/log.h"
#include "core/thread_name.h"
#include "net/tls_stream.h"
#include "net/watch_collector.h"
#include "runtime/stack_pool.h"

namespace corecached::net {

NetworkThread::NetworkThread(const NetworkThreadOptions& options, SessionEnv env,
                             ConnectionGate* gate, runtime::LoopGuest* guest)
    : options_(options),
      env_(std::move(env)),
      gate_(gate),
      guest_(guest),
      inbox_(options.inbox_capacity) {
  env_.net_stats = &stats_;
  env_.spare_work = &spare_work_;
  // With an idle timeout the parked read carries the deadline, so the fiber stays.
  env_.release_when_idle = env_.idle_timeout.count() == 0;
  env_.max_output_bytes = options.max_output_bytes;
  env_.slow_client_timeout = options.slow_client_timeout;
  if (!options.auth_file.empty()) {
    auth_ = std::make_unique<Authenticator>(options.auth_file);
    std::string error;
    if (!auth_->Reload(&error)) {
      throw std::runtime_error(error);
    }
    env_.auth = auth_.get();
  }
}

bool NetworkThread::ReloadAuth(std::string* error) {
  return auth_ == nullptr || auth_->Reload(error);
}

NetworkThread::~NetworkThread() { Stop(); }

void NetworkThread::Start() {
  thread_ = std::thread([this] { Run(); });
}

void NetworkThread::Stop() {
  RequestStop();
  Join();
}

void NetworkThread::RequestStop() {
  stopping_.store(true);
  inbox_waker_.Wake();
}

void NetworkThread::Join() {
  if (thread_.joinable()) {
    thread_.join();
  }
}

bool NetworkThread::Adopt(int fd, bool tls) {
  if (!inbox_.push(Adopted{fd, tls})) {
    return false;
  }
  inbox_waker_.Wake();
  return true;
}

void NetworkThread::Run() {
  core::NameThisThread("cc-worker");
  if (options_.nice != 0) {
    // Linux: PRIO_PROCESS with a thread id sets that thread's nice value alone.
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    [[maybe_unused]] int rc = setpriority(PRIO_PROCESS, tid, options_.nice);
  }
  runtime::EventBasePtr base = runtime::NewEventBase();
  runtime::RemoteWake* wake = guest_ != nullptr ? guest_->Wake() : &own_wake_;
  boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(
      base.get(), wake, std::chrono::microseconds(options_.spin_us), guest_);
  boost::fibers::fiber guest;
  if (guest_ != nullptr) {
    guest = boost::fibers::fiber([this] { guest_->Run(); });
  }
  AcceptLoop(base.get());
  spare_work_.clear();  // on this thread, while the loop and its guest still exist
  if (guest_ != nullptr) {
    guest_->ConnectionsDrained();
    guest.join();
  }
}

void NetworkThread::AcceptLoop(event_base* base) {
  runtime::Parker acceptor;
  acceptor_ = &acceptor;
  auto on_inbox = [](evutil_socket_t, short, void* arg) {
    auto* self = static_cast<NetworkThread*>(arg);
    self->inbox_waker_.Drain();
    self->acceptor_->Unpark();
  };
  runtime::EventPtr inbox_event(
      event_new(base, inbox_waker_.Fd(), EV_READ | EV_PERSIST, on_inbox, this));
  event_add(inbox_event.get(), nullptr);
  // Once a second: hand back the fiber stacks the last second did not need (runtime::PooledStack).
  auto on_trim = [](evutil_socket_t, short, void*) { runtime::PooledStack::Trim(); };
  runtime::EventPtr trim_event(event_new(base, -1, EV_PERSIST, on_trim, nullptr));
  const timeval one_second{1, 0};
  event_add(trim_event.get(), &one_second);
  while (!stopping_.load()) {
    Adopted next;
    while (inbox_.pop(next)) {
      auto conn = std::make_unique<Connection>(next.fd, base, env_, this);
      conn->tls_pending = next.tls;
      stats_.curr_connections.Add();
      stats_.total_connections.Add();
      conn->next = live_;
      if (live_ != nullptr) {
        live_->prev = conn.get();
      }
      live_ = conn.release();  // owned by the live list until Close
      ++live_count_;
      if (env_.watch != nullptr && env_.watch->Wants(core::kWatchConnEvents)) {
        LogConnEvent(env_.watch, next.fd, core::WatchEvent::Kind::kConnNew);
      }
      StartFiber(live_);
    }
    for (std::size_t i = 0; i < ready_.size(); ++i) {  // StartFiber may not append: no suspension
      StartFiber(ready_[i]);
    }
    ready_.clear();
    if (conn_stats_asked_.load(std::memory_order_acquire) !=
        conn_stats_answered_.load(std::memory_order_relaxed)) {
      AnswerConnStats();
    }
    acceptor.Park();
  }
  // Shutdown: connections still in the inbox were never served.
  Adopted left;
  while (inbox_.pop(left)) {
    close(left.fd);
    gate_->open.fetch_sub(1);
  }
  Drain();
  acceptor_ = nullptr;
}

// Every connection finishes the request it is serving: idle ones close at once, readable ones
// get their fiber (and close when it goes idle), running ones are kicked.
void NetworkThread::Drain() {
  for (Connection* conn : ready_) {
    StartFiber(conn);
  }
  ready_.clear();
  runtime::Parker drained;
  drained_ = &drained;
  for (Connection* conn = live_; conn != nullptr;) {
    Connection* next = conn->next;
    if (conn->running) {
      conn->io.Kick();
    } else {
      Close(conn);
    }
    conn = next;
  }
  while (live_ != nullptr) {
    drained.Park();
  }
  drained_ = nullptr;
}

void NetworkThread::OnIdleReadable(void* arg) {
  auto* conn = static_cast<Connection*>(arg);
  conn->io.SetIdleWake(nullptr, nullptr);
  conn->running = true;
  conn->thread->ready_.push_back(conn);
  conn->thread->acceptor_->Unpark();
}

void NetworkThread::StartFiber(Connection* conn) {
  conn->running = true;
  conn->last_active_s = CoarseSeconds();
  boost::fibers::fiber(std::allocator_arg, runtime::PooledStack(options_.fiber_stack_bytes),
                       [this, conn] { Serve(conn); })
      .detach();
}

void NetworkThread::Serve(Connection* conn) {
  Session::RunResult result = Session::RunResult::kClosed;
  try {
    // TLS: the handshake runs in the connection's first fiber; a refused one ends the connection.
    if (conn->tls_pending) {
      conn->tls_pending = false;
      if (AcceptTls(&conn->io, env_.tls) != TlsAccept::kOk) {
        Close(conn);
        return;
      }
    }
    result = conn->session.Run();
  } catch (const std::exception& e) {
    // Reaching this is a bug (STYLE.md 6.4): log it, drop this connection, keep the server up.
    static core::RateLimitedLog limiter;
    limiter.Write(core::LogSeverity::kError,
                  std::string("connection dropped after an internal error: ") + e.what());
  } catch (...) {
    static core::RateLimitedLog limiter;
    limiter.Write(core::LogSeverity::kError, "connection dropped after an unknown internal error");
  }
  if (result == Session::RunResult::kIdle && drained_ == nullptr && !conn->io.Kicked()) {
    // Idle: the fiber ends here; the next readable event starts another (OnIdleReadable).
    conn->running = false;
    conn->io.SetIdleWake(&OnIdleReadable, conn);
    return;
  }
  Close(conn);
}

void NetworkThread::Close(Connection* conn) {
  if (conn->prev != nullptr) {
    conn->prev->next = conn->next;
  } else {
    live_ = conn->next;
  }
  if (conn->next != nullptr) {
    conn->next->prev = conn->prev;
  }
  --live_count_;
  if (env_.watch != nullptr && env_.watch->Wants(core::kWatchConnEvents)) {
    LogConnEvent(env_.watch, conn->io.Fd(), core::WatchEvent::Kind::kConnClose,
                 drained_ != nullptr ? core::WatchEvent::CloseReason::kShutdown
                                     : conn->session.CloseReason());
  }
  std::unique_ptr<Connection> owned(conn);  // closes the socket
  owned.reset();
  stats_.curr_connections.Sub();
  gate_->open.fetch_sub(1);
  if (drained_ != nullptr && live_ == nullptr) {
    drained_->Unpark();
  }
}

}  // namespace corecached::net
