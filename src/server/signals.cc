#include "server/signals.h"

#include <csignal>
#include <string>
#include <utility>

#include "core/log.h"

namespace corecached::server {

SignalHandlers::SignalHandlers(event_base* base, std::function<void()> on_stop,
                               std::function<void()> on_reload)
    : on_stop_(std::move(on_stop)), on_reload_(std::move(on_reload)) {
  std::signal(SIGPIPE, SIG_IGN);
  for (int signo : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) {
    events_.emplace_back(evsignal_new(base, signo, &OnSignal, this));
    evsignal_add(events_.back().get(), nullptr);
  }
}

void SignalHandlers::OnSignal(evutil_socket_t signo, short /*what*/, void* arg) {
  auto* self = static_cast<SignalHandlers*>(arg);
  if (signo == SIGHUP) {
    self->on_reload_();
    return;
  }
  // memcached: SIGUSR1 is its graceful stop. Every stop here is graceful (each connection finishes
  // its request), so all three do the same.
  const char* name = signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "SIGUSR1";
  core::Log::Info(std::string(name) + " received; shutting down");
  self->on_stop_();
}

}  // namespace corecached::server
