#include "core/clock.h"

#include <ctime>

#include "core/protocol_limits.h"

namespace corecached::core {

int64_t SystemClock::NowSeconds() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts.tv_sec;
}

int64_t SystemClock::NowMicros() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000 + ts.tv_nsec / 1000;
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock kClock;
  return kClock;
}

int64_t ToAbsoluteExptime(int64_t exptime, int64_t now_seconds, int64_t process_started_seconds) {
  if (exptime == 0) {
    return 0;
  }
  if (exptime < 0) {
    return kExpiredNow;
  }
  if (exptime > kRelativeExptimeLimitSeconds) {
    // memcached.c realtime(): an absolute time before the process started means "already gone".
    if (exptime <= process_started_seconds) {
      return kExpiredNow;
    }
    return exptime;
  }
  return now_seconds + exptime;
}

}  // namespace corecached::core
