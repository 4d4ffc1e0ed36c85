#include "server/signals.h"

#include <csignal>
#include <utility>

#include "core/log.h"

namespace corecached::server {

SignalHandlers::SignalHandlers(event_base* base, std::function<void()> on_stop,
                               std::function<void()> on_reload)
    : on_stop_(std::move(on_stop)), on_reload_(std::move(on_reload)) {
  std::signal(SIGPIPE, SIG_IGN);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
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
  core::Log::Info(signo == SIGTERM ? "SIGTERM received; shutting down"
                                   : "SIGINT received; shutting down");
  self->on_stop_();
}

}  // namespace corecached::server
