#include "shard/backpressure.h"

#include <doctest/doctest.h>

namespace corecached::shard {
namespace {

BackpressureOptions Bounds(std::size_t depth, int64_t delay_us) {
  BackpressureOptions o;
  o.max_queue_depth = depth;
  o.max_queue_delay_us = delay_us;
  return o;
}

TEST_CASE("Backpressure: an idle shard is never shed") {
  QueueState q;
  CHECK_FALSE(ShouldShed(q, Bounds(4, 1000)));
  CHECK_FALSE(ShouldShed(q, Bounds(0, 0)));
}

TEST_CASE("Backpressure: depth bound sheds at the bound, not before") {
  QueueState q;
  q.depth_batches = 3;
  CHECK_FALSE(ShouldShed(q, Bounds(4, 0)));
  q.depth_batches = 4;
  CHECK(ShouldShed(q, Bounds(4, 0)));
  CHECK_FALSE(ShouldShed(q, Bounds(0, 0)));  // 0 = no depth bound
}

TEST_CASE("Backpressure: delay bound sheds once the oldest batch waited long enough") {
  QueueState q;
  q.queue_delay_us = 999;
  CHECK_FALSE(ShouldShed(q, Bounds(0, 1000)));
  q.queue_delay_us = 1000;
  CHECK(ShouldShed(q, Bounds(0, 1000)));
  CHECK_FALSE(ShouldShed(q, Bounds(0, 0)));  // 0 = no delay bound
}

TEST_CASE("Backpressure: retry hint is queued commands over drain rate, rounded up") {
  QueueState q;
  q.drain_commands_per_s = 1'000'000;  // 1000 per ms
  q.queued_commands = 5000;
  CHECK(RetryAfterMs(q) == 5);
  q.queued_commands = 5001;
  CHECK(RetryAfterMs(q) == 6);
  q.drain_commands_per_s = 100'000;  // a slower shard: the same queue takes longer
  CHECK(RetryAfterMs(q) == 51);
}

TEST_CASE("Backpressure: retry hint is clamped to [1 ms, 10 s]") {
  QueueState q;
  q.drain_commands_per_s = 1'000'000;
  q.queued_commands = 0;
  CHECK(RetryAfterMs(q) == kMinRetryMs);
  q.drain_commands_per_s = 1;
  q.queued_commands = 1'000'000;
  CHECK(RetryAfterMs(q) == kMaxRetryMs);
}

TEST_CASE("Backpressure: before the first rate sample the queue delay is the hint") {
  QueueState q;
  q.queued_commands = 100;
  q.queue_delay_us = 2500;
  CHECK(RetryAfterMs(q) == 3);
  q.queue_delay_us = 0;
  CHECK(RetryAfterMs(q) == 1);
}

TEST_CASE("Backpressure: the owning loop's lag sheds like queue delay, and the hint covers it") {
  QueueState q;
  q.loop_lag_us = 999;
  CHECK_FALSE(ShouldShed(q, Bounds(0, 1000)));
  q.loop_lag_us = 1000;
  CHECK(ShouldShed(q, Bounds(0, 1000)));
  CHECK_FALSE(ShouldShed(q, Bounds(0, 0)));
  // Nothing queued, fast drain: the hint is still at least one lagging turn (4.2 ms -> 5 ms).
  q.drain_commands_per_s = 1'000'000;
  q.queued_commands = 10;
  q.loop_lag_us = 4200;
  CHECK(RetryAfterMs(q) == 5);
}

TEST_CASE("issue #10: the hint is never below the queue delay that made the shard shed") {
  QueueState q;
  q.drain_commands_per_s = 10'000'000;  // fast once it runs: the drain estimate alone says 1 ms
  q.queued_commands = 100;
  q.queue_delay_us = 120'000;  // but the last message waited 120 ms
  CHECK(RetryAfterMs(q) == 120);
}

TEST_CASE("DrainRate: pools samples until a 1 ms window, then averages") {
  DrainRate rate;
  CHECK_FALSE(rate.Record(100, 400'000));
  CHECK(rate.CommandsPerS() == 0);
  CHECK(rate.Record(150, 600'000));  // 250 commands in 1 ms
  CHECK(rate.CommandsPerS() == 250'000);
  CHECK(rate.Record(1250, 1'000'000));  // a faster window: EWMA moves a quarter of the way
  CHECK(rate.CommandsPerS() == (250'000 * 3 + 1'250'000) / 4);
}

TEST_CASE("DrainRate: a negative busy time (clock oddity) counts as zero") {
  DrainRate rate;
  CHECK_FALSE(rate.Record(10, -5));
  CHECK(rate.CommandsPerS() == 0);
}

}  // namespace
}  // namespace corecached::shard
