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
#include "net/tls_stream.h"

namespace corecached::net {

NetworkThread::NetworkThread(const NetworkThreadOptions& options, SessionEnv env,
                             ConnectionGate* gate)
    : options_(options), env_(std::move(env)), gate_(gate), inbox_(options.inbox_capacity) {
  env_.net_stats = &stats_;
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
  if (!thread_.joinable()) {
    return;
  }
  stopping_.store(true);
  inbox_waker_.Wake();
  thread_.join();
}

bool NetworkThread::Adopt(int fd, bool tls) {
  if (!inbox_.push(Adopted{fd, tls})) {
    return false;
  }
  inbox_waker_.Wake();
  return true;
}

void NetworkThread::Run() {
  if (options_.nice != 0) {
    // Linux: PRIO_PROCESS with a thread id sets that thread's nice value alone.
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    [[maybe_unused]] int rc = setpriority(PRIO_PROCESS, tid, options_.nice);
  }
  runtime::EventBasePtr base = runtime::NewEventBase();
  runtime::Waker scheduler_waker;
  boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(
      base.get(), &scheduler_waker, std::chrono::microseconds(options_.spin_us));
  AcceptLoop(base.get());
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
  while (!stopping_.load()) {
    Adopted next;
    while (inbox_.pop(next)) {
      boost::fibers::fiber(std::allocator_arg,
                           boost::fibers::protected_fixedsize_stack(options_.fiber_stack_bytes),
                           [this, next, base] { Serve(next.fd, next.tls, base); })
          .detach();
    }
    acceptor.Park();
  }
  // Shutdown: connections still in the inbox were never served.
  Adopted left;
  while (inbox_.pop(left)) {
    close(left.fd);
    gate_->open.fetch_sub(1);
  }
  runtime::Parker drained;
  drained_ = &drained;
  for (SocketIo* io : live_) {
    io->Kick();
  }
  while (!live_.empty()) {
    drained.Park();
  }
  drained_ = nullptr;
  acceptor_ = nullptr;
}

void NetworkThread::Serve(int fd, bool tls, event_base* base) {
  stats_.curr_connections.Add();
  stats_.total_connections.Add();
  {
    SocketIo io(fd, base);
    live_.insert(&io);
    try {
      // TLS: the handshake runs here, in the connection's fiber; a refused one ends the connection.
      if (!tls || AcceptTls(&io, env_.tls) == TlsAccept::kOk) {
        Session session(&io, env_);
        session.Run();
      }
    } catch (const std::exception& e) {
      // Reaching this is a bug (STYLE.md 6.4): log it, drop this connection, keep the server up.
      static core::RateLimitedLog limiter;
      limiter.Write(core::LogSeverity::kError,
                    std::string("connection dropped after an internal error: ") + e.what());
    } catch (...) {
      static core::RateLimitedLog limiter;
      limiter.Write(core::LogSeverity::kError,
                    "connection dropped after an unknown internal error");
    }
    live_.erase(&io);
  }
  stats_.curr_connections.Sub();
  gate_->open.fetch_sub(1);
  if (drained_ != nullptr && live_.empty()) {
    drained_->Unpark();
  }
}

}  // namespace corecached::net
