#pragma once

#include <cstdint>
#include <vector>

#include "core/command.h"
#include "core/result.h"

namespace corecached::shard {

class Router;

// Message carries the commands one network thread gathered, during one loop turn and from all of
// its connections, for the shard another network thread hosts; the owner executes them in its next
// turn and sends the same Message back with the results (issue #10: one message per destination
// per turn, each way).
//
// Owner: the thread that built it (`origin`), which reuses it. Between the push onto the owner's
// inbound Channel and the push of the reply back, only the owner's thread touches `commands` and
// `results`; `waiters` is touched by the origin thread only. The SPSC queue's release/acquire
// orders the hand-offs (TSan sees them: Boost.Lockfree is header-only).
struct Message {
  uint32_t origin = 0;  // network thread (and shard) index that built it
  uint32_t dest = 0;    // the shard that executes it
  bool reply = false;   // false: on its way to the owner; true: executed, on its way back
  // steady_clock nanoseconds at the push: the owner measures its queue delay (backpressure).
  int64_t sent_ns = 0;
  std::vector<core::Command> commands;
  std::vector<core::Result> results;  // filled by the owner, one per command, in order
  // Which Router waits for which commands: [first, first + count) belong to `router`.
  struct Waiter {
    Router* router = nullptr;
    uint32_t first = 0;
    uint32_t count = 0;
  };
  std::vector<Waiter> waiters;
};

}  // namespace corecached::shard
