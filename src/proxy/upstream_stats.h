#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/relaxed_counter.h"

namespace corecached::proxy {

// Upper bounds (microseconds) of the upstream latency histogram's buckets; a last bucket takes
// the rest (+Inf). From a loopback round trip (~50 us) to past any sane timeout_ms.
inline constexpr std::array<uint64_t, 12> kLatencyBoundsUs = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000};

// UpstreamStats counts one upstream server's traffic from one network thread.
//
// Owner: that thread's UpstreamServer. Thread: written by the owning network thread only, read
// from any (atomics only); the server/ collector sums them over threads.
struct UpstreamStats {
  core::RelaxedCounter requests;   // requests sent (mirror writes included)
  core::RelaxedCounter errors;     // failed requests: refused, reset, error replies, ejected
  core::RelaxedCounter timeouts;   // requests that ran past timeout_ms
  core::RelaxedCounter ejections;  // times the server was ejected
  core::RelaxedCounter in_flight;  // requests sent and not yet answered (a gauge)
  core::RelaxedCounter ejected;    // 1 while ejected (a gauge)
  std::array<core::RelaxedCounter, kLatencyBoundsUs.size() + 1> latency_buckets;
  core::RelaxedCounter latency_sum_us;

  void Observe(std::chrono::microseconds latency) {
    auto us = static_cast<uint64_t>(latency.count());
    std::size_t i = 0;
    while (i < kLatencyBoundsUs.size() && us > kLatencyBoundsUs[i]) {
      ++i;
    }
    latency_buckets[i].Add();
    latency_sum_us.Add(us);
  }
};

}  // namespace corecached::proxy
