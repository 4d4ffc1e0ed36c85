#include "shard/router.h"

#include <boost/fiber/future/future.hpp>
#include <cassert>
#include <optional>
#include <utility>

namespace corecached::shard {

namespace {
void Shed(Batch& batch, uint32_t retry_after_ms) {
  core::Result busy;
  busy.outcome = core::Outcome::kBusy;
  busy.retry_after_ms = retry_after_ms;
  batch.results.assign(batch.commands.size(), busy);
}
}  // namespace

Router::Router(std::span<Shard* const> shards, std::size_t producer)
    : shards_(shards.begin(), shards.end()), producer_(producer), batches_(shards.size()) {}

Router::Slot Router::Add(core::Command cmd) {
  ShardId shard = ShardFor(cmd.hash);
  Batch& batch = batches_[shard];
  batch.commands.push_back(std::move(cmd));
  ++pending_;
  return Slot{shard, static_cast<uint32_t>(batch.commands.size() - 1)};
}

void Router::Broadcast(const core::Command& cmd, std::vector<Slot>* slots) {
  for (uint32_t shard = 0; shard < batches_.size(); ++shard) {
    Batch& batch = batches_[shard];
    batch.commands.push_back(cmd);
    ++pending_;
    slots->push_back(Slot{shard, static_cast<uint32_t>(batch.commands.size() - 1)});
  }
}

void Router::ExecuteRound() {
  std::vector<boost::fibers::future<void>> waits;
  waits.reserve(batches_.size());
  for (std::size_t s = 0; s < batches_.size(); ++s) {
    Batch& batch = batches_[s];
    if (batch.commands.empty()) {
      continue;
    }
    Shard* shard = shards_[s];
    // Backpressure (issue #6): a shard past its depth or delay bound gets nothing more from this
    // round; its commands are answered kBusy at once. Other shards' batches go ahead.
    if (std::optional<uint32_t> hint = shard->ShedHint()) {
      shard->CountShed(batch.commands.size());
      Shed(batch, *hint);
      continue;
    }
    batch.done = boost::fibers::promise<void>();
    batch.executed.store(false, std::memory_order_relaxed);
    boost::fibers::future<void> done = batch.done.get_future();
    if (!shard->Submit(producer_, &batch)) {
      shard->CountShed(batch.commands.size());
      Shed(batch, RetryAfterMs(shard->Queue()));
      continue;
    }
    waits.push_back(std::move(done));
  }
  for (auto& done : waits) {
    done.wait();
  }
  for (Batch& batch : batches_) {
    if (!batch.commands.empty() && !batch.executed.load(std::memory_order_acquire)) {
      // Unreachable: a ready future means the shard set `executed` first (or the batch was shed,
      // and then its results are already filled in on this thread).
      assert(batch.results.size() == batch.commands.size());
    }
  }
}

void Router::Reset() {
  for (Batch& batch : batches_) {
    batch.commands.clear();
    batch.results.clear();
  }
  pending_ = 0;
}

}  // namespace corecached::shard
