#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "core/command.h"
#include "core/relaxed_counter.h"

namespace corecached::net {

// Command families for request latency (the metrics label "family").
enum class CommandFamily : uint8_t { kGet, kStore, kDelete, kArith, kTouch, kOther };
inline constexpr std::size_t kCommandFamilies = 6;

[[nodiscard]] constexpr CommandFamily FamilyOf(core::Op op) {
  switch (op) {
    case core::Op::kGet:
      return CommandFamily::kGet;
    case core::Op::kSet:
    case core::Op::kAdd:
    case core::Op::kReplace:
    case core::Op::kAppend:
    case core::Op::kPrepend:
    case core::Op::kCas:
      return CommandFamily::kStore;
    case core::Op::kDelete:
      return CommandFamily::kDelete;
    case core::Op::kIncr:
    case core::Op::kDecr:
      return CommandFamily::kArith;
    case core::Op::kTouch:
      return CommandFamily::kTouch;
    case core::Op::kFlushAll:
    case core::Op::kDump:
    case core::Op::kSetLimit:
      return CommandFamily::kOther;
  }
  return CommandFamily::kOther;
}

// Upper bounds (microseconds) of the latency buckets; one more bucket catches the rest (+Inf).
inline constexpr std::array<uint64_t, 12> kLatencyBoundsUs = {
    10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 50000, 250000};

// LatencyHistogram: plain per-thread bucket counters (not cumulative), folded by the metrics
// scrape. A Record is a 12-way compare and two relaxed adds: no locked instruction.
// Thread: written by the owning network thread only; read from any (atomics only).
struct LatencyHistogram {
  std::array<core::RelaxedCounter, kLatencyBoundsUs.size() + 1> buckets;
  core::RelaxedCounter sum_ns;

  void Record(std::chrono::nanoseconds elapsed) {
    const auto ns = static_cast<uint64_t>(elapsed.count() < 0 ? 0 : elapsed.count());
    std::size_t i = 0;
    while (i < kLatencyBoundsUs.size() && ns > kLatencyBoundsUs[i] * 1000) {
      ++i;
    }
    buckets[i].Add();
    sum_ns.Add(ns);
  }
};

// NetStats: one network thread's counters. Written by that thread only, read by `stats` and the
// metrics scrape from any thread (core::RelaxedCounter).
struct NetStats {
  core::RelaxedCounter bytes_read;
  core::RelaxedCounter bytes_written;
  core::RelaxedCounter curr_connections;
  core::RelaxedCounter total_connections;
  core::RelaxedCounter idle_kicks;
  // memcached's conn_yields (a connection reached reqs_per_event with requests pending): a round
  // ended at its request limit while parsed-ahead input was still waiting.
  core::RelaxedCounter conn_yields;
  // memcached's auth_cmds / auth_errors: credentials checked (text `set` while unauthenticated,
  // binary SASL Auth/Step that completed or failed), and those refused.
  core::RelaxedCounter auth_cmds;
  core::RelaxedCounter auth_errors;
  // Text/meta storage commands refused as too large by the parser (memcached's store_too_large
  // counts them; the shards count the ones refused when allocating).
  core::RelaxedCounter store_too_large;
  // Time of each round in Router::ExecuteRound, under the family of its first keyed command.
  std::array<LatencyHistogram, kCommandFamilies> latency;
};

// ConnectionLimits is shared by the listener and every network thread.
// Thread: any (atomics only).
struct ConnectionGate {
  std::atomic<int64_t> open{0};  // connections accepted and not yet closed
  std::atomic<int64_t> max_open{1024};
  std::atomic<uint64_t> rejected{0};  // refused with "Too many open connections"
  std::atomic<uint64_t> accepted{0};  // total accepted (memcached's total_connections)
};

}  // namespace corecached::net
