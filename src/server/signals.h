#pragma once

#include <event2/event.h>

#include <functional>
#include <vector>

#include "runtime/event_base.h"

namespace corecached::server {

// SignalHandlers routes SIGTERM and SIGINT to `on_stop` through libevent's signal events (the
// handler itself only writes to libevent's internal socketpair: async-signal-safe), and ignores
// SIGPIPE (every send uses MSG_NOSIGNAL anyway). SIGHUP is accepted and logged until reloading
// arrives (issue #5).
//
// Thread: main. Lives while the main loop runs.
class SignalHandlers {
 public:
  SignalHandlers(event_base* base, std::function<void()> on_stop);

 private:
  static void OnSignal(evutil_socket_t signo, short what, void* arg);
  std::function<void()> on_stop_;
  std::vector<runtime::EventPtr> events_;
};

}  // namespace corecached::server
