#pragma once

#include <atomic>
#include <boost/fiber/condition_variable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"
#include "shard/backpressure.h"
#include "shard/batch.h"
#include "shard/channel.h"
#include "shard/shard_stats.h"
#include "shard/store.h"

namespace corecached::shard {

using ShardId = uint32_t;

struct ShardOptions {
  StoreOptions store;
  // Capacity of each network thread's channel. A connection has at most one batch in flight per
  // shard, so a capacity >= the connections one network thread may hold never fills.
  std::size_t channel_capacity = 1024;
  // How long an idle shard spins (yielding) before it sleeps on its eventfd. Waking a sleeping
  // thread costs 50-100 us on this kind of VM (notes/fibers-and-libevent.md); a short spin catches
  // the next batch of a busy connection without that cost.
  int64_t idle_spin_us = 20;
  // When a batch is shed instead of queued (issue #6).
  BackpressureOptions backpressure;
};

// Shard owns one thread, its fiber scheduler and event loop, one Store, and one inbound Channel per
// network thread. Keys are partitioned over shards by KeyHash::ShardBits(); nothing locks the Store
// because only this thread touches it.
//
// Owner: Server. Thread: Start/Stop from main (start-up and shutdown only); Submit from the network
// thread that owns channel `producer`; stats() from any (atomics only).
class Shard {
 public:
  Shard(ShardId id, const ShardOptions& options, std::size_t producers, const core::Clock& clock,
        int64_t process_started_seconds);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  void Start();
  // Drains what is queued, then joins the thread. REQUIRES: no producer submits any more.
  void Stop();

  // Queues `batch` for execution; its promise is fulfilled on this shard's thread. False when the
  // channel is full (nothing was queued). REQUIRES: called from producer `producer`'s thread only.
  bool Submit(std::size_t producer, Batch* batch);

  [[nodiscard]] ShardId Id() const { return id_; }
  [[nodiscard]] const ShardStats& Stats() const { return store_->Stats(); }
  [[nodiscard]] std::size_t QueueDepth() const;

  // Backpressure, read by the network threads before they submit (any thread, atomics only).
  // The queue as the shard last published it: depth, queued commands, delay, drain rate.
  [[nodiscard]] QueueState Queue() const;
  // The retry hint when a batch for this shard must be shed now (ShouldShed), else nullopt.
  [[nodiscard]] std::optional<uint32_t> ShedHint() const;
  // Counts `commands` answered kBusy for this shard (called by the shedding network thread).
  void CountShed(std::size_t commands) {
    shed_requests_.fetch_add(commands, std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t ShedRequests() const {
    return shed_requests_.load(std::memory_order_relaxed);
  }

 private:
  void Run();
  void DispatchLoop();
  std::size_t DrainOnce();
  void Execute(Batch* batch);
  void Complete(Batch* batch, int64_t start_ns, bool record_rate);
  // Cold tier: a batch whose command must wait for a load (or for write-back room) finishes on
  // its own fiber from command `next` on, while the dispatcher keeps serving other batches.
  void ResumeCold(Batch* batch, std::size_t next, int64_t start_ns);
  void PollCold();
  void FlushCold();
  // Cold I/O thread: completions wait; wakes the dispatcher if it sleeps.
  void WakeForCold();
  [[nodiscard]] bool AnyQueued() const;

  const ShardId id_;
  const ShardOptions options_;
  std::unique_ptr<Store> store_;
  std::vector<std::unique_ptr<Channel>> channels_;
  runtime::Waker waker_;
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopping_{false};
  runtime::Parker* park_ = nullptr;  // the dispatcher's parker; shard thread only
  DrainRate drain_rate_;             // shard thread only; published in drain_per_s_
  // Backpressure signals. queued_commands_ is added to by producers and subtracted by the shard;
  // the others are written by the shard thread only. All relaxed: they steer, they do not order.
  std::atomic<std::size_t> queued_commands_{0};
  std::atomic<int64_t> queue_delay_us_{0};  // wait of the batch dequeued last; 0 once drained
  std::atomic<uint64_t> drain_per_s_{0};
  std::atomic<uint64_t> shed_requests_{0};
  // Cold tier, shard thread only: fibers waiting for cold progress and their wake-up.
  // BasicLockable (for condition_variable_any) needs these lower-case names.
  struct NoLock {
    void lock() {}    // NOLINT(readability-identifier-naming)
    void unlock() {}  // NOLINT(readability-identifier-naming)
  };
  boost::fibers::condition_variable_any cold_cv_;
  std::size_t cold_waiters_ = 0;
  std::thread thread_;
};

}  // namespace corecached::shard
