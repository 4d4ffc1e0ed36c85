#include "proxy/local_cache.h"

#include <doctest/doctest.h>

#include <string>

namespace corecached::proxy {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

core::Result Hit(std::string value) {
  core::Result r;
  r.outcome = core::Outcome::kHit;
  r.value = std::move(value);
  r.flags = 3;
  r.cas = 9;
  return r;
}

TEST_CASE("LocalCache: a fill is served until ttl, then not") {
  LocalCache cache(milliseconds(100), 1 << 20);
  Clock::time_point t0{};
  cache.Fill("k", Hit("v"), cache.Epoch("k"), t0);
  core::Result r;
  REQUIRE(cache.Lookup("k", t0 + milliseconds(99), &r));
  CHECK(r.value == "v");
  CHECK(r.flags == 3);
  CHECK(r.cas == 9);
  CHECK_FALSE(cache.Lookup("k", t0 + milliseconds(100), &r));
  CHECK(cache.Hits() == 1);
  CHECK(cache.Misses() == 1);
}

TEST_CASE("LocalCache: Drop removes the copy and discards a fill that raced it") {
  LocalCache cache(milliseconds(1000), 1 << 20);
  Clock::time_point t0{};
  uint64_t epoch = cache.Epoch("k");  // a get leaves for upstream
  cache.Drop("k");                    // a set through the proxy
  cache.Fill("k", Hit("old"), epoch, t0);
  core::Result r;
  CHECK_FALSE(cache.Lookup("k", t0, &r));
  cache.Fill("k", Hit("new"), cache.Epoch("k"), t0);
  REQUIRE(cache.Lookup("k", t0, &r));
  CHECK(r.value == "new");
  cache.Clear();
  CHECK_FALSE(cache.Lookup("k", t0, &r));
}

TEST_CASE("LocalCache: the byte bound evicts the oldest copies") {
  LocalCache cache(milliseconds(1000), 16 * 100);  // 100 bytes per stripe
  Clock::time_point t0{};
  for (int i = 0; i < 1000; ++i) {
    std::string key = "key" + std::to_string(i);
    cache.Fill(key, Hit(std::string(20, 'x')), cache.Epoch(key), t0);
  }
  int kept = 0;
  core::Result r;
  for (int i = 0; i < 1000; ++i) {
    kept += cache.Lookup("key" + std::to_string(i), t0, &r) ? 1 : 0;
  }
  CHECK(kept > 0);
  CHECK(kept <= 16 * 4);  // at most 4 copies of ~26 bytes fit in a stripe
  CHECK(cache.Lookup("key999", t0, &r));
  // A value larger than a stripe is never kept.
  cache.Fill("big", Hit(std::string(200, 'x')), cache.Epoch("big"), t0);
  CHECK_FALSE(cache.Lookup("big", t0, &r));
}

}  // namespace
}  // namespace corecached::proxy
