#include "core/watch_log.h"

#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <type_traits>

namespace corecached::core {

namespace {
// A record in a thread ring: this header, the WatchEvent, then the key bytes.
struct RecordHeader {
  uint32_t stream = 0;
  uint32_t key_size = 0;
};
static_assert(std::is_trivially_copyable_v<WatchEvent>);
static_assert(std::is_trivially_copyable_v<RecordHeader>);
constexpr std::size_t kFixedRecordBytes = sizeof(RecordHeader) + sizeof(WatchEvent);
// logger.c: a watcher's ring must hold the line plus this much for the "skipped=N" line.
constexpr std::size_t kSkippedLineReserve = 128;

std::size_t RoundUpPow2(std::size_t n) {
  std::size_t c = 1;
  while (c < n) {
    c <<= 1;
  }
  return c;
}
}  // namespace

// ---- WatchRing ---------------------------------------------------------------------------------

WatchRing::WatchRing(std::size_t capacity_bytes)
    : buf_(std::make_unique<char[]>(RoundUpPow2(capacity_bytes))),
      mask_(RoundUpPow2(capacity_bytes) - 1) {}

std::size_t WatchRing::Free() const {
  const uint64_t used =
      head_.load(std::memory_order_relaxed) - tail_.load(std::memory_order_acquire);
  return mask_ + 1 - static_cast<std::size_t>(used);
}

void WatchRing::Copy(uint64_t at, std::string_view bytes) {
  const std::size_t pos = static_cast<std::size_t>(at) & mask_;
  if (bytes.empty()) {
    return;  // an empty view may have a null data(), which memcpy must not see
  }
  const std::size_t first = std::min(bytes.size(), mask_ + 1 - pos);
  std::memcpy(buf_.get() + pos, bytes.data(), first);
  if (first < bytes.size()) {
    std::memcpy(buf_.get(), bytes.data() + first, bytes.size() - first);
  }
}

bool WatchRing::Push(std::string_view a, std::string_view b) {
  if (a.size() + b.size() > Free()) {
    return false;
  }
  const uint64_t head = head_.load(std::memory_order_relaxed);
  Copy(head, a);
  Copy(head + a.size(), b);
  head_.store(head + a.size() + b.size(), std::memory_order_release);
  return true;
}

std::size_t WatchRing::PopAll(std::string* out) {
  const uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  const auto n = static_cast<std::size_t>(head - tail);
  const std::size_t pos = static_cast<std::size_t>(tail) & mask_;
  const std::size_t first = std::min(n, mask_ + 1 - pos);
  out->append(buf_.get() + pos, first);
  out->append(buf_.get(), n - first);
  tail_.store(head, std::memory_order_release);
  return n;
}

// ---- WatchHub ----------------------------------------------------------------------------------

namespace {
// The calling thread's ring, per hub (tests may build more than one hub in a process).
// Hubs are told apart by a serial number, not their address (a new hub may reuse an old one's).
struct ThreadSlot {
  uint64_t hub = 0;
  void* ring = nullptr;
};
thread_local ThreadSlot t_slot;
std::atomic<uint64_t> g_hub_serial{0};
}  // namespace

WatchHub::WatchHub() : serial_(g_hub_serial.fetch_add(1) + 1) {}
WatchHub::~WatchHub() = default;

const std::atomic<uint32_t>& WatchHub::NoStreams() {
  static const std::atomic<uint32_t> kNone{0};
  return kNone;
}

WatchHub::ThreadRing* WatchHub::RingOfThisThread() {
  if (t_slot.hub == serial_) {
    return static_cast<ThreadRing*>(t_slot.ring);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  rings_.push_back(std::make_unique<ThreadRing>());
  t_slot = ThreadSlot{serial_, rings_.back().get()};
  return rings_.back().get();
}

void WatchHub::Log(uint32_t stream, WatchEvent event, std::string_view key) {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  event.ts_sec = tv.tv_sec;
  event.ts_usec = static_cast<int32_t>(tv.tv_usec);
  event.gid = next_gid_.fetch_add(1, std::memory_order_relaxed) + 1;
  key = key.substr(0, kMaxKeyBytes);
  char fixed[kFixedRecordBytes];
  const RecordHeader header{stream, static_cast<uint32_t>(key.size())};
  std::memcpy(fixed, &header, sizeof(header));
  std::memcpy(fixed + sizeof(header), &event, sizeof(event));
  if (RingOfThisThread()->ring.Push(std::string_view(fixed, sizeof(fixed)), key)) {
    worker_written_.fetch_add(1, std::memory_order_relaxed);
  } else {
    worker_dropped_.fetch_add(1, std::memory_order_relaxed);
  }
}

WatchHub::Watcher* WatchHub::AddWatcher(uint32_t streams) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto free_slot = std::find(watchers_.begin(), watchers_.end(), nullptr);
  if (free_slot == watchers_.end()) {
    return nullptr;
  }
  *free_slot = std::make_unique<Watcher>(streams, next_gid_.load(std::memory_order_relaxed) + 1);
  watcher_count_.fetch_add(1, std::memory_order_relaxed);
  UpdateStreams();
  watchers_cv_.notify_all();
  return free_slot->get();
}

void WatchHub::RemoveWatcher(Watcher* watcher) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::unique_ptr<Watcher>& slot : watchers_) {
    if (slot.get() == watcher) {
      slot.reset();
      watcher_count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  UpdateStreams();
}

// REQUIRES: mutex_ held.
void WatchHub::UpdateStreams() {
  uint32_t streams = 0;
  for (const std::unique_ptr<Watcher>& w : watchers_) {
    streams |= w != nullptr ? w->streams : 0;
  }
  streams_.store(streams, std::memory_order_relaxed);
}

std::size_t WatchHub::Take(Watcher* watcher, std::string* out) { return watcher->ring.PopAll(out); }

void WatchHub::WakeCollector() {
  std::lock_guard<std::mutex> lock(mutex_);
  watchers_cv_.notify_all();
}

std::size_t WatchHub::Collect(const Formatter& format, std::string_view skipped_prefix,
                              const std::atomic<bool>& running) {
  std::unique_lock<std::mutex> lock(mutex_);
  skipped_prefix_ = skipped_prefix;
  watchers_cv_.wait(
      lock, [&] { return !running.load() || watcher_count_.load(std::memory_order_relaxed) != 0; });
  std::size_t events = 0;
  for (const std::unique_ptr<ThreadRing>& ring : rings_) {
    scratch_.clear();
    ring->ring.PopAll(&scratch_);
    for (std::size_t pos = 0; pos + kFixedRecordBytes <= scratch_.size();) {
      RecordHeader header;
      WatchEvent event;
      std::memcpy(&header, scratch_.data() + pos, sizeof(header));
      std::memcpy(&event, scratch_.data() + pos + sizeof(header), sizeof(event));
      const std::string_view key(scratch_.data() + pos + kFixedRecordBytes, header.key_size);
      pos += kFixedRecordBytes + header.key_size;
      line_.clear();
      format(event, key, &line_);
      Deliver(event.gid, header.stream, line_);
      ++events;
    }
  }
  return events;
}

// REQUIRES: mutex_ held (the collector is every watcher ring's only producer).
void WatchHub::Deliver(uint64_t gid, uint32_t stream, std::string_view line) {
  for (const std::unique_ptr<Watcher>& w : watchers_) {
    if (w == nullptr || (w->streams & stream) == 0 || gid < w->min_gid) {
      continue;
    }
    if (w->ring.Free() < line.size() + kSkippedLineReserve) {
      ++w->skipped;
      watcher_skipped_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (w->skipped > 0) {
      // logger.c logger_thread_write_entry: "skipped=%llu\n" before the next line that fits.
      w->ring.Push(skipped_prefix_, std::to_string(w->skipped) + "\n");
      w->skipped = 0;
    }
    w->ring.Push(line, {});
    watcher_sent_.fetch_add(1, std::memory_order_relaxed);
  }
}

WatchHub::Counters WatchHub::Stats() const {
  Counters c;
  c.worker_written = worker_written_.load(std::memory_order_relaxed);
  c.worker_dropped = worker_dropped_.load(std::memory_order_relaxed);
  c.watcher_sent = watcher_sent_.load(std::memory_order_relaxed);
  c.watcher_skipped = watcher_skipped_.load(std::memory_order_relaxed);
  c.watchers = watcher_count_.load(std::memory_order_relaxed);
  return c;
}

}  // namespace corecached::core
