#include "shard/shard.h"

#include <atomic>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <thread>

namespace corecached::shard {

Shard::Shard(ShardId id, const ShardOptions& options, std::size_t producers,
             const core::Clock& clock, int64_t process_started_seconds)
    : id_(id),
      options_(options),
      store_(std::make_unique<Store>(options.store, clock, process_started_seconds)) {
  channels_.reserve(producers);
  for (std::size_t i = 0; i < producers; ++i) {
    channels_.push_back(std::make_unique<Channel>(options.channel_capacity));
  }
  // Cold tier: registers with the I/O thread and rebuilds the index from disk (start-up).
  store_->AttachCold([this] { WakeForCold(); });
}

Shard::~Shard() { Stop(); }

void Shard::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Shard::Stop() {
  if (!thread_.joinable()) {
    return;
  }
  stopping_.store(true);
  waker_.Wake();
  thread_.join();
}

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

bool Shard::Submit(std::size_t producer, Batch* batch) {
  batch->enqueued_ns = NowNs();
  const std::size_t commands = batch->commands.size();
  queued_commands_.fetch_add(commands, std::memory_order_relaxed);
  if (!channels_[producer]->Push(batch)) {
    queued_commands_.fetch_sub(commands, std::memory_order_relaxed);
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

QueueState Shard::Queue() const {
  QueueState q;
  q.depth_batches = QueueDepth();
  q.queued_commands = queued_commands_.load(std::memory_order_relaxed);
  q.queue_delay_us = queue_delay_us_.load(std::memory_order_relaxed);
  q.drain_commands_per_s = drain_per_s_.load(std::memory_order_relaxed);
  return q;
}

std::optional<uint32_t> Shard::ShedHint() const {
  QueueState q = Queue();
  if (!ShouldShed(q, options_.backpressure)) {
    return std::nullopt;
  }
  return RetryAfterMs(q);
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
  runtime::EventPtr wake_event(
      event_new(base.get(), waker_.Fd(), EV_READ | EV_PERSIST, on_wake, &ctx));
  event_add(wake_event.get(), nullptr);
  park_ = &parker;
  DispatchLoop();
  park_ = nullptr;
}

std::size_t Shard::DrainOnce() {
  std::size_t done = 0;
  for (auto& channel : channels_) {
    while (Batch* batch = channel->Pop()) {
      Execute(batch);
      ++done;
    }
  }
  if (done == 0) {
    // Nothing waits: the delay signal must not keep shedding after the queue drained.
    queue_delay_us_.store(0, std::memory_order_relaxed);
  }
  return done;
}

void Shard::Execute(Batch* batch) {
  const int64_t start_ns = NowNs();
  queue_delay_us_.store((start_ns - batch->enqueued_ns) / 1000, std::memory_order_relaxed);
  const std::size_t commands = batch->commands.size();
  batch->results.clear();
  batch->results.reserve(commands);
  for (std::size_t i = 0; i < commands; ++i) {
    core::Result r = store_->Execute(batch->commands[i]);
    if (store_->MustWait(r)) {
      ++cold_waiters_;
      boost::fibers::fiber([this, batch, i, start_ns] { ResumeCold(batch, i, start_ns); }).detach();
      return;
    }
    batch->results.push_back(std::move(r));
  }
  Complete(batch, start_ns, true);
}

void Shard::Complete(Batch* batch, int64_t start_ns, bool record_rate) {
  const std::size_t commands = batch->commands.size();
  if (record_rate && drain_rate_.Record(commands, NowNs() - start_ns)) {
    drain_per_s_.store(drain_rate_.CommandsPerS(), std::memory_order_relaxed);
  }
  queued_commands_.fetch_sub(commands, std::memory_order_relaxed);
  // Move the promise out first: once set_value() wakes the network fiber, that thread may
  // reuse the Batch (and assign a new promise) while set_value() is still returning here.
  boost::fibers::promise<void> promise = std::move(batch->done);
  batch->executed.store(true, std::memory_order_release);
  promise.set_value();
}

// Each wait is a slice so a lost wake-up costs one slice; the count bounds a request's wait.
void Shard::ResumeCold(Batch* batch, std::size_t next, int64_t start_ns) {
  constexpr auto kColdWaitSlice = std::chrono::milliseconds(20);
  constexpr int kMaxColdWaits = 500;
  NoLock lock;
  for (; next < batch->commands.size(); ++next) {
    core::Result r = store_->Execute(batch->commands[next]);
    for (int waits = 0; store_->MustWait(r) && waits < kMaxColdWaits; ++waits) {
      cold_cv_.wait_for(lock, kColdWaitSlice);
      r = store_->Execute(batch->commands[next]);
    }
    batch->results.push_back(std::move(r));  // still kColdLoading after the bound: "retry"
  }
  --cold_waiters_;
  Complete(batch, start_ns, false);
}

void Shard::PollCold() {
  if (store_->PollCold() != 0) {
    cold_cv_.notify_all();
  }
}

void Shard::WakeForCold() {
  // Publish the completions before reading "sleeping" (pairs with the fence in DispatchLoop).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleeping_.load(std::memory_order_relaxed)) {
    waker_.Wake();
  }
}

// Shutdown with the cold tier: let waiting requests finish, then write every hot value to disk,
// so the next start serves them again. Bounded: a stuck disk cannot hang the shutdown.
void Shard::FlushCold() {
  if (!store_->ColdEnabled()) {
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    PollCold();
    if (cold_waiters_ == 0 && store_->FlushStep()) {
      return;
    }
    boost::this_fiber::sleep_for(std::chrono::milliseconds(1));
  }
}

void Shard::DispatchLoop() {
  using Clock = std::chrono::steady_clock;
  const auto spin = std::chrono::microseconds(options_.idle_spin_us);
  auto idle_since = Clock::now();
  for (;;) {
    PollCold();
    if (DrainOnce() != 0) {
      idle_since = Clock::now();
      boost::this_fiber::yield();
      continue;
    }
    if (stopping_.load()) {
      FlushCold();
      return;
    }
    if (Clock::now() - idle_since < spin) {
      boost::this_fiber::yield();
      std::this_thread::yield();  // spin without starving the threads that feed us
      continue;
    }
    sleeping_.store(true, std::memory_order_relaxed);
    // Publish "sleeping" before re-checking the queues (pairs with the fence in Submit).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!AnyQueued() && !stopping_.load() && !store_->ColdCompletionsReady()) {
      park_->Park();
    }
    sleeping_.store(false, std::memory_order_relaxed);
    idle_since = Clock::now();
  }
}

}  // namespace corecached::shard
