// Store::Dump (lru_crawler metadump / stats cachedump chunks), SetLimit (cache_memlimit), the
// per-size-class counters and Table::Scan across growth.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>

#include "../test_commands.h"
#include "shard/store.h"
#include "shard/table.h"

namespace corecached::shard {
namespace {

using core::Command;
using core::Op;
using core::Outcome;

constexpr int64_t kStart = 1'700'000'000;

struct DumpFixture {
  explicit DumpFixture(std::size_t limit = 64 << 20, uint32_t shard_id = 0, uint32_t shards = 1)
      : store(Options(limit, shard_id, shards), clock, kStart) {}
  static StoreOptions Options(std::size_t limit, uint32_t shard_id, uint32_t shards) {
    StoreOptions o;
    o.memory_limit_bytes = limit;
    o.shard_id = shard_id;
    o.shard_count = shards;
    return o;
  }
  void Set(const std::string& key, std::size_t value_bytes, uint32_t flags = 0) {
    Command cmd = test::Cmd(Op::kSet, key, std::string(value_bytes, 'v'));
    cmd.flags = flags;
    REQUIRE(store.Execute(cmd).outcome == Outcome::kStored);
  }
  // Every key a full dump lists, chunk by chunk of `chunk` items.
  std::multiset<std::string> DumpAll(uint16_t chunk, uint64_t classes = ~uint64_t{0},
                                     int* chunks = nullptr) {
    std::multiset<std::string> keys;
    Command cmd;
    cmd.op = Op::kDump;
    cmd.dump.max_items = chunk;
    cmd.dump.classes = classes;
    for (int i = 0; i < 100000; ++i) {
      core::Result r = store.Execute(cmd);
      REQUIRE(r.dump_owner);
      CHECK(r.dump.size() <= chunk + 8u);  // a chunk ends within one bucket chain of its bound
      for (const core::ItemSummary& item : r.dump) {
        keys.insert(item.key);
      }
      if (chunks != nullptr) {
        ++*chunks;
      }
      if (r.dump_cursor == 0) {
        return keys;
      }
      cmd.dump.cursor = r.dump_cursor;
    }
    FAIL("dump did not finish");
    return keys;
  }
  core::ManualClock clock{kStart};
  Store store;
};

TEST_CASE("SizeClasses: memcached 1.6.18's default classes (memcached -vv)") {
  core::SizeClasses classes;
  REQUIRE(classes.Count() == 39);
  CHECK(classes.ChunkBytes(1) == 96);
  CHECK(classes.ChunkBytes(2) == 120);
  CHECK(classes.ChunkBytes(3) == 152);
  CHECK(classes.ChunkBytes(38) == 394840);
  CHECK(classes.ChunkBytes(39) == 524288);
  CHECK(classes.PerPage(1) == 10922);
  CHECK(classes.PerPage(39) == 2);
  // "foo" with flags 5 and a 3-byte value is 69 bytes in memcached (metadump size=69), class 1.
  CHECK(core::SizeClasses::ItemBytes(3, 3, 5) == 69);
  CHECK(core::SizeClasses::ItemBytes(3, 2, 0) == 64);
  CHECK(classes.ClassOf(96) == 1);
  CHECK(classes.ClassOf(97) == 2);
  CHECK(classes.ClassOf(2'000'000) == 39);
}

TEST_CASE("Store: Dump lists every live item once, in bounded chunks") {
  DumpFixture f;
  std::multiset<std::string> want;
  for (int i = 0; i < 5000; ++i) {
    f.Set("key-" + std::to_string(i), 10);
    want.insert("key-" + std::to_string(i));
  }
  int chunks = 0;
  CHECK(f.DumpAll(100, ~uint64_t{0}, &chunks) == want);
  CHECK(chunks >= 50);
  CHECK(f.DumpAll(1) == want);
}

TEST_CASE(
    "Store: a dump that runs while the table grows still lists every item present throughout") {
  DumpFixture f;
  std::multiset<std::string> old_keys;
  for (int i = 0; i < 100; ++i) {
    f.Set("old-" + std::to_string(i), 5);
    old_keys.insert("old-" + std::to_string(i));
  }
  Command cmd;
  cmd.op = Op::kDump;
  cmd.dump.max_items = 7;
  std::set<std::string> seen;
  int added = 0;
  for (int i = 0; i < 100000; ++i) {
    core::Result r = f.store.Execute(cmd);
    for (const core::ItemSummary& item : r.dump) {
      seen.insert(item.key);
    }
    for (int j = 0; j < 40; ++j) {  // grow the table between chunks (several doublings)
      f.Set("new-" + std::to_string(added++), 5);
    }
    if (r.dump_cursor == 0) {
      break;
    }
    cmd.dump.cursor = r.dump_cursor;
  }
  for (const std::string& key : old_keys) {
    CHECK(seen.count(key) == 1);
  }
}

TEST_CASE("Store: Dump answers only for its own shard, filters by class and skips expired items") {
  DumpFixture f(64 << 20, 1, 2);
  Command cmd;
  cmd.op = Op::kDump;
  cmd.dump.shard = 0;
  CHECK_FALSE(f.store.Execute(cmd).dump_owner);
  f.Set("small", 10);
  f.Set("large", 1000);
  Command ttl = test::Cmd(Op::kSet, "short", "v");
  ttl.exptime = 5;
  REQUIRE(f.store.Execute(ttl).outcome == Outcome::kStored);
  cmd.dump.shard = 1;
  cmd.dump.max_items = 100;
  core::Result r = f.store.Execute(cmd);
  REQUIRE(r.dump_owner);
  CHECK(r.dump.size() == 3);
  f.clock.Advance(10);
  cmd.dump.classes = uint64_t{1} << 1;
  r = f.store.Execute(cmd);
  REQUIRE(r.dump.size() == 1);
  const core::ItemSummary& item = r.dump.front();
  CHECK(item.key == "small");
  CHECK(item.exptime == -1);
  CHECK(item.value_bytes == 10);
  CHECK(item.item_bytes == 5 + 10 + 59);
  CHECK(item.size_class == 1);
  CHECK_FALSE(item.fetched);
}

TEST_CASE("Store: per-class counts follow stores, deletes and evictions") {
  DumpFixture f(1 << 20);
  const ShardStats& st = f.store.Stats();
  f.Set("a", 10);
  f.Set("b", 1000);
  CHECK(st.classes[1].number.Get() == 1);
  CHECK(st.classes[1].mem_requested.Get() == 1 + 10 + 59);
  const core::SizeClasses classes;
  const std::size_t big = classes.ClassOf(1 + 1000 + 59);
  CHECK(st.classes[big].number.Get() == 1);
  REQUIRE(f.store.Execute(test::Cmd(Op::kDelete, "a")).outcome == Outcome::kDeleted);
  CHECK(st.classes[1].number.Get() == 0);
  CHECK(st.classes[1].mem_requested.Get() == 0);
  CHECK(st.classes[1].delete_hits.Get() == 1);
  for (int i = 0; i < 2000; ++i) {
    f.Set("fill-" + std::to_string(i), 1000);
  }
  CHECK(st.classes[big].evicted.Get() > 0);
  CHECK(st.classes[big].evicted.Get() == st.evictions.Get());
}

TEST_CASE("Store: SetLimit shrinks the shard's share and evicts down to it") {
  DumpFixture f(8 << 20, 1, 3);
  for (int i = 0; i < 4000; ++i) {
    f.Set("k" + std::to_string(i), 1000);
  }
  const std::size_t before = f.store.MemoryUsedBytes();
  Command cmd;
  cmd.op = Op::kSetLimit;
  cmd.delta = (3 << 20) + 2;  // shares: 1 MiB + 1, 1 MiB + 1, 1 MiB (shard 1 gets one extra)
  CHECK(f.store.Execute(cmd).outcome == Outcome::kOk);
  CHECK(f.store.MemoryLimitBytes() == (1 << 20) + 1);
  CHECK(f.store.MemoryUsedBytes() <= f.store.MemoryLimitBytes());
  CHECK(f.store.MemoryUsedBytes() < before);
  CHECK(f.store.Stats().limit_bytes.Get() == (1 << 20) + 1);
}

}  // namespace
}  // namespace corecached::shard

namespace corecached::shard {
namespace {

TEST_CASE("Store: a reclaiming Dump (lru_crawler crawl) frees the expired items of its classes") {
  DumpFixture f;
  for (int i = 0; i < 30; ++i) {
    f.Set("live-" + std::to_string(i), 5);
    Command ttl = test::Cmd(Op::kSet, "short-" + std::to_string(i), "v");
    ttl.exptime = 2;
    REQUIRE(f.store.Execute(ttl).outcome == Outcome::kStored);
  }
  f.clock.Advance(5);
  Command cmd;
  cmd.op = Op::kDump;
  cmd.dump.max_items = 10;
  cmd.dump.reclaim = true;
  for (int i = 0; i < 10000; ++i) {
    core::Result r = f.store.Execute(cmd);
    CHECK(r.dump.empty());
    if (r.dump_cursor == 0) {
      break;
    }
    cmd.dump.cursor = r.dump_cursor;
  }
  const ShardStats& st = f.store.Stats();
  CHECK(st.curr_items.Get() == 30);
  CHECK(st.crawler_reclaimed.Get() == 30);
  CHECK(st.classes[1].crawler_reclaimed.Get() == 30);
  CHECK(st.classes[1].number.Get() == 30);
}

}  // namespace
}  // namespace corecached::shard
