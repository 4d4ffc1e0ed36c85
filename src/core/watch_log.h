#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace corecached::core {

// The log streams a `watch` connection may ask for: memcached 1.6.18's LOG_* flags (logger.h).
// corecached produces fetchers, mutations, evictions and connevents; a watcher may still ask for
// the others (memcached accepts them) and then sees nothing of them.
enum WatchStream : uint32_t {
  kWatchRawCmds = 1U << 0,
  kWatchEvictions = 1U << 1,
  kWatchFetchers = 1U << 2,
  kWatchMutations = 1U << 3,
  kWatchSysEvents = 1U << 4,
  kWatchConnEvents = 1U << 5,
  kWatchProxyReqs = 1U << 6,
  kWatchProxyEvents = 1U << 7,
  kWatchProxyUser = 1U << 8,
};

// One logged event, as memcached's logentry_* structs (logger.h): plain data, rendered to text by
// the collector (net/watch_collector.h), never on the thread that logged it. The key (at most 250
// bytes) travels beside it in the ring.
struct WatchEvent {
  enum class Kind : uint8_t { kItemGet, kItemStore, kEviction, kConnNew, kConnClose };
  // item_get status (memcached: 0 not_found, 1 found, 2 flushed, 3 expired).
  enum class Found : uint8_t { kNotFound, kFound, kFlushed, kExpired };
  // item_store status: memcached's enum store_item_type order.
  enum class StoreStatus : uint8_t {
    kNotStored,
    kStored,
    kExists,
    kNotFound,
    kTooLarge,
    kNoMemory
  };
  // item_store cmd: memcached's NREAD_* order (0 = "null").
  enum class StoreCmd : uint8_t { kNull, kAdd, kSet, kReplace, kAppend, kPrepend, kCas };
  enum class CloseReason : uint8_t { kError, kNormal, kIdleTimeout, kShutdown };

  uint64_t gid = 0;  // set by WatchHub::Log
  int64_t ts_sec = 0;
  int32_t ts_usec = 0;
  Kind kind = Kind::kItemGet;
  uint8_t status = 0;  // Found or StoreStatus
  StoreCmd cmd = StoreCmd::kNull;
  bool fetched = false;  // eviction: the item was read since it was stored
  CloseReason reason = CloseReason::kNormal;
  bool unix_socket = false;  // conn events: rip=unix
  uint16_t port = 0;         // conn events: the peer's port
  int32_t cfd = -1;          // the client connection's socket
  uint32_t clsid = 0;
  uint32_t size = 0;            // value bytes
  int64_t ttl = 0;              // item_store: seconds left (0 = never); eviction: -1 = never
  int64_t last_access = 0;      // eviction: seconds since the last access
  std::array<char, 46> peer{};  // conn events: the peer's address, text (INET6_ADDRSTRLEN)
};

// WatchRing is a bounded single-producer single-consumer byte ring of whole records; a record that
// does not fit is refused whole (the producer counts it dropped). Hand-written because core/
// includes only the standard library; Boost.Lockfree's spsc_queue has no all-or-nothing push.
//
// Owner: WatchHub. Thread: Push from one producer thread, Pop from one consumer at a time.
class WatchRing {
 public:
  explicit WatchRing(std::size_t capacity_bytes);  // rounded up to a power of two
  // Appends `a` then `b` as one record. False (nothing written) when there is no room.
  bool Push(std::string_view a, std::string_view b);
  // Appends every published byte to *out; returns how many.
  std::size_t PopAll(std::string* out);
  [[nodiscard]] std::size_t Free() const;

 private:
  void Copy(uint64_t at, std::string_view bytes);
  std::unique_ptr<char[]> buf_;
  std::size_t mask_;
  alignas(64) std::atomic<uint64_t> head_{0};  // next byte to write (producer)
  alignas(64) std::atomic<uint64_t> tail_{0};  // next byte to read (consumer)
};

// WatchHub is memcached's logger (logger.c) without its locks on the request path: every thread
// that logs gets its own bounded ring (memcached: a per-worker bipbuf), a collector thread drains
// the rings and fans each rendered line to the watchers that asked for its stream, each into a
// bounded ring of its own; the watcher's connection writes what its ring holds. A full thread ring
// drops the event (log_worker_dropped); a full watcher ring skips the line for that watcher only
// and reports "skipped=N" before its next line (log_watcher_skipped), as memcached does.
//
// With no watcher attached the request path pays one relaxed load and a branch (Wants()).
//
// Owner: the Server. Thread: Wants/Log any (each thread its own ring, registered at its first
// event); AddWatcher/RemoveWatcher/Take from the watcher's network thread; Collect from the
// collector thread only. A Watcher* stays valid until RemoveWatcher.
class WatchHub {
 public:
  static constexpr std::size_t kMaxWatchers = 20;  // logger.c WATCHER_LIMIT
  // memcached's defaults: logger_buf_size 64 KiB per worker, logger_watcher_buf_size 256 KiB.
  static constexpr std::size_t kThreadRingBytes = std::size_t{64} * 1024;
  static constexpr std::size_t kWatcherRingBytes = std::size_t{256} * 1024;
  static constexpr std::size_t kMaxKeyBytes = 250;

  // One attached watcher: its streams, the first gid it may see, its ring (producer: the collector;
  // consumer: the watcher's connection).
  struct Watcher {
    Watcher(uint32_t s, uint64_t gid) : streams(s), min_gid(gid) {}
    const uint32_t streams;
    const uint64_t min_gid;  // logger.c: a watcher sees only events logged after it attached
    uint64_t skipped = 0;    // collector only
    WatchRing ring{kWatcherRingBytes};
  };
  struct Counters {
    uint64_t worker_written = 0;
    uint64_t worker_dropped = 0;
    uint64_t watcher_sent = 0;
    uint64_t watcher_skipped = 0;
    uint64_t watchers = 0;
  };
  // Renders one event (its key beside it) as memcached's text line, "\n" included.
  using Formatter = std::function<void(const WatchEvent&, std::string_view key, std::string*)>;

  WatchHub();
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // The request path's check: the streams some watcher asked for.
  [[nodiscard]] uint32_t Streams() const { return streams_.load(std::memory_order_relaxed); }
  [[nodiscard]] bool Wants(uint32_t stream) const { return (Streams() & stream) != 0; }
  // A stream word that never changes from 0, for owners without a hub (so they keep one load).
  static const std::atomic<uint32_t>& NoStreams();
  [[nodiscard]] const std::atomic<uint32_t>& StreamWord() const { return streams_; }

  // Logs `event` (gid and time are set here) on the calling thread's ring.
  void Log(uint32_t stream, WatchEvent event, std::string_view key);

  // nullptr when kMaxWatchers watch already. The watcher sees events logged from now on.
  Watcher* AddWatcher(uint32_t streams);
  void RemoveWatcher(Watcher* watcher);
  // Appends the watcher's pending lines to *out; returns the bytes added.
  std::size_t Take(Watcher* watcher, std::string* out);

  // Collector: waits until a watcher exists (or Shutdown), then drains every thread ring once and
  // fans the lines out. A watcher that missed lines gets `skipped_prefix` + N + "\n" first
  // (memcached's "skipped=N"). Returns the events handled; `running` false ends the waiting.
  std::size_t Collect(const Formatter& format, std::string_view skipped_prefix,
                      const std::atomic<bool>& running);
  // Wakes a Collect waiting for watchers (so the collector can see `running` turn false).
  void WakeCollector();

  [[nodiscard]] Counters Stats() const;

 private:
  struct ThreadRing {
    WatchRing ring{kThreadRingBytes};
  };
  ThreadRing* RingOfThisThread();
  void Deliver(uint64_t gid, uint32_t stream, std::string_view line);
  void UpdateStreams();

  const uint64_t serial_;
  std::atomic<uint32_t> streams_{0};
  std::atomic<uint64_t> next_gid_{0};
  std::atomic<uint64_t> worker_written_{0};
  std::atomic<uint64_t> worker_dropped_{0};
  std::atomic<uint64_t> watcher_sent_{0};
  std::atomic<uint64_t> watcher_skipped_{0};
  std::atomic<uint64_t> watcher_count_{0};
  // Guards rings_ and watchers_ (registration, watcher add/remove, the collector's pass): never
  // taken on the request path except a thread's first event while watched.
  mutable std::mutex mutex_;
  std::condition_variable watchers_cv_;
  std::vector<std::unique_ptr<ThreadRing>> rings_;
  std::array<std::unique_ptr<Watcher>, kMaxWatchers> watchers_{};
  std::string scratch_;              // collector only
  std::string line_;                 // collector only
  std::string_view skipped_prefix_;  // collector only
};

}  // namespace corecached::core
