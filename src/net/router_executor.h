#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "core/executor.h"
#include "shard/router.h"
#include "shard/shard.h"

namespace corecached::net {

// RouterExecutor presents the local shards' Router as a core::Executor, so that Session talks to
// one interface whether it serves from its shards or (proxy mode) from upstream servers.
// A stop-gap for issue #13 until issue #10's seam commit replaces it; it changes nothing on the
// local path (every call forwards).
//
// Owner: one Session. Thread: owning network thread (as Router).
class RouterExecutor final : public core::Executor {
 public:
  RouterExecutor(std::span<shard::Shard* const> shards, std::size_t producer)
      : router_(shards, producer) {}

  Slot Add(core::Command cmd) override { return From(router_.Add(std::move(cmd))); }
  void Broadcast(const core::Command& cmd, std::vector<Slot>* slots) override {
    scratch_.clear();
    router_.Broadcast(cmd, &scratch_);
    for (const shard::Router::Slot& s : scratch_) {
      slots->push_back(From(s));
    }
  }
  void ExecuteRound() override { router_.ExecuteRound(); }
  [[nodiscard]] core::Result& ResultAt(Slot slot) override {
    return router_.ResultAt(shard::Router::Slot{slot.part, slot.index});
  }
  void Reset() override { router_.Reset(); }
  [[nodiscard]] std::size_t Pending() const override { return router_.Pending(); }

 private:
  static Slot From(shard::Router::Slot s) { return Slot{s.shard, s.index}; }

  shard::Router router_;
  std::vector<shard::Router::Slot> scratch_;
};

}  // namespace corecached::net
