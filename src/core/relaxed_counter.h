#pragma once

#include <atomic>
#include <cstdint>

namespace corecached::core {

// RelaxedCounter is a counter with exactly one writer thread and any number of readers.
// The writer adds with a relaxed load+store (a plain add on x86, no locked instruction, no
// contended cache line between writers because there is only one); readers see a value that is at
// most a moment old. This is how per-thread stats stay off the hot path (STYLE.md section 7) while
// `stats` and the metrics scrape read them from another thread without a data race.
//
// Thread: writes from the owning thread only; reads from any (atomics only).
class RelaxedCounter {
 public:
  void Add(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void Sub(uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  void Set(uint64_t n) { v_.store(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

}  // namespace corecached::core
