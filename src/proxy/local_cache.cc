#include "proxy/local_cache.h"

#include <functional>

namespace corecached::proxy {

LocalCache::LocalCache(std::chrono::milliseconds ttl, std::size_t max_bytes)
    : ttl_(ttl), max_stripe_bytes_(max_bytes / kStripes) {}

LocalCache::Stripe& LocalCache::StripeOf(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % kStripes];
}

uint64_t LocalCache::Epoch(std::string_view key) {
  Stripe& s = StripeOf(key);
  std::lock_guard lock(s.mu);
  return s.epoch;
}

bool LocalCache::Lookup(std::string_view key, std::chrono::steady_clock::time_point now,
                        core::Result* result) {
  Stripe& s = StripeOf(key);
  std::lock_guard lock(s.mu);
  auto it = s.map.find(std::string(key));
  if (it == s.map.end() || it->second.expires <= now) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  *result = core::Result{};
  result->outcome = core::Outcome::kHit;
  result->value = it->second.value;
  result->flags = it->second.flags;
  result->cas = it->second.cas;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void LocalCache::Erase(Stripe& s, std::string_view key) {
  auto it = s.map.find(std::string(key));
  if (it != s.map.end()) {
    s.bytes -= it->first.size() + it->second.value.size();
    s.map.erase(it);
  }
}

void LocalCache::Fill(std::string_view key, const core::Result& hit, uint64_t epoch,
                      std::chrono::steady_clock::time_point now) {
  Stripe& s = StripeOf(key);
  std::lock_guard lock(s.mu);
  if (s.epoch != epoch || key.size() + hit.value.size() > max_stripe_bytes_) {
    return;  // dropped while the fetch was in flight, or too large to keep
  }
  Erase(s, key);
  s.map[std::string(key)] = Copy{hit.value, hit.flags, hit.cas, now + ttl_};
  s.bytes += key.size() + hit.value.size();
  s.order.emplace_back(key);
  while (s.bytes > max_stripe_bytes_ && !s.order.empty()) {
    Erase(s, s.order.front());
    s.order.pop_front();
  }
  // Keys dropped or refilled leave stale names in `order`; keep it from growing without bound.
  if (s.order.size() > 2 * s.map.size() + 64) {
    s.order.clear();
    for (const auto& [k, copy] : s.map) {
      s.order.push_back(k);
    }
  }
}

void LocalCache::Drop(std::string_view key) {
  Stripe& s = StripeOf(key);
  std::lock_guard lock(s.mu);
  ++s.epoch;
  Erase(s, key);
}

void LocalCache::Clear() {
  for (Stripe& s : stripes_) {
    std::lock_guard lock(s.mu);
    ++s.epoch;
    s.map.clear();
    s.order.clear();
    s.bytes = 0;
  }
}

}  // namespace corecached::proxy
