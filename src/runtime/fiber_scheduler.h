#pragma once

#include <event2/event.h>

#include <atomic>
#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/condition_variable.hpp>
#include <boost/fiber/scheduler.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

#include "runtime/event_base.h"

namespace corecached::runtime {

// RemoteWake is how other threads make a loop thread look at its inbound work (a cross-thread
// message, a cold-tier completion, a fiber made ready from another thread). Dekker pair with the
// sleeping loop: the loop publishes "sleeping" then checks "notified"; Notify() publishes
// "notified" then checks "sleeping" (both seq_cst), so one of them sees the other and no wake-up is
// lost; the eventfd is written only when the loop sleeps.
//
// Owner: whoever owns the loop's guest (a Shard) or the NetworkThread. Thread: Notify() from any
// thread; the rest from the LoopScheduler of the owning thread.
class RemoteWake {
 public:
  // Publish the work first (a queue push), then call this. Async-signal-unsafe, thread-safe.
  void Notify() noexcept {
    notified_.store(true);
    if (sleeping_.load()) {
      waker_.Wake();
    }
  }
  // Any thread: whether the loop sleeps in its poll right now (relaxed: a hint, e.g. "an asleep
  // loop has no lag").
  [[nodiscard]] bool Sleeping() const noexcept { return sleeping_.load(std::memory_order_relaxed); }

 private:
  friend class LoopScheduler;
  Waker waker_;
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> notified_{false};
};

// TurnHook is work a thread does once per loop turn, from inside its LoopScheduler: after the ready
// fibers ran and before the loop polls or sleeps. It must not suspend; it may make fibers ready
// (Parker::Unpark), and then the scheduler runs them before it sleeps.
// Owner: the thread's guest (a Shard). Thread: owning network thread.
class TurnHook {
 public:
  virtual ~TurnHook() = default;
  // The ready queue ran dry: the turn's fibers are done.
  virtual void OnTurnEnd() noexcept = 0;
  // The loop came back from polling or sleeping: a new turn starts.
  virtual void OnTurnStart() noexcept = 0;
  // Whether another thread owes this one an answer that should come within microseconds (a
  // peer's reply): the scheduler then spins before it sleeps; otherwise it sleeps at once.
  [[nodiscard]] virtual bool ExpectsReplies() const noexcept { return true; }
};

// LoopGuest is what a network thread hosts besides its connections: a shard (issue #10: shards live
// on the network threads). The thread installs its hook and wake, runs Run() on a fiber of its own,
// and once its connections are gone calls ConnectionsDrained() and joins that fiber.
// Owner: the Server; outlives the thread. Thread: owning network thread.
class LoopGuest : public TurnHook {
 public:
  [[nodiscard]] virtual RemoteWake* Wake() = 0;
  // Fiber body; returns once ConnectionsDrained() was called here and every peer's guest has no
  // more work for this one.
  virtual void Run() = 0;
  virtual void ConnectionsDrained() = 0;
};

// LoopScheduler is a Boost.Fiber scheduling algorithm that shares its thread with a libevent loop
// (../shared/notes/fibers-and-libevent.md; Boost's own pattern is the Asio round_robin example).
// Ready fibers run round-robin. When none is ready, suspend_until() runs the event loop once,
// blocking until a socket or timer event fires (its callbacks make fibers ready) or until another
// thread calls notify() or RemoteWake::Notify() (a cross-thread message or a fiber made ready from
// another thread). A TurnHook, when given, runs at each turn's end and start (the hosted shard's
// per-turn exchange, issue #10).
//
// The loop runs only in suspend_until(), never in pick_next(): Boost.Fiber calls pick_next() while
// a condition variable's internal spinlock may be held (condition_variable_any::wait -> suspend),
// and a libevent callback that notifies that same condition variable would spin on it forever (seen
// under TSan: issue #2 router test). So a fiber that busy-yields would starve the sockets; none
// does: connection fibers always end in a socket wait, and the shard dispatcher's idle spin polls
// its queues directly and parks before it needs the loop.
//
// Owner: the thread that installs it with boost::fibers::use_scheduling_algorithm. Thread: that
// thread, except notify() which any thread may call. The event_base must outlive the scheduler.
class LoopScheduler final : public boost::fibers::algo::algorithm {
 public:
  // `wake`'s eventfd must be watched by nothing else; the scheduler registers it on `base`.
  // `hook` (may be null) runs at every turn's end and start.
  // `spin`: before blocking in the loop, poll it (non-blocking) and watch for remote wake-ups this
  // long, yielding the core between polls, but only while `hook` ExpectsReplies() (a thread with
  // nothing in flight sleeps at once and leaves the core to others: on a 2-vCPU box the load
  // generator needs it). A thread waiting for a peer's reply usually gets it within microseconds;
  // sleeping in epoll_wait instead costs an eventfd write and a thread wake per request (measured:
  // ~1 per request under memcaslap). 0 = block at once.
  LoopScheduler(event_base* base, RemoteWake* wake,
                std::chrono::microseconds spin = std::chrono::microseconds(0),
                TurnHook* hook = nullptr);
  ~LoopScheduler() override;
  LoopScheduler(const LoopScheduler&) = delete;
  LoopScheduler& operator=(const LoopScheduler&) = delete;

  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  [[nodiscard]] bool has_ready_fibers() const noexcept override;
  void suspend_until(const std::chrono::steady_clock::time_point& tp) noexcept override;
  void notify() noexcept override;

 private:
  bool SpinBeforeSleep(std::chrono::steady_clock::time_point tp) noexcept;
  void Poll(const std::chrono::steady_clock::time_point& tp) noexcept;
  static void OnWake(evutil_socket_t fd, short what, void* arg);
  static void OnTimer(evutil_socket_t fd, short what, void* arg);

  event_base* base_;
  RemoteWake* wake_;
  const std::chrono::microseconds spin_;
  TurnHook* hook_;
  EventPtr wake_event_;
  EventPtr timer_event_;
  boost::fibers::scheduler::ready_queue_type ready_queue_;
};

// The event_base of the LoopScheduler installed on the calling thread; nullptr on a thread without
// one. Lets code that is handed only a thread index (core::ExecutorFactory::Make) register its own
// events on that thread's loop. Valid while that scheduler lives.
event_base* CurrentEventBase();

// Parker lets one fiber wait for an event that a libevent callback (or another fiber) on the same
// thread signals: socket readiness, a new connection, a wake-up. Cheap: no heap allocation per
// wait. Thread: one thread only (the fiber and the signaller share it).
class Parker {
 public:
  // Suspends the calling fiber until Unpark() was called since the last Park() returned.
  void Park();
  // Suspends until Unpark() or until `deadline`; returns false on timeout.
  bool ParkUntil(std::chrono::steady_clock::time_point deadline);
  void Unpark();

 private:
  // BasicLockable (for condition_variable_any) needs these lower-case names.
  struct NoLock {
    void lock() {}    // NOLINT(readability-identifier-naming)
    void unlock() {}  // NOLINT(readability-identifier-naming)
  };
  boost::fibers::condition_variable_any cv_;
  bool signalled_ = false;
};

}  // namespace corecached::runtime
