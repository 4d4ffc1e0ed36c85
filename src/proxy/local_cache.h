#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace corecached::proxy {

// LocalCache keeps recent upstream hits so that a hot key is answered without a round trip, for
// at most `ttl` after it was fetched (config proxy.local_cache).
//
// Staleness a client can see: a copy is served until `ttl` after the upstream reply that filled
// it. A set/add/replace/append/prepend/cas/delete/incr/decr/touch through this proxy (any network
// thread) drops the key's copy before it is sent upstream, and a fill that was in flight when the
// key was dropped is discarded (per-stripe epochs), so a client never reads its own write's
// predecessor through this proxy. Writes that bypass this proxy (another proxy, a client talking
// to the server directly, expiry or eviction upstream, flush_all through another path) are seen
// at most `ttl` late. flush_all through the proxy clears the whole cache.
//
// Owner: the ProxyExecutorFactory. Thread: any (16 mutex stripes, held for a map operation only,
// never across I/O).
class LocalCache {
 public:
  LocalCache(std::chrono::milliseconds ttl, std::size_t max_bytes);

  // The stripe's epoch for `key`: pass it back to Fill so that a fill racing a drop is discarded.
  uint64_t Epoch(std::string_view key);
  // On a fresh copy fills *result (kHit) and returns true.
  bool Lookup(std::string_view key, std::chrono::steady_clock::time_point now,
              core::Result* result);
  void Fill(std::string_view key, const core::Result& hit, uint64_t epoch,
            std::chrono::steady_clock::time_point now);
  void Drop(std::string_view key);
  void Clear();

  [[nodiscard]] uint64_t Hits() const { return hits_.load(std::memory_order_relaxed); }
  [[nodiscard]] uint64_t Misses() const { return misses_.load(std::memory_order_relaxed); }

 private:
  struct Copy {
    std::string value;
    uint32_t flags = 0;
    uint64_t cas = 0;
    std::chrono::steady_clock::time_point expires;
  };
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, Copy> map;
    std::deque<std::string> order;  // insertion order, for eviction past the byte bound
    std::size_t bytes = 0;
    uint64_t epoch = 0;
  };
  static constexpr std::size_t kStripes = 16;
  Stripe& StripeOf(std::string_view key);
  static void Erase(Stripe& s, std::string_view key);

  const std::chrono::milliseconds ttl_;
  const std::size_t max_stripe_bytes_;
  std::array<Stripe, kStripes> stripes_;
  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
};

}  // namespace corecached::proxy
