#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/command.h"
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
class Router {
 public:
  struct Slot {
    uint32_t shard;
    uint32_t index;
  };

  // `producer` is the network thread's index: it selects that thread's channel on every shard.
  Router(std::span<Shard* const> shards, std::size_t producer);

  [[nodiscard]] ShardId ShardFor(core::KeyHash hash) const {
    return static_cast<ShardId>(hash.ShardBits() % static_cast<uint32_t>(batches_.size()));
  }
  [[nodiscard]] std::size_t ShardCount() const { return batches_.size(); }
  [[nodiscard]] bool empty() const { return pending_ == 0; }
  [[nodiscard]] std::size_t Pending() const { return pending_; }

  // Queues `cmd` for its key's shard.
  Slot Add(core::Command cmd);
  // Queues a copy of `cmd` on every shard (flush_all); appends one Slot per shard.
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots);
  // Submits every non-empty batch and waits for all of them. A batch for a shard past its
  // backpressure bounds (Shard::ShedHint), or whose channel is full, is not queued: each of its
  // results becomes kBusy with the shard's retry hint (queued commands / drain rate).
  void ExecuteRound();
  [[nodiscard]] core::Result& ResultAt(Slot slot) {
    return batches_[slot.shard].results[slot.index];
  }
  // Forgets the round's commands and results (keeps the capacity).
  void Reset();

 private:
  std::vector<Shard*> shards_;
  std::size_t producer_;
  std::vector<Batch> batches_;
  std::size_t pending_ = 0;
};

}  // namespace corecached::shard
