#include "shard/store.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "../test_commands.h"
#include "core/protocol_limits.h"

// Expected behaviours marked "oracle" were checked against Debian's memcached 1.6.18.
namespace corecached::shard {
namespace {

using core::Command;
using core::Op;
using core::Outcome;
using core::Result;

constexpr int64_t kStart = 1'700'000'000;

using test::Cmd;

StoreOptions Opts(std::size_t memory_limit_bytes, std::size_t max_item_size, uint64_t cas_start,
                  uint64_t cas_step) {
  StoreOptions options;
  options.memory_limit_bytes = memory_limit_bytes;
  options.max_item_size = max_item_size;
  options.cas_start = cas_start;
  options.cas_step = cas_step;
  return options;
}

struct Fixture {
  explicit Fixture(StoreOptions options = Opts(64 << 20, 1 << 20, 1, 1))
      : store(options, clock, kStart) {}
  core::ManualClock clock{kStart};
  Store store;

  Result Run(const Command& cmd) {
    Result r = store.Execute(cmd);
    CHECK(store.MemoryUsedBytes() <= store.MemoryLimitBytes());
    return r;
  }
  Result Set(const std::string& key, const std::string& value, int64_t exptime = 0,
             uint32_t flags = 0, Op op = Op::kSet) {
    Command cmd = Cmd(op, key, value);
    cmd.exptime = exptime;
    cmd.flags = flags;
    return Run(cmd);
  }
  Result Get(const std::string& key) { return Run(Cmd(Op::kGet, key)); }
  Result Arith(Op op, const std::string& key, uint64_t delta) {
    Command cmd = Cmd(op, key);
    cmd.delta = delta;
    return Run(cmd);
  }
  std::string Value(const std::string& key) {
    Result r = Get(key);
    return r.outcome == Outcome::kHit ? r.value : "<miss>";
  }
};

TEST_CASE("Store: set then get returns value, flags, cas and ttl") {
  Fixture f;
  Result stored = f.Set("k", "hello", 0, 7);
  CHECK(stored.outcome == Outcome::kStored);
  Result r = f.Get("k");
  CHECK(r.outcome == Outcome::kHit);
  CHECK(r.value == "hello");
  CHECK(r.flags == 7);
  CHECK(r.cas == stored.cas);
  CHECK(r.ttl_seconds == -1);
  CHECK_FALSE(r.hit_before);
  CHECK(f.Get("k").hit_before);
  CHECK(f.Get("nope").outcome == Outcome::kMiss);
  CHECK(f.store.Stats().get_hits.Get() == 2);
  CHECK(f.store.Stats().get_misses.Get() == 1);
  CHECK(f.store.Stats().cmd_set.Get() == 1);
}

TEST_CASE("Store: add and replace") {
  Fixture f;
  CHECK(f.Set("k", "a", 0, 0, Op::kReplace).outcome == Outcome::kNotStored);
  CHECK(f.Set("k", "a", 0, 0, Op::kAdd).outcome == Outcome::kStored);
  CHECK(f.Set("k", "b", 0, 0, Op::kAdd).outcome == Outcome::kNotStored);
  CHECK(f.Value("k") == "a");
  CHECK(f.Set("k", "c", 0, 0, Op::kReplace).outcome == Outcome::kStored);
  CHECK(f.Value("k") == "c");
}

TEST_CASE("Store: append and prepend keep flags and exptime") {
  Fixture f;
  CHECK(f.Set("k", "x", 0, 0, Op::kAppend).outcome == Outcome::kNotStored);
  f.Set("k", "mid", 100, 5);
  CHECK(f.Set("k", ">", 0, 9, Op::kAppend).outcome == Outcome::kStored);
  CHECK(f.Set("k", "<", 0, 9, Op::kPrepend).outcome == Outcome::kStored);
  Result r = f.Get("k");
  CHECK(r.value == "<mid>");
  CHECK(r.flags == 5);
  CHECK(r.ttl_seconds == 100);
  Command viv = Cmd(Op::kAppend, "v", "new");
  viv.vivify = true;
  viv.vivify_exptime = 30;
  CHECK(f.Run(viv).outcome == Outcome::kStored);
  CHECK(f.Get("v").ttl_seconds == 30);
}

TEST_CASE("Store: cas miss, mismatch, match") {
  Fixture f;
  Command cas = Cmd(Op::kCas, "k", "v2");
  cas.compare_cas = 1;
  CHECK(f.Run(cas).outcome == Outcome::kNotFound);
  const uint64_t first = f.Set("k", "v1").cas;
  cas.compare_cas = first + 1;
  CHECK(f.Run(cas).outcome == Outcome::kExists);
  cas.compare_cas = first;
  Result r = f.Run(cas);
  CHECK(r.outcome == Outcome::kStored);
  CHECK(r.cas != first);
  CHECK(f.Value("k") == "v2");
  CHECK(f.Run(cas).outcome == Outcome::kExists);
  CHECK(f.store.Stats().cas_misses.Get() == 1);
  CHECK(f.store.Stats().cas_badval.Get() == 2);
  CHECK(f.store.Stats().cas_hits.Get() == 1);
  Command set_cas = Cmd(Op::kSet, "k", "v3");  // binary set with CAS / ms C
  set_cas.check_cas = true;
  set_cas.compare_cas = r.cas;
  CHECK(f.Run(set_cas).outcome == Outcome::kStored);
  Command append_cas = Cmd(Op::kAppend, "k", "!");
  append_cas.check_cas = true;
  append_cas.compare_cas = r.cas;
  CHECK(f.Run(append_cas).outcome == Outcome::kExists);
}

TEST_CASE("Store: every modification gets a new CAS from this shard's sequence") {
  Fixture f(Opts(1 << 20, 1 << 20, 3, 4));
  CHECK(f.Set("a", "1").cas == 3);
  CHECK(f.Set("a", "2").cas == 7);
  CHECK(f.Set("a", "0", 0, 0, Op::kAppend).cas == 11);
  CHECK(f.Arith(Op::kIncr, "a", 1).cas == 15);
  CHECK(f.Value("a") == "21");
  Command e = Cmd(Op::kSet, "b", "v");
  e.new_cas = 999;  // meta E
  CHECK(f.Run(e).cas == 999);
  CHECK(f.Get("b").cas == 999);
  CHECK(f.Set("c", "v").cas == 19);
}

TEST_CASE("Store: exptime edges") {
  Fixture f;
  f.Set("never", "v", 0);
  f.Set("negative", "v", -1);
  f.Set("rel", "v", 10);
  f.Set("month", "v", core::kRelativeExptimeLimitSeconds);
  f.Set("abs_past", "v", core::kRelativeExptimeLimitSeconds + 1);  // a 1970 Unix time
  f.Set("abs_future", "v", kStart + 100);
  f.Set("abs_start", "v", kStart);
  CHECK(f.Value("negative") == "<miss>");
  CHECK(f.Value("abs_past") == "<miss>");
  CHECK(f.Value("abs_start") == "<miss>");
  CHECK(f.Get("rel").ttl_seconds == 10);
  CHECK(f.Get("month").ttl_seconds == core::kRelativeExptimeLimitSeconds);
  CHECK(f.Get("abs_future").ttl_seconds == 100);
  f.clock.Advance(9);
  CHECK(f.Get("rel").ttl_seconds == 1);
  f.clock.Advance(1);
  CHECK(f.Value("rel") == "<miss>");
  CHECK(f.Value("abs_future") == "v");
  f.clock.Advance(90);
  CHECK(f.Value("abs_future") == "<miss>");
  CHECK(f.Value("never") == "v");
  CHECK(f.store.Stats().get_expired.Get() == 5);
}

TEST_CASE("Store: touch and get-and-touch") {
  Fixture f;
  Command touch = Cmd(Op::kTouch, "k");
  touch.exptime = 50;
  CHECK(f.Run(touch).outcome == Outcome::kNotFound);
  f.Set("k", "v", 10);
  CHECK(f.Run(touch).outcome == Outcome::kTouched);
  CHECK(f.Get("k").ttl_seconds == 50);
  Command gat = Cmd(Op::kGet, "k");
  gat.touch = true;
  gat.exptime = 5;
  Result r = f.Run(gat);
  CHECK(r.outcome == Outcome::kHit);
  CHECK(r.ttl_seconds == 5);
  gat.exptime = -1;  // oracle: returned once, then gone
  CHECK(f.Run(gat).outcome == Outcome::kHit);
  CHECK(f.Value("k") == "<miss>");
  CHECK(f.store.Stats().touch_hits.Get() == 3);
  CHECK(f.store.Stats().touch_misses.Get() == 1);
  CHECK(f.store.Stats().cmd_touch.Get() == 4);
}

TEST_CASE("Store: delete") {
  Fixture f;
  CHECK(f.Run(Cmd(Op::kDelete, "k")).outcome == Outcome::kNotFound);
  const uint64_t cas = f.Set("k", "v").cas;
  Command del = Cmd(Op::kDelete, "k");
  del.check_cas = true;
  del.compare_cas = cas + 1;
  CHECK(f.Run(del).outcome == Outcome::kExists);
  del.compare_cas = cas;
  CHECK(f.Run(del).outcome == Outcome::kDeleted);
  CHECK(f.Value("k") == "<miss>");
  CHECK(f.store.Stats().delete_hits.Get() == 1);
  CHECK(f.store.Stats().delete_misses.Get() == 2);
}

TEST_CASE("Store: incr and decr (oracle: padding, wrap, floor, parsing)") {
  Fixture f;
  CHECK(f.Arith(Op::kIncr, "n", 1).outcome == Outcome::kNotFound);
  f.Set("n", "100", 0, 5);
  Result r = f.Arith(Op::kDecr, "n", 1);
  CHECK(r.outcome == Outcome::kArithOk);
  CHECK(r.number == 99);
  CHECK(f.Value("n") == "99 ");
  CHECK(f.Arith(Op::kDecr, "n", 200).number == 0);
  CHECK(f.Value("n") == "0  ");
  CHECK(f.Arith(Op::kIncr, "n", 12345).number == 12345);
  CHECK(f.Value("n") == "12345");
  CHECK(f.Get("n").flags == 5);
  f.Set("max", "18446744073709551615");
  CHECK(f.Arith(Op::kIncr, "max", 2).number == 1);
  CHECK(f.Value("max") == "1                   ");
  CHECK(f.Arith(Op::kIncr, "max", std::numeric_limits<uint64_t>::max()).number == 0);
  f.Set("z", "000000000000000000001");  // 21 characters, still a number
  CHECK(f.Arith(Op::kIncr, "z", 1).number == 2);
  CHECK(f.Value("z").size() == 21);
  const std::map<std::string, uint64_t> numeric = {{"12 abc", 13}, {" 5", 6},  {"+5", 6},
                                                   {"-0", 1},      {"5  ", 6}, {"5\t", 6}};
  for (const auto& entry : numeric) {  // not a structured binding: clang 14 cannot capture one
    const std::string& value = entry.first;
    const uint64_t expected = entry.second;
    f.Set("p", value);
    CHECK_MESSAGE(f.Arith(Op::kIncr, "p", 1).number == expected, value);
  }
  for (const char* value : {"abc", "", "18446744073709551616", "-5", " ", "5x", "1.5"}) {
    f.Set("q", value);
    CHECK_MESSAGE(f.Arith(Op::kIncr, "q", 1).outcome == Outcome::kNonNumeric, value);
  }
  CHECK(f.store.Stats().incr_misses.Get() == 1);
  CHECK(f.store.Stats().decr_hits.Get() == 2);
}

TEST_CASE("Store: incr vivify, ttl update and cas check (meta ma)") {
  Fixture f;
  Command ma = Cmd(Op::kIncr, "m");
  ma.vivify = true;
  ma.initial = 13;
  ma.vivify_exptime = 0;
  Result r = f.Run(ma);
  CHECK(r.outcome == Outcome::kArithOk);
  CHECK(r.number == 13);
  CHECK(r.ttl_seconds == -1);
  ma.delta = 1;
  CHECK(f.Run(ma).number == 14);
  ma.update_ttl = true;
  ma.exptime = 50;
  r = f.Run(ma);
  CHECK(r.ttl_seconds == 50);
  ma.check_cas = true;
  ma.compare_cas = r.cas + 100;
  CHECK(f.Run(ma).outcome == Outcome::kExists);
  CHECK(f.Value("m") == "15");
}

TEST_CASE("Store: flush_all now hides everything stored before it") {
  Fixture f;
  f.Set("a", "1");
  f.Set("b", "2");
  Command flush = Cmd(Op::kFlushAll, "");
  CHECK(f.Run(flush).outcome == Outcome::kOk);
  CHECK(f.Value("a") == "<miss>");
  CHECK(f.Value("b") == "<miss>");
  f.Set("c", "3");  // same second, after the flush
  CHECK(f.Value("c") == "3");
  f.clock.Advance(5);
  CHECK(f.Value("c") == "3");
  CHECK(f.store.Stats().get_flushed.Get() == 2);
}

TEST_CASE("Store: delayed flush_all takes effect at delay - 1 (oracle)") {
  Fixture f;
  f.Set("a", "1");
  Command flush = Cmd(Op::kFlushAll, "");
  flush.exptime = 3;
  f.Run(flush);
  f.clock.Advance(1);
  CHECK(f.Value("a") == "1");
  f.clock.Advance(1);
  CHECK(f.Value("a") == "<miss>");
  f.Set("b", "2");  // stored in the second the flush arrives: hidden too (oracle)
  CHECK(f.Value("b") == "<miss>");
  f.clock.Advance(1);
  f.Set("c", "3");
  CHECK(f.Value("c") == "3");
}

TEST_CASE("Store: eviction takes the least recently used item") {
  Fixture f(Opts(4096, 1 << 20, 1, 1));
  const std::string value(200, 'v');
  int stored = 0;
  while (f.store.Stats().evictions.Get() == 0) {
    f.Set("k" + std::to_string(stored++), value);
    if (stored > 1) {
      f.Get("k0");  // keep k0 hot
    }
  }
  CHECK(f.Value("k0") == value);
  CHECK(f.Value("k1") == "<miss>");
  CHECK(f.Value("k" + std::to_string(stored - 1)) == value);
  CHECK(f.store.Stats().evicted_unfetched.Get() == 1);
  CHECK(f.store.MemoryUsedBytes() <= 4096);
}

// memcached -M (t/dash-M.t): a full store refuses instead of evicting, and counts it.
TEST_CASE("Store: evict_on_full false answers kNoMemory and keeps every item") {
  StoreOptions options = Opts(4096, 1 << 20, 1, 1);
  options.evict_on_full = false;
  Fixture f(options);
  const std::string value(200, 'v');
  int stored = 0;
  Result r;
  for (int i = 0; i < 100; ++i) {
    r = f.Set("k" + std::to_string(i), value, /*exptime=*/10);
    if (r.outcome != Outcome::kStored) {
      break;
    }
    ++stored;
  }
  CHECK(r.outcome == Outcome::kNoMemory);
  CHECK(stored > 0);
  CHECK(f.store.Stats().evictions.Get() == 0);
  CHECK(f.store.Stats().store_no_memory.Get() == 1);
  for (int i = 0; i < stored; ++i) {
    CHECK(f.Value("k" + std::to_string(i)) == value);
  }
  // Dead items are still reclaimed: once they expire there is room again.
  f.clock.Advance(11);
  CHECK(f.Set("fresh", value).outcome == Outcome::kStored);
}

// memcached -C (oracle): CAS 0 everywhere; cas and set-with-CAS never match an existing item;
// append/delete/incr with a CAS compare with 0.
TEST_CASE("Store: cas_enabled false (memcached -C)") {
  StoreOptions options = Opts(64 << 20, 1 << 20, 1, 1);
  options.cas_enabled = false;
  Fixture f(options);
  CHECK(f.Set("k", "v1").cas == 0);
  CHECK(f.Get("k").cas == 0);
  Command cas = Cmd(Op::kCas, "k", "v2");
  cas.compare_cas = 0;
  CHECK(f.Run(cas).outcome == Outcome::kExists);
  cas.key = "missing";
  CHECK(f.Run(cas).outcome == Outcome::kNotFound);
  Command set_cas = Cmd(Op::kSet, "k", "v3");
  set_cas.check_cas = true;
  CHECK(f.Run(set_cas).outcome == Outcome::kExists);
  Command append_cas = Cmd(Op::kAppend, "k", "!");
  append_cas.check_cas = true;
  append_cas.compare_cas = 7;
  CHECK(f.Run(append_cas).outcome == Outcome::kExists);
  append_cas.compare_cas = 0;
  CHECK(f.Run(append_cas).outcome == Outcome::kStored);
  CHECK(f.Value("k") == "v1!");
  Command del = Cmd(Op::kDelete, "k");
  del.check_cas = true;
  del.compare_cas = 0;
  CHECK(f.Run(del).outcome == Outcome::kDeleted);
  // flush_all still works (it compares the internal CAS).
  CHECK(f.Set("a", "1").outcome == Outcome::kStored);
  CHECK(f.Run(Cmd(Op::kFlushAll, "")).outcome == Outcome::kOk);
  CHECK(f.Value("a") == "<miss>");
  f.clock.Advance(2);
  CHECK(f.Set("b", "2").outcome == Outcome::kStored);
  CHECK(f.Value("b") == "2");
}

TEST_CASE("Store: no_lru_bump leaves the item where it is") {
  Fixture f(Opts(4096, 1 << 20, 1, 1));
  const std::string value(200, 'v');
  f.Set("k0", value);
  f.Set("k1", value);
  Command peek = Cmd(Op::kGet, "k0");
  peek.no_lru_bump = true;
  f.Run(peek);
  CHECK_FALSE(f.Run(peek).hit_before);
  for (int i = 2; f.store.Stats().evictions.Get() == 0; ++i) {
    f.Set("k" + std::to_string(i), value);
  }
  CHECK(f.Value("k0") == "<miss>");
  CHECK(f.Value("k1") == value);
}

TEST_CASE("Store: expired items are reclaimed from the tail before anything is evicted") {
  Fixture f(Opts(4096, 1 << 20, 1, 1));
  const std::string value(200, 'v');
  f.Set("short", value, 1);
  f.Set("long", value);
  f.clock.Advance(2);
  for (int i = 0; i < 12; ++i) {
    f.Set("k" + std::to_string(i), value);
  }
  CHECK(f.store.Stats().reclaimed.Get() >= 1);
  CHECK(f.store.Stats().expired_unfetched.Get() >= 1);
}

TEST_CASE("Store: memory accounting goes up, down and back to the table alone") {
  Fixture f(Opts(1 << 20, 1 << 20, 1, 1));
  const std::size_t empty = f.store.MemoryUsedBytes();
  CHECK(empty == Table::kInitialBuckets * sizeof(Item*));
  for (int i = 0; i < 100; ++i) {
    f.Set("key" + std::to_string(i), std::string(100, 'x'));
  }
  CHECK(f.store.MemoryUsedBytes() >= empty + 100 * 110);
  CHECK(f.store.Stats().bytes.Get() ==
        f.store.MemoryUsedBytes() - f.store.Stats().hash_bytes.Get());
  CHECK(f.store.Stats().curr_items.Get() == 100);
  for (int i = 0; i < 100; ++i) {
    f.Run(Cmd(Op::kDelete, "key" + std::to_string(i)));
  }
  CHECK(f.store.Stats().bytes.Get() == 0);
  CHECK(f.store.ItemCount() == 0);
  CHECK(f.store.MemoryUsedBytes() == f.store.Stats().hash_bytes.Get());
}

TEST_CASE("Store: too large (oracle sizes) and what a failed store leaves") {
  Fixture f;
  const std::string key(10, 'k');
  CHECK(f.Set(key, std::string(1048507, 'x')).outcome == Outcome::kStored);  // oracle: largest
  CHECK(f.Set(key, std::string(1048508, 'x')).outcome == Outcome::kTooLarge);
  CHECK(f.Value(key) == "<miss>");  // oracle: a failed set removes the old value
  f.Set(key, "old");
  CHECK(f.Set(key, std::string(2 << 20, 'x'), 0, 0, Op::kAdd).outcome == Outcome::kNotStored);
  CHECK(f.Set(key, std::string(2 << 20, 'x'), 0, 0, Op::kReplace).outcome == Outcome::kTooLarge);
  CHECK(f.Value(key) == "old");  // only set drops the old value
  f.Set(key, std::string(1048500, 'x'));
  CHECK(f.Set(key, std::string(100, 'y'), 0, 0, Op::kAppend).outcome == Outcome::kNotStored);
  CHECK(f.Get(key).value.size() == 1048500);
  Fixture small(Opts(2048, 1 << 20, 1, 1));
  CHECK(small.Set("big", std::string(3000, 'x')).outcome == Outcome::kTooLarge);
}

TEST_CASE("Store: a replace may exceed the limit only while both copies exist") {
  // The old item is never evicted to make room for its own replacement; it is freed by the
  // replace itself, so the new value fits when it fits alone.
  Fixture f(Opts(1500, 1 << 20, 1, 1));
  REQUIRE(f.Set("k", std::string(500, 'a')).outcome == Outcome::kStored);
  CHECK(f.Set("k", std::string(400, 'b'), 0, 0, Op::kAppend).outcome == Outcome::kStored);
  CHECK(f.Value("k") == std::string(500, 'a') + std::string(400, 'b'));
  CHECK(f.Set("k", std::string(1200, 'c'), 0, 0, Op::kAppend).outcome == Outcome::kNotStored);
  CHECK(f.Value("k").size() == 900);  // nothing half-stored
  CHECK(f.store.Stats().evictions.Get() == 0);
}

TEST_CASE("Store: mg N vivify gives W to the first asker and Z to the rest (oracle)") {
  Fixture f;
  Command mg = Cmd(Op::kGet, "v");
  mg.vivify = true;
  mg.vivify_exptime = 30;
  Result first = f.Run(mg);
  CHECK(first.outcome == Outcome::kHit);
  CHECK(first.value.empty());
  CHECK(first.win);
  CHECK_FALSE(first.already_won);
  CHECK(first.ttl_seconds == 30);
  Result second = f.Run(mg);
  CHECK_FALSE(second.win);
  CHECK(second.already_won);
  CHECK(second.cas == first.cas);
  f.Set("v", "filled");
  Result after = f.Run(mg);
  CHECK(after.value == "filled");
  CHECK_FALSE(after.win);
  CHECK_FALSE(after.already_won);
}

TEST_CASE("Store: mg applies T and N in request order; t shows the TTL at its place (oracle)") {
  // memcached 1.6.18 on misses: "mg a T20 N10 t" t10, "mg b N10 T20 t" t20, "mg c N10 t T20" t10
  // then keeps 20, "mg e t N10" t-1 then keeps 10; on a hit "mg b t T40" t30 then keeps 40.
  Fixture f;
  auto mg = [&](const char* key, std::array<char, 3> steps) {
    Command c = Cmd(Op::kGet, key);
    c.vivify = true;
    c.vivify_exptime = 10;
    c.touch = std::find(steps.begin(), steps.end(), 'T') != steps.end();
    c.exptime = c.touch ? 20 : 0;
    c.ttl_steps = steps;
    return f.Run(c);
  };
  auto ttl = [&](const char* key) {
    Command c = Cmd(Op::kGet, key);
    c.ttl_steps = {'t', 0, 0};
    return f.Run(c).ttl_seconds;
  };
  CHECK(mg("a", {'T', 'N', 't'}).ttl_seconds == 10);
  CHECK(ttl("a") == 10);
  CHECK(mg("b", {'N', 'T', 't'}).ttl_seconds == 20);
  CHECK(mg("c", {'N', 't', 'T'}).ttl_seconds == 10);
  CHECK(ttl("c") == 20);
  CHECK(mg("e", {'t', 'N', 0}).ttl_seconds == -1);
  CHECK(ttl("e") == 10);
  Command hit = Cmd(Op::kGet, "b");
  hit.vivify = true;
  hit.vivify_exptime = 10;  // N does nothing on a hit
  hit.touch = true;
  hit.exptime = 40;
  hit.ttl_steps = {'t', 'N', 'T'};
  CHECK(f.Run(hit).ttl_seconds == 20);
  CHECK(ttl("b") == 40);
}

TEST_CASE("Store: an item remembers whether ms stored it with a base64 key (oracle: mg k, me)") {
  Fixture f;
  Command ms = Cmd(Op::kSet, "foo", "hi");
  ms.key_binary = true;
  f.Run(ms);
  CHECK(f.Get("foo").key_binary);
  f.Set("foo", "yo", 0, 0, Op::kAppend);  // an appended item is plain, with or without b
  CHECK_FALSE(f.Get("foo").key_binary);
  f.Run(ms);
  Command append = Cmd(Op::kAppend, "foo", "!");
  append.key_binary = true;
  f.Run(append);
  CHECK_FALSE(f.Get("foo").key_binary);
  f.Run(ms);
  f.Set("foo", "plain");
  CHECK_FALSE(f.Get("foo").key_binary);
  Command mg = Cmd(Op::kGet, "viv");  // mg N b creates a plain item
  mg.vivify = true;
  mg.key_binary = true;
  CHECK_FALSE(f.Run(mg).key_binary);
}

TEST_CASE("Store: mg R recache threshold (oracle)") {
  Fixture f;
  f.Set("forever", "v");
  f.Set("r", "v", 100);
  Command mg = Cmd(Op::kGet, "forever");
  mg.recache = true;
  mg.recache_threshold = 200;
  CHECK_FALSE(f.Run(mg).win);  // no TTL, never recached
  mg.key = "r";
  mg.hash = core::KeyHash::Of("r");
  mg.recache_threshold = 50;
  CHECK_FALSE(f.Run(mg).win);
  mg.recache_threshold = 200;
  CHECK(f.Run(mg).win);
  Result later = f.Run(mg);
  CHECK_FALSE(later.win);
  CHECK(later.already_won);
}

TEST_CASE("Store: md I marks stale, ms I stores a stale value under an older CAS (oracle)") {
  Fixture f;
  const uint64_t cas = f.Set("s", "a").cas;
  Command md = Cmd(Op::kDelete, "s");
  md.invalidate = true;
  md.update_ttl = true;
  md.exptime = 30;
  CHECK(f.Run(md).outcome == Outcome::kDeleted);
  Result first = f.Get("s");
  CHECK(first.stale);
  CHECK(first.win);
  CHECK(first.cas > cas);
  CHECK(first.ttl_seconds == 30);
  Result second = f.Get("s");
  CHECK(second.stale);
  CHECK_FALSE(second.win);
  CHECK(second.already_won);
  Command ms = Cmd(Op::kSet, "s", "b");
  ms.check_cas = true;
  ms.invalidate = true;
  ms.compare_cas = first.cas + 100;  // newer than the item's: refused
  CHECK(f.Run(ms).outcome == Outcome::kExists);
  ms.compare_cas = cas;  // older: stored, still stale, keeps TTL and token
  CHECK(f.Run(ms).outcome == Outcome::kStored);
  Result third = f.Get("s");
  CHECK(third.value == "b");
  CHECK(third.stale);
  CHECK(third.already_won);
  CHECK(third.ttl_seconds == 30);
}

TEST_CASE("Store: md x keeps the item with an empty value; E sets the CAS") {
  Fixture f;
  const uint64_t cas = f.Set("x", "value", 0, 9).cas;
  Command md = Cmd(Op::kDelete, "x");
  md.delete_value_only = true;
  CHECK(f.Run(md).outcome == Outcome::kDeleted);
  Result r = f.Get("x");
  CHECK(r.outcome == Outcome::kHit);
  CHECK(r.value.empty());
  CHECK(r.flags == 0);
  CHECK(r.cas == cas);
  Command md_i = Cmd(Op::kDelete, "x");
  md_i.invalidate = true;
  md_i.new_cas = 4242;
  f.Run(md_i);
  CHECK(f.Get("x").cas == 4242);
}

TEST_CASE("Store: last access and hit_before report the state before this request") {
  Fixture f;
  f.Set("k", "v");
  f.clock.Advance(7);
  Result r = f.Get("k");
  CHECK(r.last_access_seconds == 7);
  CHECK_FALSE(r.hit_before);
  f.clock.Advance(2);
  r = f.Get("k");
  CHECK(r.last_access_seconds == 2);
  CHECK(r.hit_before);
}

TEST_CASE("Store: randomized operations agree with a std::map model") {
  Fixture f(Opts(24 << 10, 1 << 20, 1, 1));  // small: evictions happen
  std::map<std::string, std::string> model;
  std::mt19937_64 rng(12345);
  for (int step = 0; step < 20000; ++step) {
    const std::string key = "k" + std::to_string(rng() % 200);
    const uint64_t choice = rng() % 6;
    if (choice < 2) {
      const std::string value(rng() % 300, static_cast<char>('a' + rng() % 26));
      REQUIRE(f.Set(key, value).outcome == Outcome::kStored);
      model[key] = value;
    } else if (choice == 2) {
      const bool present = f.Run(Cmd(Op::kDelete, key)).outcome == Outcome::kDeleted;
      const bool modelled = model.erase(key) == 1;
      CHECK((!present || modelled));  // the store may have evicted it, never invented it
    } else if (choice == 3) {
      Result r = f.Set(key, "+", 0, 0, Op::kAppend);
      if (r.outcome == Outcome::kStored) {
        REQUIRE(model.count(key) == 1);
        model[key] += "+";
      }
    } else {
      Result r = f.Get(key);
      if (r.outcome == Outcome::kHit) {
        REQUIRE(model.count(key) == 1);
        CHECK(r.value == model[key]);
      } else {
        model.erase(key);  // evicted: the only way an item may vanish here
      }
    }
  }
  std::size_t present = 0;
  for (const auto& [key, value] : model) {
    if (f.Value(key) == value) {
      ++present;
    }
  }
  CHECK(present == f.store.ItemCount());
  CHECK(f.store.Stats().evictions.Get() > 0);
}

}  // namespace
}  // namespace corecached::shard
