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

// LoopScheduler is a Boost.Fiber scheduling algorithm that shares its thread with a libevent loop
// (../shared/notes/fibers-and-libevent.md; Boost's own pattern is the Asio round_robin example).
// Ready fibers run round-robin. When none is ready, suspend_until() runs the event loop once,
// blocking until a socket or timer event fires (its callbacks make fibers ready) or until another
// thread calls notify() because it made one of this thread's fibers ready (a shard fulfilled a
// promise).
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
  // `waker` must be watched by nothing else; the scheduler registers it on `base`.
  // `spin`: before blocking in the loop, poll it (non-blocking) and watch for remote wake-ups this
  // long, yielding the core between polls. A network thread waiting for a shard's reply usually
  // gets it within microseconds; sleeping in epoll_wait instead costs an eventfd write and a thread
  // wake per request (measured: ~1 per request under memcaslap). 0 = block at once.
  LoopScheduler(event_base* base, Waker* waker,
                std::chrono::microseconds spin = std::chrono::microseconds(0));
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
  static void OnWake(evutil_socket_t fd, short what, void* arg);
  static void OnTimer(evutil_socket_t fd, short what, void* arg);

  event_base* base_;
  Waker* waker_;
  const std::chrono::microseconds spin_;
  EventPtr wake_event_;
  EventPtr timer_event_;
  boost::fibers::scheduler::ready_queue_type ready_queue_;
  // Dekker pair with notify(): the scheduler publishes "sleeping" then checks "notified"; notify()
  // publishes "notified" then checks "sleeping". seq_cst on both sides, so one of them sees the
  // other and no wake-up is lost.
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> notified_{false};
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
