#pragma once

#include <atomic>
#include <boost/fiber/future/promise.hpp>
#include <cstdint>
#include <vector>

#include "core/command.h"
#include "core/result.h"

namespace corecached::shard {

// Batch is the commands one connection parsed from one read for one shard, their result slots and
// one promise (../shared/notes/fibers-and-libevent.md: one queue entry and one promise per batch,
// never one hop per command).
//
// Owner: the connection's Router, which reuses it round after round. Between Shard::Submit and the
// promise's fulfilment the shard thread reads `commands` and writes `results`; the network thread
// touches neither until its future is ready. After set_value() the shard never touches it again.
struct Batch {
  std::vector<core::Command> commands;
  std::vector<core::Result> results;
  boost::fibers::promise<void> done;
  // Set (release) by the shard after the last result is written, read (acquire) by the network
  // thread once the future is ready. The promise already orders the two threads; this makes the
  // contract explicit in our code and visible to TSan, which cannot see inside Debian's
  // uninstrumented Boost.Fiber.
  std::atomic<bool> executed{false};
  // steady_clock nanoseconds when Shard::Submit queued it: the shard measures how long it waited
  // (its queue delay, the backpressure signal). Written by the producer before the push.
  int64_t enqueued_ns = 0;
};

}  // namespace corecached::shard
