#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "core/command.h"
#include "core/executor.h"
#include "core/result.h"
#include "shard/batch.h"
#include "shard/shard.h"

namespace corecached::shard {

// Router sends one connection's commands to their shards and brings the results back in order.
// A round is: Add()/Broadcast() every command parsed from one read, ExecuteRound() (one Batch per
// touched shard, all submitted before any is awaited, so a multi-key get fans out to every shard at
// once), then read each command's Result through its Slot.
//
// Owner: one connection. Thread: owning network thread; ExecuteRound() only inside a fiber (it
// suspends that fiber, never the thread). The shards must outlive the Router. A Result reference
// stays valid until the next Reset().
class Router final : public core::Executor {
 public:
  using Slot = core::Executor::Slot;  // part = shard

  // `producer` is the network thread's index: it selects that thread's channel on every shard.
  Router(std::span<Shard* const> shards, std::size_t producer);

  [[nodiscard]] ShardId ShardFor(core::KeyHash hash) const {
    return static_cast<ShardId>(hash.ShardBits() % static_cast<uint32_t>(batches_.size()));
  }
  [[nodiscard]] std::size_t ShardCount() const { return batches_.size(); }
  [[nodiscard]] std::size_t Pending() const override { return pending_; }

  // Queues `cmd` for its key's shard.
  Slot Add(core::Command cmd) override;
  // Queues a copy of `cmd` on every shard (flush_all); appends one Slot per shard.
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots) override;
  // Submits every non-empty batch and waits for all of them. A batch for a shard past its
  // backpressure bounds (Shard::ShedHint), or whose channel is full, is not queued: each of its
  // results becomes kBusy with the shard's retry hint (queued commands / drain rate).
  void ExecuteRound() override;
  [[nodiscard]] core::Result& ResultAt(Slot slot) override {
    return batches_[slot.part].results[slot.index];
  }
  // Forgets the round's commands and results (keeps the capacity).
  void Reset() override;

 private:
  std::vector<Shard*> shards_;
  std::size_t producer_;
  std::vector<Batch> batches_;
  std::size_t pending_ = 0;
};

// Makes one Router per connection over the server's shards. Owner: the Server; the shards outlive
// it. Thread: Make() on the calling network thread (it only reads the fixed shard list).
class RouterFactory final : public core::ExecutorFactory {
 public:
  explicit RouterFactory(std::vector<Shard*> shards) : shards_(std::move(shards)) {}
  [[nodiscard]] std::unique_ptr<core::Executor> Make(std::size_t thread) override {
    return std::make_unique<Router>(shards_, thread);
  }

 private:
  std::vector<Shard*> shards_;
};

}  // namespace corecached::shard
