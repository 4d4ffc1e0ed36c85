#include "shard/shard.h"

#include <atomic>
#include <boost/fiber/all.hpp>
#include <chrono>

namespace corecached::shard {

Shard::Shard(ShardId id, ShardOptions options, std::size_t producers, const core::Clock& clock,
             int64_t process_started_seconds)
    : id_(id),
      options_(options),
      store_(std::make_unique<Store>(options.store, clock, process_started_seconds)) {
  channels_.reserve(producers);
  for (std::size_t i = 0; i < producers; ++i) {
    channels_.push_back(std::make_unique<Channel>(options.channel_capacity));
  }
}

Shard::~Shard() { Stop(); }

void Shard::Start() { thread_ = std::thread([this] { Run(); }); }

void Shard::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  stopping_.store(true);
  waker_.Wake();
  thread_.join();
}

bool Shard::Submit(std::size_t producer, Batch* batch) {
  if (!channels_[producer]->Push(batch)) {
    return false;
  }
  // Publish the push before reading "sleeping" (pairs with the fence in DispatchLoop).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_relaxed)) {
    waker_.Wake();
  }
  return true;
}

std::size_t Shard::QueueDepth() const {
  std::size_t depth = 0;
  for (const auto& channel : channels_) {
    depth += channel->Depth();
  }
  return depth;
}

bool Shard::AnyQueued() const {
  for (const auto& channel : channels_) {
    if (channel->Depth() != 0) {
      return true;
    }
  }
  return false;
}

void Shard::Run() {
  runtime::EventBasePtr base = runtime::NewEventBase();
  runtime::Waker scheduler_waker;
  boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(base.get(), &scheduler_waker);
  // The shard's own eventfd: producers write it when they find the shard asleep.
  runtime::Parker parker;
  auto on_wake = [](evutil_socket_t, short, void* arg) {
    auto* self = static_cast<std::pair<Shard*, runtime::Parker*>*>(arg);
    self->first->waker_.Drain();
    self->second->Unpark();
  };
  std::pair<Shard*, runtime::Parker*> ctx{this, &parker};
  runtime::EventPtr wake_event(event_new(base.get(), waker_.fd(), EV_READ | EV_PERSIST, on_wake, &ctx));
  event_add(wake_event.get(), nullptr);
  park_ = &parker;
  DispatchLoop();
  park_ = nullptr;
}

std::size_t Shard::DrainOnce() {
  std::size_t done = 0;
  for (auto& channel : channels_) {
    while (Batch* batch = channel->Pop()) {
      batch->results.clear();
      batch->results.reserve(batch->commands.size());
      for (const core::Command& cmd : batch->commands) {
        batch->results.push_back(store_->Execute(cmd));
      }
      // Move the promise out first: once set_value() wakes the network fiber, that thread may
      // reuse the Batch (and assign a new promise) while set_value() is still returning here.
      boost::fibers::promise<void> promise = std::move(batch->done);
      batch->executed.store(true, std::memory_order_release);
      promise.set_value();
      ++done;
    }
  }
  return done;
}

void Shard::DispatchLoop() {
  using Clock = std::chrono::steady_clock;
  const auto spin = std::chrono::microseconds(options_.idle_spin_us);
  auto idle_since = Clock::now();
  for (;;) {
    if (DrainOnce() != 0) {
      idle_since = Clock::now();
      boost::this_fiber::yield();
      continue;
    }
    if (stopping_.load()) {
      return;
    }
    if (Clock::now() - idle_since < spin) {
      boost::this_fiber::yield();
      continue;
    }
    sleeping_.store(true, std::memory_order_relaxed);
    // Publish "sleeping" before re-checking the queues (pairs with the fence in Submit).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!AnyQueued() && !stopping_.load()) {
      park_->Park();
    }
    sleeping_.store(false, std::memory_order_relaxed);
    idle_since = Clock::now();
  }
}

}  // namespace corecached::shard
