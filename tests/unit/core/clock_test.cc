#include "core/clock.h"

#include <doctest/doctest.h>

#include "core/key_hash.h"
#include "core/protocol_limits.h"

namespace corecached::core {

TEST_CASE("ToAbsoluteExptime: memcached's rules") {
  constexpr int64_t kStarted = 1'700'000'000;
  constexpr int64_t kNow = kStarted + 100;
  CHECK(ToAbsoluteExptime(0, kNow, kStarted) == 0);
  CHECK(ToAbsoluteExptime(-1, kNow, kStarted) == kExpiredNow);
  CHECK(ToAbsoluteExptime(1, kNow, kStarted) == kNow + 1);
  CHECK(ToAbsoluteExptime(kRelativeExptimeLimitSeconds, kNow, kStarted) ==
        kNow + kRelativeExptimeLimitSeconds);
  // One second past 30 days is an absolute Unix time.
  CHECK(ToAbsoluteExptime(kRelativeExptimeLimitSeconds + 1, kNow, kStarted) == kExpiredNow);
  CHECK(ToAbsoluteExptime(kNow + 50, kNow, kStarted) == kNow + 50);
  CHECK(ToAbsoluteExptime(kStarted, kNow, kStarted) == kExpiredNow);
}

TEST_CASE("ManualClock moves only when told") {
  ManualClock clock(10);
  CHECK(clock.NowSeconds() == 10);
  clock.Advance(5);
  CHECK(clock.NowSeconds() == 15);
  CHECK(clock.NowMicros() == 15'000'000);
}

TEST_CASE("KeyHash: same key, same hash; shard and table bits differ") {
  auto a = KeyHash::Of("foo");
  CHECK(a == KeyHash::Of("foo"));
  CHECK_FALSE(a == KeyHash::Of("fop"));
  CHECK(a.ShardBits() == static_cast<uint32_t>(a.value >> 32));
}

}  // namespace corecached::core
