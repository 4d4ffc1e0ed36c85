#include "shard/router.h"

#include <utility>

namespace corecached::shard {

Router::Slot Router::Add(core::Command cmd) {
  if (parts_.empty()) {
    parts_.resize(shard_count_);
  }
  const ShardId shard = ShardFor(cmd.hash);
  Part& part = parts_[shard];
  part.commands.push_back(std::move(cmd));
  ++pending_;
  return Slot{shard, static_cast<uint32_t>(part.commands.size() - 1)};
}

void Router::Broadcast(const core::Command& cmd, std::vector<Slot>* slots) {
  if (parts_.empty()) {
    parts_.resize(shard_count_);
  }
  for (uint32_t shard = 0; shard < parts_.size(); ++shard) {
    Part& part = parts_[shard];
    part.commands.push_back(cmd);
    ++pending_;
    slots->push_back(Slot{shard, static_cast<uint32_t>(part.commands.size() - 1)});
  }
}

void Router::Shed(Part& part, uint32_t retry_after_ms) {
  core::Result busy;
  busy.outcome = core::Outcome::kBusy;
  busy.retry_after_ms = retry_after_ms;
  part.results.assign(part.commands.size(), busy);
}

void Router::ExecuteRound() {
  if (parts_.empty()) {
    return;
  }
  const ShardId home = home_->Id();
  // Other threads' shards first, so their work overlaps ours.
  for (ShardId s = 0; s < parts_.size(); ++s) {
    Part& part = parts_[s];
    if (s == home || part.commands.empty()) {
      continue;
    }
    const std::size_t commands = part.commands.size();
    if (std::optional<uint32_t> hint = home_->Send(s, this, &part.commands)) {
      Shed(part, *hint);
      continue;
    }
    part.results.resize(commands);
    ++awaiting_;
  }
  Part& local = parts_[home];
  if (!local.commands.empty()) {
    // Backpressure (issue #6): a thread whose loop lags, or whose inbound queue is past its
    // bounds, sheds its own keys too: they would wait behind the same work.
    if (std::optional<uint32_t> hint = home_->ShedHint()) {
      home_->CountShed(local.commands.size());
      Shed(local, *hint);
    } else {
      local.results.clear();
      local.results.reserve(local.commands.size());
      for (const core::Command& cmd : local.commands) {
        local.results.push_back(home_->ExecuteLocal(cmd));
      }
    }
  }
  while (awaiting_ != 0) {
    parker_.Park();
  }
}

void Router::Deliver(ShardId shard, std::vector<core::Result>* results, uint32_t first,
                     uint32_t count) {
  Part& part = parts_[shard];
  for (uint32_t i = 0; i < count; ++i) {
    part.results[i] = std::move((*results)[first + i]);
  }
  if (--awaiting_ == 0) {
    parker_.Unpark();
  }
}

void Router::Reset() {
  for (Part& part : parts_) {
    part.commands.clear();
    part.results.clear();
  }
  pending_ = 0;
}

}  // namespace corecached::shard
