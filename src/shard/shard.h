#pragma once

#include <atomic>
#include <boost/fiber/condition_variable.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "runtime/fiber_scheduler.h"
#include "shard/backpressure.h"
#include "shard/channel.h"
#include "shard/message.h"
#include "shard/shard_stats.h"
#include "shard/store.h"

namespace corecached::shard {

using ShardId = uint32_t;

struct ShardOptions {
  StoreOptions store;
  // Capacity of each inbound channel (one per peer network thread). A thread sends at most one
  // request message per peer per loop turn, and a full channel sheds (kBusy), so this only bounds
  // how far a peer may run ahead of a stalled owner.
  std::size_t channel_capacity = 1024;
  // When commands are shed instead of executed (issue #6, reworked for issue #10).
  BackpressureOptions backpressure;
};

// Shard is one partition of the keys: its Store, hosted on one network thread (shard-per-thread,
// issue #10; seastar's sharded_cache, dragonfly's EngineShard). Keys are partitioned over shards by
// KeyHash::ShardBits(); nothing locks the Store because only the owning network thread touches it.
//
// A connection's keys owned by its own thread run inline (ExecuteLocal, no queue or wake). Keys
// owned by another thread travel in Messages: during one loop turn the thread's Routers Send()
// their foreign commands into one outbound Message per destination; at the turn's end the
// exchange fiber (Run) pushes each onto the destination's inbound Channel, executes the requests
// other threads sent here, sends each back as a reply, and hands replies to the waiting Routers.
//
// Owner: Server. Thread: construction, Connect and destruction on main (start-up and shutdown
// only, no network thread running); Wake()->Notify(), Queue(), ShedHint(), QueueDepth(), Stats(),
// ShedRequests() from any (atomics only); everything else on the owning network thread.
class Shard final : public runtime::LoopGuest {
 public:
  // `threads`: network threads, one shard each; this shard is hosted by thread `id`.
  Shard(ShardId id, const ShardOptions& options, std::size_t threads, const core::Clock& clock,
        int64_t process_started_seconds);
  ~Shard() override;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Start-up: every shard, indexed by ShardId (== network thread index). `live_threads` counts the
  // network threads that still serve connections; it outlives the shards.
  void Connect(std::vector<Shard*> peers, std::atomic<std::size_t>* live_threads);

  // ---- Owning network thread ----
  // Executes commands of keys this shard owns (one pipeline's), in order, in the calling fiber,
  // appending their results. A cold-tier wait suspends only that fiber; the first command that
  // needs a cold load starts the loads of the reads after it first (PrefetchColdAfter), so they
  // go to the readers in this turn's one batch.
  // REQUIRES: inside a fiber; each cmd.hash == KeyHash::Of(cmd.key).
  void ExecuteLocal(const std::vector<core::Command>& commands, std::vector<core::Result>& results);
  // Moves `commands` into this turn's Message for shard `dest` (!= Id()); Router::Deliver gets the
  // results back on this thread, in a later turn. When `dest` sheds them now, returns its retry
  // hint and moves nothing. `router` must wait (not be destroyed) until Deliver was called.
  [[nodiscard]] std::optional<uint32_t> Send(ShardId dest, Router* router,
                                             std::vector<core::Command>* commands);
  // LoopGuest.
  [[nodiscard]] runtime::RemoteWake* Wake() override { return &wake_; }
  void Run() override;
  void ConnectionsDrained() override;
  void OnTurnEnd() noexcept override;
  void OnTurnStart() noexcept override;

  // ---- Any thread (atomics only) ----
  [[nodiscard]] ShardId Id() const { return id_; }
  [[nodiscard]] const ShardStats& Stats() const { return store_->Stats(); }
  // Request messages queued for this shard, not yet executed.
  [[nodiscard]] std::size_t QueueDepth() const {
    return queued_messages_.load(std::memory_order_relaxed);
  }
  // Backpressure as this shard last published it: inbound depth, queued commands, queue delay,
  // drain rate, and its loop's lag (the last busy turn's length).
  [[nodiscard]] QueueState Queue() const;
  // The retry hint when work for this shard must be shed now (ShouldShed), else nullopt.
  [[nodiscard]] std::optional<uint32_t> ShedHint() const;
  // Counts `commands` answered kBusy for this shard (called by the shedding network thread).
  void CountShed(std::size_t commands) {
    shed_requests_.fetch_add(commands, std::memory_order_relaxed);
  }
  [[nodiscard]] uint64_t ShedRequests() const {
    return shed_requests_.load(std::memory_order_relaxed);
  }
  // Tests: the Store (owning network thread only).
  [[nodiscard]] Store& GetStore() { return *store_; }

 private:
  // One exchange: flush outbound, take inbound (execute requests, deliver replies), retry replies
  // a full channel refused, apply cold completions.
  void Exchange();
  void FlushOutbound();
  void DrainInbound();
  void ExecuteRequest(Message* message);
  void ResumeCold(Message* message, std::size_t next);
  // A pipeline's command `i` needs a cold load: starts the loads the reads after it will need
  // (Store::PrefetchCold), unless an earlier command of it did. Lazily, so a pipeline whose cold
  // values are all in the page cache (read inline) pays no residency probe twice. Never suspends.
  // The result of executing `cmd` once more after each cold completion while it must wait (a
  // bounded number of times), suspending only this fiber; `r` as it is otherwise. The one wait
  // loop of both paths: a local pipeline (ExecuteLocal) and a peer's message (ResumeCold).
  core::Result WaitCold(const core::Command& cmd, core::Result r);
  void PrefetchColdAfter(const std::vector<core::Command>& commands, std::size_t i,
                         const core::Result& r, bool& prefetched);
  void SendReply(Message* message);
  void Deliver(Message* message);
  void PollCold();
  void FlushCold();
  [[nodiscard]] bool AnyInbound() const;
  [[nodiscard]] bool HasWork() const;
  [[nodiscard]] bool MayStop() const;
  Message* NewMessage(ShardId dest);
  void Recycle(Message* message);

  const ShardId id_;
  const ShardOptions options_;
  std::unique_ptr<Store> store_;
  // inbound_[p]: messages from thread p (its requests, and replies to this thread's requests).
  std::vector<std::unique_ptr<Channel>> inbound_;
  runtime::RemoteWake wake_;
  // Backpressure signals: queued_* are added to by producers and subtracted by this thread; the
  // others are written by this thread only. All relaxed: they steer, they do not order.
  std::atomic<std::size_t> queued_messages_{0};
  std::atomic<std::size_t> queued_commands_{0};
  std::atomic<int64_t> queue_delay_us_{0};  // wait of the request executed last; 0 once drained
  std::atomic<int64_t> loop_lag_us_{0};     // length of the last busy turn
  std::atomic<uint64_t> drain_per_s_{0};
  std::atomic<uint64_t> shed_requests_{0};

  // ---- Owning network thread only ----
  std::vector<Shard*> peers_;
  std::atomic<std::size_t>* live_threads_ = nullptr;
  std::vector<Message*> outbound_;  // this turn's request message per destination (or null)
  bool outbound_pending_ = false;
  std::vector<Message*> backlog_;  // replies a full channel refused; retried every turn
  std::vector<std::unique_ptr<Message>> free_;
  std::size_t in_flight_ = 0;  // request messages sent and not yet back
  bool drained_ = false;       // ConnectionsDrained() was called
  runtime::Parker exchange_;   // unparked when the exchange fiber has work
  int64_t turn_start_ns_ = 0;
  int64_t previous_turn_us_ = 0;
  DrainRate drain_rate_;
  // Cold tier: fibers waiting for cold progress and their wake-up.
  // BasicLockable (for condition_variable_any) needs these lower-case names.
  struct NoLock {
    void lock() {}    // NOLINT(readability-identifier-naming)
    void unlock() {}  // NOLINT(readability-identifier-naming)
  };
  boost::fibers::condition_variable_any cold_cv_;
  std::size_t cold_waiters_ = 0;
};

}  // namespace corecached::shard
