#pragma once

#include <event2/event.h>

#include <memory>

namespace corecached::runtime {

// RAII for libevent handles (STYLE.md 7: no naked C handles).
struct EventBaseDeleter {
  void operator()(event_base* base) const { event_base_free(base); }
};
struct EventDeleter {
  void operator()(event* ev) const { event_free(ev); }
};
using EventBasePtr = std::unique_ptr<event_base, EventBaseDeleter>;
using EventPtr = std::unique_ptr<event, EventDeleter>;

// Creates an event_base that uses no locks (each base is driven by exactly one thread) and the
// monotonic clock for timers. Throws std::runtime_error on failure (start-up only).
EventBasePtr NewEventBase();

// Waker is an eventfd that another thread writes to make a loop return from its wait.
//
// Owner: the thread whose loop watches fd(). Thread: Wake() from any thread; Drain() and fd() from
// the owner. The fd stays valid for the Waker's lifetime.
class Waker {
 public:
  Waker();
  ~Waker();
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  // Async-signal-safe and thread-safe: one write(2).
  void Wake() const;
  // Clears pending wake-ups. Non-blocking.
  void Drain() const;
  [[nodiscard]] int Fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace corecached::runtime
