#include "proxy/ring.h"

#include <algorithm>
#include <cmath>

#include "proxy/hash.h"

namespace corecached::proxy {

namespace {
// libmemcached MEMCACHED_POINTS_PER_SERVER / MEMCACHED_POINTS_PER_SERVER_KETAMA; nutcracker
// KETAMA_POINTS_PER_SERVER.
constexpr uint32_t kPointsPerServer = 100;
constexpr uint32_t kPointsPerServerWeighted = 160;
constexpr uint16_t kDefaultPort = 11211;

std::string HostPortName(const ServerAddress& s) {
  // Both libraries leave the port out on 11211 (backward compatibility with the first ketama).
  return s.port == kDefaultPort ? s.host : s.host + ":" + std::to_string(s.port);
}

// Points for one server of a weighted ring: the same float arithmetic as hosts.cc and
// nc_ketama.c (float, not double: a different rounding would move points).
uint32_t WeightedPoints(uint32_t weight, uint64_t total_weight, uint32_t live) {
  float pct = static_cast<float>(weight) / static_cast<float>(total_weight);
  float per4 = std::floor(pct * static_cast<float>(kPointsPerServerWeighted) / 4.0F *
                              static_cast<float>(live) +
                          0.0000000001F);
  return static_cast<uint32_t>(per4) * 4;
}
}  // namespace

Ring::Ring(Distribution distribution, std::span<const ServerAddress> servers,
           const std::vector<bool>& live)
    : distribution_(distribution) {
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (live[i]) {
      live_.push_back(i);
    }
  }
  if (distribution == Distribution::kKetama) {
    BuildLibmemcached(servers, live);
  } else if (distribution == Distribution::kKetamaTwemproxy) {
    BuildTwemproxy(servers, live);
  }
  std::sort(points_.begin(), points_.end(), [](const Point& a, const Point& b) {
    return a.value != b.value ? a.value < b.value : a.index < b.index;
  });
}

void Ring::AddWeighted(const std::string& name, uint32_t index, uint32_t points) {
  for (uint32_t n = 0; n < points / 4; ++n) {
    auto digest = Md5(name + "-" + std::to_string(n));
    for (uint32_t word = 0; word < 4; ++word) {
      points_.push_back(Point{Md5Word(digest, word), index});
    }
  }
}

void Ring::BuildLibmemcached(std::span<const ServerAddress> servers,
                             const std::vector<bool>& live) {
  bool weighted = std::any_of(servers.begin(), servers.end(),
                              [](const ServerAddress& s) { return s.weight > 1; });
  uint64_t total_weight = 0;
  for (uint32_t i : live_) {
    total_weight += servers[i].weight;
  }
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (!live[i]) {
      continue;
    }
    std::string name = HostPortName(servers[i]);
    if (weighted) {
      auto live_count = static_cast<uint32_t>(live_.size());
      AddWeighted(name, i, WeightedPoints(servers[i].weight, total_weight, live_count));
      continue;
    }
    for (uint32_t n = 0; n < kPointsPerServer; ++n) {
      points_.push_back(Point{OneAtATime(name + "-" + std::to_string(n)), i});
    }
  }
}

void Ring::BuildTwemproxy(std::span<const ServerAddress> servers, const std::vector<bool>& live) {
  uint64_t total_weight = 0;
  for (uint32_t i : live_) {
    total_weight += servers[i].weight;
  }
  auto live_count = static_cast<uint32_t>(live_.size());
  for (uint32_t i = 0; i < servers.size(); ++i) {
    if (live[i]) {
      const std::string name = servers[i].name.empty() ? HostPortName(servers[i]) : servers[i].name;
      AddWeighted(name, i, WeightedPoints(servers[i].weight, total_weight, live_count));
    }
  }
}

int Ring::Pick(std::string_view key) const {
  if (live_.empty()) {
    return -1;
  }
  if (distribution_ == Distribution::kModula) {
    return static_cast<int>(live_[OneAtATime(key) % live_.size()]);
  }
  if (points_.empty()) {
    return static_cast<int>(live_.front());
  }
  uint32_t hash = distribution_ == Distribution::kKetama ? OneAtATime(key) : Fnv1a64Truncated(key);
  // The first point at or after the hash, wrapping to the first (both libraries' dispatch).
  auto it = std::lower_bound(points_.begin(), points_.end(), hash,
                             [](const Point& p, uint32_t h) { return p.value < h; });
  if (it == points_.end()) {
    it = points_.begin();
  }
  return static_cast<int>(it->index);
}

}  // namespace corecached::proxy
