#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace corecached::shard {

// The shedding rule and the retry hint, as pure functions of numbers the shard publishes, so that
// unit tests drive them with made-up times (STYLE.md 8: no clock in unit tests).

// Bounds on one shard's inbound work (config backpressure.*).
struct BackpressureOptions {
  // Request messages queued for the shard, over all inbound channels. 0 = no depth bound.
  std::size_t max_queue_depth = 4096;
  // Shed once a queued message waited this long, or the owning thread's loop took this long for
  // one turn (its own lag: inline work delays everything on the thread). 0 = no delay bound.
  int64_t max_queue_delay_us = 100'000;
};

// What the network side reads from a shard before it submits (each an atomic in Shard).
struct QueueState {
  std::size_t depth_batches = 0;      // request messages (per-turn batches) queued now
  std::size_t queued_commands = 0;    // commands in those batches
  int64_t queue_delay_us = 0;         // age of the oldest queued batch
  uint64_t drain_commands_per_s = 0;  // EWMA of the shard's execution rate; 0 = not measured yet
  int64_t loop_lag_us = 0;            // the owning thread's last busy loop turn
};

// True when a new batch for this shard must be shed at once (answered kBusy) instead of queued.
[[nodiscard]] inline bool ShouldShed(const QueueState& q, const BackpressureOptions& o) {
  if (o.max_queue_depth != 0 && q.depth_batches >= o.max_queue_depth) {
    return true;
  }
  return o.max_queue_delay_us != 0 &&
         std::max(q.queue_delay_us, q.loop_lag_us) >= o.max_queue_delay_us;
}

// Bounds on the hint: at least 1 ms (0 would invite a busy loop), at most 10 s (past that the
// estimate says more about a stalled shard than about when to come back).
inline constexpr uint32_t kMinRetryMs = 1;
inline constexpr uint32_t kMaxRetryMs = 10'000;

// Retry hint: the time the shard needs to drain what is queued now, queued_commands / drain rate,
// rounded up, and at least the queue delay and the owning thread's loop lag (the waits that made it
// shed). Before the first rate measurement the oldest batch's age stands in for the drain time.
[[nodiscard]] inline uint32_t RetryAfterMs(const QueueState& q) {
  uint64_t ms = 0;
  if (q.drain_commands_per_s > 0) {
    uint64_t work = static_cast<uint64_t>(q.queued_commands) * 1000;
    ms = (work + q.drain_commands_per_s - 1) / q.drain_commands_per_s;
  } else {
    ms = static_cast<uint64_t>(std::max<int64_t>(q.queue_delay_us, 0) + 999) / 1000;
  }
  // Never below the wait that made us shed: a queue whose last message waited 100 ms does not
  // drain in 1 ms however fast the shard runs once it gets the core (seen under a loaded box).
  const int64_t waited_us = std::max<int64_t>({q.loop_lag_us, q.queue_delay_us, 0});
  ms = std::max(ms, static_cast<uint64_t>(waited_us + 999) / 1000);
  return static_cast<uint32_t>(std::clamp<uint64_t>(ms, kMinRetryMs, kMaxRetryMs));
}

// DrainRate estimates how many commands per second a shard executes while it has work: busy time
// only, so an idle shard does not look slow. Samples shorter than kWindowNs are pooled until the
// window fills, then folded into an EWMA (weight 1/4 for the new window).
//
// Owner: its Shard. Thread: owning network thread (the result is published through an atomic).
class DrainRate {
 public:
  static constexpr int64_t kWindowNs = 1'000'000;  // 1 ms: long enough to average many batches

  // Adds `commands` executed in `busy_ns` of busy time. Returns true when the estimate changed.
  bool Record(std::size_t commands, int64_t busy_ns) {
    window_commands_ += commands;
    window_ns_ += std::max<int64_t>(busy_ns, 0);
    if (window_ns_ < kWindowNs) {
      return false;
    }
    uint64_t sample = window_commands_ * 1'000'000'000ULL / static_cast<uint64_t>(window_ns_);
    per_s_ = per_s_ == 0 ? sample : (per_s_ * 3 + sample) / 4;
    window_commands_ = 0;
    window_ns_ = 0;
    return true;
  }
  [[nodiscard]] uint64_t CommandsPerS() const { return per_s_; }

 private:
  uint64_t window_commands_ = 0;
  int64_t window_ns_ = 0;
  uint64_t per_s_ = 0;
};

}  // namespace corecached::shard
