#include "runtime/fiber_scheduler.h"

#include <sys/time.h>

#include <algorithm>
#include <boost/fiber/context.hpp>
#include <thread>

namespace corecached::runtime {

namespace {
thread_local event_base* current_base = nullptr;
}  // namespace

event_base* CurrentEventBase() { return current_base; }

LoopScheduler::LoopScheduler(event_base* base, RemoteWake* wake, std::chrono::microseconds spin,
                             TurnHook* hook)
    : base_(base), wake_(wake), spin_(spin), hook_(hook) {
  current_base = base;
  wake_event_.reset(event_new(base_, wake_->waker_.Fd(), EV_READ | EV_PERSIST, &OnWake, this));
  timer_event_.reset(evtimer_new(base_, &OnTimer, this));
  event_add(wake_event_.get(), nullptr);
}

LoopScheduler::~LoopScheduler() = default;

void LoopScheduler::awakened(boost::fibers::context* ctx) noexcept {
  ctx->ready_link(ready_queue_);
}

boost::fibers::context* LoopScheduler::pick_next() noexcept {
  if (ready_queue_.empty()) {
    return nullptr;
  }
  boost::fibers::context* ctx = &ready_queue_.front();
  ready_queue_.pop_front();
  return ctx;
}

bool LoopScheduler::has_ready_fibers() const noexcept { return !ready_queue_.empty(); }

bool LoopScheduler::SpinBeforeSleep(std::chrono::steady_clock::time_point tp) noexcept {
  const auto until = std::min(tp, std::chrono::steady_clock::now() + spin_);
  while (std::chrono::steady_clock::now() < until) {
    if (wake_->notified_.exchange(false)) {
      return true;
    }
    event_base_loop(base_, EVLOOP_NONBLOCK);
    if (!ready_queue_.empty()) {
      return true;
    }
    // Give the core away while spinning: on a box with more threads than cores the thread we wait
    // for (a shard, or the client) may need this one.
    std::this_thread::yield();
  }
  return false;
}

void LoopScheduler::suspend_until(const std::chrono::steady_clock::time_point& tp) noexcept {
  if (hook_ != nullptr) {
    hook_->OnTurnEnd();
    if (!ready_queue_.empty()) {
      return;  // the hook made fibers ready: run them before polling
    }
  }
  Poll(tp);
  if (hook_ != nullptr) {
    hook_->OnTurnStart();
  }
}

void LoopScheduler::Poll(const std::chrono::steady_clock::time_point& tp) noexcept {
  if (spin_.count() > 0 && (hook_ == nullptr || hook_->ExpectsReplies()) && SpinBeforeSleep(tp)) {
    return;
  }
  wake_->sleeping_.store(true);
  if (wake_->notified_.exchange(false)) {
    wake_->sleeping_.store(false);
    return;
  }
  if (tp != std::chrono::steady_clock::time_point::max()) {
    auto wait = tp - std::chrono::steady_clock::now();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(wait).count();
    if (us < 0) {
      us = 0;
    }
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(us / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    evtimer_add(timer_event_.get(), &tv);
  }
  event_base_loop(base_, EVLOOP_ONCE);
  wake_->sleeping_.store(false);
}

void LoopScheduler::notify() noexcept { wake_->Notify(); }

void LoopScheduler::OnWake(evutil_socket_t /*fd*/, short /*what*/, void* arg) {
  static_cast<LoopScheduler*>(arg)->wake_->waker_.Drain();
}

void LoopScheduler::OnTimer(evutil_socket_t /*fd*/, short /*what*/, void* /*arg*/) {
  // Nothing to do: firing made event_base_loop(EVLOOP_ONCE) return, and Boost.Fiber wakes the
  // fibers whose sleep deadline passed.
}

void Parker::Park() {
  NoLock lock;
  cv_.wait(lock, [this] { return signalled_; });
  signalled_ = false;
}

bool Parker::ParkUntil(std::chrono::steady_clock::time_point deadline) {
  NoLock lock;
  bool ok = cv_.wait_until(lock, deadline, [this] { return signalled_; });
  signalled_ = false;
  return ok;
}

void Parker::Unpark() {
  signalled_ = true;
  cv_.notify_one();
}

}  // namespace corecached::runtime
