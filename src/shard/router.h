#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "core/command.h"
#include "core/executor.h"
#include "core/result.h"
#include "runtime/fiber_scheduler.h"
#include "shard/shard.h"

namespace corecached::shard {

// Router is one connection's core::Executor over the shards hosted on the network threads
// (issue #10). A round is: Add()/Broadcast() every command parsed from one read, ExecuteRound(),
// then read each command's Result through its Slot. ExecuteRound hands the commands of every other
// thread's shard to its home Shard (they leave at this turn's end, in one Message per destination
// shared with the thread's other connections), executes the home shard's commands inline while
// those travel, then parks the fiber until every reply is back.
//
// Owner: one connection. Thread: owning network thread; ExecuteRound() only inside a fiber (it
// suspends that fiber, never the thread). The shards outlive the Router. A Result reference stays
// valid until the next Reset().
class Router final : public core::Executor {
 public:
  using Slot = core::Executor::Slot;  // part = shard

  // `home` is the shard of the calling network thread; `shards` how many there are.
  Router(Shard* home, std::size_t shards) : home_(home), shard_count_(shards) {}

  [[nodiscard]] ShardId ShardFor(core::KeyHash hash) const {
    return static_cast<ShardId>(hash.ShardBits() % static_cast<uint32_t>(shard_count_));
  }
  [[nodiscard]] std::size_t ShardCount() const { return shard_count_; }
  [[nodiscard]] std::size_t Pending() const override { return pending_; }

  // Queues `cmd` for its key's shard.
  Slot Add(core::Command cmd) override;
  // Queues a copy of `cmd` on every shard (flush_all); appends one Slot per shard.
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots) override;
  // Executes every queued command. Commands for a shard past its backpressure bounds
  // (Shard::ShedHint), or whose channel is full, become kBusy with that shard's retry hint.
  void ExecuteRound() override;
  [[nodiscard]] core::Result& ResultAt(Slot slot) override {
    return parts_[slot.part].results[slot.index];
  }
  // Forgets the round's commands and results (keeps the capacity).
  void Reset() override;
  void ResetAndShrink() override;

  // Home shard's exchange fiber: the results of `count` commands sent to `shard`, starting at
  // `first` in `results`. Moves them out.
  void Deliver(ShardId shard, std::vector<core::Result>* results, uint32_t first, uint32_t count);

 private:
  struct Part {
    std::vector<core::Command> commands;
    std::vector<core::Result> results;
  };
  void Shed(Part& part, uint32_t retry_after_ms);

  Shard* home_;
  std::size_t shard_count_;
  std::vector<Part> parts_;  // sized at the first Add
  std::size_t pending_ = 0;
  uint32_t awaiting_ = 0;  // parts sent and not yet delivered
  runtime::Parker parker_;
};

// Makes one Router per connection over the server's shards: thread t's connections get shard t as
// their home. Owner: the Server; the shards outlive it. Thread: Make() on the calling network
// thread (it only reads the fixed shard list).
class RouterFactory final : public core::ExecutorFactory {
 public:
  explicit RouterFactory(std::vector<Shard*> shards) : shards_(std::move(shards)) {}
  [[nodiscard]] std::unique_ptr<core::Executor> Make(std::size_t thread) override {
    return std::make_unique<Router>(shards_[thread], shards_.size());
  }

 private:
  std::vector<Shard*> shards_;
};

}  // namespace corecached::shard
