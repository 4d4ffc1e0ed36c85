#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/command.h"
#include "core/result.h"

namespace corecached::core {

// Executor is the seam between a connection's Session and whatever executes its commands: the
// local shards (shard::Router, in process) or upstream memcached servers (proxy mode). Session
// knows only this interface, so the codecs and the request loop serve every backend unchanged
// (issue #10 "An execution seam"; issue #13 builds the proxy on it).
//
// A round is: Add()/Broadcast() every command parsed from one read, ExecuteRound() once, then
// ResultAt() for each Slot, then Reset(). ExecuteRound may suspend the calling fiber (never the
// thread); an implementation may also execute some commands inline, during Add or ExecuteRound.
//
// Owner: one Session. Thread: owning network thread; ExecuteRound() only inside a fiber. A Result
// reference returned by ResultAt stays valid until the next Reset().
class Executor {
 public:
  // Opaque to the caller: only the executor that returned it may interpret it.
  struct Slot {
    uint32_t part = 0;   // e.g. the shard or upstream server
    uint32_t index = 0;  // position within that part's commands of this round
  };

  virtual ~Executor() = default;

  // Queues `cmd` (REQUIRES: cmd.hash == KeyHash::Of(cmd.key) for keyed ops).
  virtual Slot Add(Command cmd) = 0;
  // Queues a copy of `cmd` on every part (flush_all); appends one Slot per part to `slots`.
  virtual void Broadcast(const Command& cmd, std::vector<Slot>* slots) = 0;
  // Executes every queued command; returns when every Result is ready. Commands past a bound
  // (backpressure, an ejected server) get their Result filled with kBusy and a retry hint rather
  // than being queued without bound.
  virtual void ExecuteRound() = 0;
  [[nodiscard]] virtual Result& ResultAt(Slot slot) = 0;
  // Forgets the round's commands and results (implementations keep their capacity).
  virtual void Reset() = 0;
  // Reset(), and hands back the capacity a large round left (an idle connection's executor is
  // kept for the thread's next one: it must not pin a burst's peak).
  virtual void ResetAndShrink() { Reset(); }
  // Commands queued since the last Reset().
  [[nodiscard]] virtual std::size_t Pending() const = 0;
  [[nodiscard]] bool empty() const { return Pending() == 0; }
};

// Makes one Executor per connection. Owner: the Server; called on the owning network thread.
class ExecutorFactory {
 public:
  virtual ~ExecutorFactory() = default;
  // `thread` is the calling network thread's index.
  [[nodiscard]] virtual std::unique_ptr<Executor> Make(std::size_t thread) = 0;
};

}  // namespace corecached::core
