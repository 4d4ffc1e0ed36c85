#include "server/signals.h"

#include <csignal>
#include <iostream>
#include <utility>

namespace corecached::server {

SignalHandlers::SignalHandlers(event_base* base, std::function<void()> on_stop)
    : on_stop_(std::move(on_stop)) {
  std::signal(SIGPIPE, SIG_IGN);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
    events_.emplace_back(evsignal_new(base, signo, &OnSignal, this));
    evsignal_add(events_.back().get(), nullptr);
  }
}

void SignalHandlers::OnSignal(evutil_socket_t signo, short /*what*/, void* arg) {
  auto* self = static_cast<SignalHandlers*>(arg);
  if (signo == SIGHUP) {
    std::cerr << "corecached: SIGHUP received; configuration reload is not supported yet\n";
    return;
  }
  self->on_stop_();
}

}  // namespace corecached::server
