#pragma once

#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace corecached::core {

// Names the calling thread, as memcached names its own (mc-worker, mc-lrumaint, ...), so top -H,
// ps -T, perf and /proc/PID/task/*/comm tell the loop threads from the cold tier's I/O threads.
// Linux keeps 15 bytes: a longer name is cut. Failure changes nothing and is ignored.
inline void NameThisThread(std::string_view name) {
  char buf[16] = {};
  std::memcpy(buf, name.data(), std::min(name.size(), sizeof(buf) - 1));
  (void)pthread_setname_np(pthread_self(), buf);
}

}  // namespace corecached::core
