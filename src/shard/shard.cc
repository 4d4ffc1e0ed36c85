#include "shard/shard.h"

#include <algorithm>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <utility>

#include "shard/router.h"

namespace corecached::shard {

namespace {
int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Cold waits: each is a slice so a lost wake-up costs one slice; the count bounds a request's wait.
constexpr auto kColdWaitSlice = std::chrono::milliseconds(20);
constexpr int kMaxColdWaits = 500;
// Messages kept for reuse, and the command capacity a kept one may hold (a pipelined burst must
// not pin its peak). A Command and its Result take ~300 B, so 64 messages of 1024 kept ~18 MiB per
// shard after a burst of pipelining clients (test_pipelining_burst_memory_is_given_back); 16 of
// 128 keep at most ~600 KiB, and a turn rarely sends one destination more than 128 keys.
constexpr std::size_t kMaxFreeMessages = 16;
constexpr std::size_t kKeepMessageCommands = 128;

void FillBusy(Message* message, uint32_t retry_after_ms) {
  core::Result busy;
  busy.outcome = core::Outcome::kBusy;
  busy.retry_after_ms = retry_after_ms;
  message->results.assign(message->commands.size(), busy);
}
}  // namespace

Shard::Shard(ShardId id, const ShardOptions& options, std::size_t threads, const core::Clock& clock,
             int64_t process_started_seconds)
    : id_(id),
      options_(options),
      store_(std::make_unique<Store>(options.store, clock, process_started_seconds)) {
  inbound_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    inbound_.push_back(std::make_unique<Channel>(options.channel_capacity));
  }
  outbound_.assign(threads, nullptr);
  // Cold tier: registers with the I/O thread and rebuilds the index from disk (start-up). The
  // reader threads call the wake when completions wait; the owning loop then polls them. Loads
  // are batched per loop turn (OnTurnEnd).
  store_->AttachCold([this] { wake_.Notify(); }, /*batch_loads=*/true);
}

Shard::~Shard() {
  // Shutdown, every network thread joined: whatever is still queued is freed here.
  for (auto& channel : inbound_) {
    while (Message* message = channel->Pop()) {
      std::unique_ptr<Message> owned(message);
    }
  }
  for (Message* message : outbound_) {
    std::unique_ptr<Message> owned(message);
  }
  for (Message* message : backlog_) {
    std::unique_ptr<Message> owned(message);
  }
}

void Shard::Connect(std::vector<Shard*> peers, std::atomic<std::size_t>* live_threads) {
  peers_ = std::move(peers);
  live_threads_ = live_threads;
}

QueueState Shard::Queue() const {
  QueueState q;
  q.depth_batches = queued_messages_.load(std::memory_order_relaxed);
  q.queued_commands = queued_commands_.load(std::memory_order_relaxed);
  q.queue_delay_us = queue_delay_us_.load(std::memory_order_relaxed);
  q.drain_commands_per_s = drain_per_s_.load(std::memory_order_relaxed);
  q.loop_lag_us = loop_lag_us_.load(std::memory_order_relaxed);
  if (wake_.Sleeping()) {
    // An asleep loop has no lag and nothing queued, whatever its last busy turn published: without
    // this, a shard whose last turn was long sheds every request sent to it while it sleeps, so
    // nothing wakes it to publish a fresh value (seen under TSan: every get shed until restart).
    q.loop_lag_us = 0;
    q.queue_delay_us = 0;
  }
  return q;
}

std::optional<uint32_t> Shard::ShedHint() const {
  QueueState q = Queue();
  if (!ShouldShed(q, options_.backpressure)) {
    return std::nullopt;
  }
  return RetryAfterMs(q);
}

core::Result Shard::WaitCold(const core::Command& cmd, core::Result r) {
  if (!store_->MustWait(r)) {
    return r;
  }
  // Cold tier: only this fiber waits; the exchange fiber applies completions and notifies.
  ++cold_waiters_;
  NoLock lock;
  for (int waits = 0; store_->MustWait(r) && waits < kMaxColdWaits; ++waits) {
    cold_cv_.wait_for(lock, kColdWaitSlice);
    r = store_->Execute(cmd);
  }
  --cold_waiters_;
  return r;  // still kColdLoading after the bound: "retry"
}

void Shard::ExecuteLocal(const std::vector<core::Command>& commands,
                         std::vector<core::Result>& results) {
  bool prefetched = false;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    core::Result r = store_->Execute(commands[i]);
    PrefetchColdAfter(commands, i, r, prefetched);
    results.push_back(WaitCold(commands[i], std::move(r)));
  }
}

void Shard::PrefetchColdAfter(const std::vector<core::Command>& commands, std::size_t i,
                              const core::Result& r, bool& prefetched) {
  if (prefetched || r.outcome != core::Outcome::kColdLoading) {
    return;
  }
  prefetched = true;
  for (std::size_t next = i + 1; next < commands.size(); ++next) {
    store_->PrefetchCold(commands[next]);
  }
}

std::optional<uint32_t> Shard::Send(ShardId dest, Router* router,
                                    std::vector<core::Command>* commands) {
  Shard* peer = peers_[dest];
  if (std::optional<uint32_t> hint = peer->ShedHint()) {
    peer->CountShed(commands->size());
    return hint;
  }
  Message*& message = outbound_[dest];
  if (message == nullptr) {
    message = NewMessage(dest);
  }
  const auto first = static_cast<uint32_t>(message->commands.size());
  for (core::Command& cmd : *commands) {
    message->commands.push_back(std::move(cmd));
  }
  message->waiters.push_back(
      Message::Waiter{router, first, static_cast<uint32_t>(commands->size())});
  commands->clear();
  // Flushed at the turn's end (OnTurnEnd), together with every other connection's commands.
  outbound_pending_ = true;
  return std::nullopt;
}

Message* Shard::NewMessage(ShardId dest) {
  std::unique_ptr<Message> message;
  if (free_.empty()) {
    message = std::make_unique<Message>();
  } else {
    message = std::move(free_.back());
    free_.pop_back();
  }
  message->origin = id_;
  message->dest = dest;
  message->reply = false;
  return message.release();  // owned by the channels until it comes back (Recycle)
}

void Shard::Recycle(Message* message) {
  std::unique_ptr<Message> owned(message);
  if (free_.size() >= kMaxFreeMessages) {
    return;
  }
  if (owned->commands.capacity() > kKeepMessageCommands) {
    std::vector<core::Command>().swap(owned->commands);
    std::vector<core::Result>().swap(owned->results);
  }
  owned->commands.clear();
  owned->results.clear();
  owned->waiters.clear();
  free_.push_back(std::move(owned));
}

void Shard::OnTurnEnd() noexcept {
  // Cold loads of the turn, every connection's (local and peer requests alike): one batch, one
  // read transaction on a reader thread (issue #14). Only the fibers that asked wait for it.
  store_->SubmitColdLoads();
  if (turn_start_ns_ != 0) {
    // The shorter of the last two turns: one turn stretched by a preemption (a busy 2-core box)
    // is not overload; a loop that stays behind is.
    const int64_t turn_us = (NowNs() - turn_start_ns_) / 1000;
    loop_lag_us_.store(std::min(turn_us, previous_turn_us_), std::memory_order_relaxed);
    previous_turn_us_ = turn_us;
  }
  if (HasWork()) {
    exchange_.Unpark();
  } else if (queue_delay_us_.load(std::memory_order_relaxed) != 0) {
    // Nothing queued: the delay signal must not keep shedding after the queue drained.
    queue_delay_us_.store(0, std::memory_order_relaxed);
  }
}

void Shard::OnTurnStart() noexcept { turn_start_ns_ = NowNs(); }

bool Shard::AnyInbound() const {
  for (const auto& channel : inbound_) {
    if (channel->Depth() != 0) {
      return true;
    }
  }
  return false;
}

bool Shard::HasWork() const {
  return outbound_pending_ || !backlog_.empty() || AnyInbound() || store_->ColdCompletionsReady() ||
         (drained_ && live_threads_->load(std::memory_order_acquire) == 0);
}

bool Shard::MayStop() const {
  // Every thread's connections are gone, so no request can be created any more, and each one
  // sent earlier was answered before its connection could finish.
  return drained_ && live_threads_->load(std::memory_order_acquire) == 0 && in_flight_ == 0 &&
         backlog_.empty() && cold_waiters_ == 0 && !outbound_pending_ && !AnyInbound();
}

void Shard::Run() {
  for (;;) {
    Exchange();
    if (MayStop()) {
      break;
    }
    exchange_.Park();
  }
  FlushCold();
}

void Shard::ConnectionsDrained() {
  drained_ = true;
  if (live_threads_->fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // The last thread to drain lets every exchange fiber finish.
    for (Shard* peer : peers_) {
      peer->wake_.Notify();
    }
  }
  exchange_.Unpark();
}

void Shard::Exchange() {
  FlushOutbound();
  std::vector<Message*> retry;
  retry.swap(backlog_);
  for (Message* message : retry) {
    SendReply(message);
  }
  DrainInbound();
  PollCold();
}

void Shard::FlushOutbound() {
  if (!outbound_pending_) {
    return;
  }
  outbound_pending_ = false;
  for (ShardId dest = 0; dest < outbound_.size(); ++dest) {
    Message* message = std::exchange(outbound_[dest], nullptr);
    if (message == nullptr) {
      continue;
    }
    Shard* peer = peers_[dest];
    const std::size_t commands = message->commands.size();
    message->sent_ns = NowNs();
    peer->queued_messages_.fetch_add(1, std::memory_order_relaxed);
    peer->queued_commands_.fetch_add(commands, std::memory_order_relaxed);
    if (!peer->inbound_[id_]->Push(message)) {
      peer->queued_messages_.fetch_sub(1, std::memory_order_relaxed);
      peer->queued_commands_.fetch_sub(commands, std::memory_order_relaxed);
      peer->CountShed(commands);
      FillBusy(message, RetryAfterMs(peer->Queue()));
      Deliver(message);
      continue;
    }
    ++in_flight_;
    peer->wake_.Notify();  // after the push: RemoteWake's Dekker pair
  }
}

void Shard::DrainInbound() {
  bool executed = false;
  for (auto& channel : inbound_) {
    while (Message* message = channel->Pop()) {
      if (message->reply) {
        --in_flight_;
        Deliver(message);
      } else {
        executed = true;
        ExecuteRequest(message);
      }
    }
  }
  if (!executed) {
    queue_delay_us_.store(0, std::memory_order_relaxed);
  }
}

void Shard::ExecuteRequest(Message* message) {
  const int64_t start_ns = NowNs();
  queue_delay_us_.store((start_ns - message->sent_ns) / 1000, std::memory_order_relaxed);
  queued_messages_.fetch_sub(1, std::memory_order_relaxed);
  const std::size_t commands = message->commands.size();
  message->results.clear();
  message->results.reserve(commands);
  bool prefetched = false;
  for (std::size_t i = 0; i < commands; ++i) {
    core::Result r = store_->Execute(message->commands[i]);
    PrefetchColdAfter(message->commands, i, r, prefetched);
    if (store_->MustWait(r)) {
      // Cold tier: this message finishes on its own fiber; the exchange goes on with the others.
      ++cold_waiters_;
      boost::fibers::fiber([this, message, i] { ResumeCold(message, i); }).detach();
      return;
    }
    message->results.push_back(std::move(r));
  }
  if (drain_rate_.Record(commands, NowNs() - start_ns)) {
    drain_per_s_.store(drain_rate_.CommandsPerS(), std::memory_order_relaxed);
  }
  queued_commands_.fetch_sub(commands, std::memory_order_relaxed);
  SendReply(message);
}

void Shard::ResumeCold(Message* message, std::size_t next) {
  for (; next < message->commands.size(); ++next) {
    const core::Command& cmd = message->commands[next];
    message->results.push_back(WaitCold(cmd, store_->Execute(cmd)));
  }
  --cold_waiters_;
  queued_commands_.fetch_sub(message->commands.size(), std::memory_order_relaxed);
  SendReply(message);
}

void Shard::SendReply(Message* message) {
  message->reply = true;
  Shard* origin = peers_[message->origin];
  if (!origin->inbound_[id_]->Push(message)) {
    backlog_.push_back(message);  // the origin is far behind: retried every turn, never dropped
    return;
  }
  origin->wake_.Notify();
}

void Shard::Deliver(Message* message) {
  for (const Message::Waiter& waiter : message->waiters) {
    waiter.router->Deliver(message->dest, &message->results, waiter.first, waiter.count);
  }
  Recycle(message);
}

void Shard::PollCold() {
  if (store_->PollCold() != 0) {
    cold_cv_.notify_all();
  }
}

// Shutdown with the cold tier: let waiting requests finish, then write every hot value to disk,
// so the next start serves them again. Runs on the owning network thread after every connection
// of every thread is gone. Bounded: a stuck disk cannot hang the shutdown.
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

}  // namespace corecached::shard
