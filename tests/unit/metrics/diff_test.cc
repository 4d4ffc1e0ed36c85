#include "config/diff.h"

#include <doctest/doctest.h>

namespace corecached::config {
namespace {

TEST_CASE("ChangedKeys: equal configs differ in nothing") {
  CHECK(ChangedKeys(Config{}, Config{}).empty());
}

TEST_CASE("ChangedKeys: names each changed key with both values, in file order") {
  Config before;
  Config after;
  after.max_connections = 10;
  after.memory_limit_mb = 32;
  after.cold_tier.high_watermark = 0.5;
  after.log_level = LogLevel::kDebug;
  const std::vector<KeyChange> changes = ChangedKeys(before, after);
  REQUIRE(changes.size() == 4);
  CHECK(changes[0].key == "memory_limit_mb");
  CHECK(changes[0].before == "64");
  CHECK(changes[0].after == "32");
  CHECK(changes[1].key == "max_connections");
  CHECK(changes[2].key == "log_level");
  CHECK(changes[2].after == "debug");
  CHECK(changes[3].key == "cold_tier.high_watermark");
  CHECK(changes[3].after == "0.5");
}

}  // namespace
}  // namespace corecached::config
