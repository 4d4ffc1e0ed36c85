#pragma once

#include <atomic>
#include <cstdint>

namespace corecached::core {

// Clock is where every module reads the time; nothing calls the system clock directly, so tests can
// move time with ManualClock and never sleep (STYLE.md section 8).
//
// Thread: any. Implementations must be safe to call from every thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  [[nodiscard]] virtual int64_t NowSeconds() const = 0;
  // Microseconds from an arbitrary fixed origin; only differences are meaningful.
  [[nodiscard]] virtual int64_t NowMicros() const = 0;
};

// SystemClock reads CLOCK_REALTIME (seconds) and CLOCK_MONOTONIC (micros).
// Thread: any (immutable).
class SystemClock final : public Clock {
 public:
  [[nodiscard]] int64_t NowSeconds() const override;
  [[nodiscard]] int64_t NowMicros() const override;
  // The process-wide instance.
  static const SystemClock& Instance();
};

// ManualClock only moves when told to. Thread: any (atomics only).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_seconds = 1'700'000'000) : seconds_(now_seconds) {}
  [[nodiscard]] int64_t NowSeconds() const override { return seconds_.load(); }
  [[nodiscard]] int64_t NowMicros() const override { return seconds_.load() * 1'000'000; }
  void Advance(int64_t seconds) { seconds_.fetch_add(seconds); }
  void Set(int64_t now_seconds) { seconds_.store(now_seconds); }

 private:
  std::atomic<int64_t> seconds_;
};

// Converts a protocol exptime to an absolute Unix time, memcached's rules (protocol.txt
// "Expiration times", memcached.c realtime()):
//   0                      -> 0 (never expires)
//   negative               -> already expired (returns kExpiredNow)
//   1 .. 30 days           -> now + exptime
//   larger                 -> a Unix time; one at or before the server's start is already expired.
inline constexpr int64_t kExpiredNow = -1;
[[nodiscard]] int64_t ToAbsoluteExptime(int64_t exptime, int64_t now_seconds,
                                        int64_t process_started_seconds);

}  // namespace corecached::core
