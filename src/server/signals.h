#pragma once

#include <event2/event.h>

#include <functional>
#include <vector>

#include "runtime/event_base.h"

namespace corecached::server {

// SignalHandlers routes SIGTERM, SIGINT and SIGUSR1 (memcached's graceful stop) to `on_stop` and
// SIGHUP to `on_reload` through libevent's signal events: the real handler only writes to
// libevent's internal socketpair (async-signal-safe), and the callbacks run later on the main loop,
// where they may log, read files and take locks. SIGPIPE is ignored (every send uses MSG_NOSIGNAL
// anyway).
//
// Thread: main. Lives while the main loop runs; the callbacks run on the main thread.
class SignalHandlers {
 public:
  SignalHandlers(event_base* base, std::function<void()> on_stop, std::function<void()> on_reload);

 private:
  static void OnSignal(evutil_socket_t signo, short what, void* arg);
  std::function<void()> on_stop_;
  std::function<void()> on_reload_;
  std::vector<runtime::EventPtr> events_;
};

}  // namespace corecached::server
