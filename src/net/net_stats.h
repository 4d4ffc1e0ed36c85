#pragma once

#include <atomic>
#include <cstdint>

#include "core/relaxed_counter.h"

namespace corecached::net {

// NetStats: one network thread's counters. Written by that thread only, read by `stats` and the
// metrics scrape from any thread (core::RelaxedCounter).
struct NetStats {
  core::RelaxedCounter bytes_read;
  core::RelaxedCounter bytes_written;
  core::RelaxedCounter curr_connections;
  core::RelaxedCounter total_connections;
  core::RelaxedCounter idle_kicks;
  core::RelaxedCounter conn_yields;
  core::RelaxedCounter shed_requests;  // results answered kBusy because a channel was full
};

// ConnectionLimits is shared by the listener and every network thread.
// Thread: any (atomics only).
struct ConnectionGate {
  std::atomic<int64_t> open{0};       // connections accepted and not yet closed
  std::atomic<int64_t> max_open{1024};
  std::atomic<uint64_t> rejected{0};  // refused with "Too many open connections"
  std::atomic<uint64_t> accepted{0};  // total accepted (memcached's total_connections)
};

}  // namespace corecached::net
