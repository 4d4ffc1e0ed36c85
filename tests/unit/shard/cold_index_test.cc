#include "shard/cold_index.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/key_hash.h"

namespace corecached::shard {
namespace {

uint64_t H(const std::string& key) { return core::KeyHash::Of(key).TableBits(); }

ColdEntry Meta(uint64_t n) {
  ColdEntry e;
  e.cas = n * 7 + 1;
  e.SetWriteId(n + 100);
  e.exptime = static_cast<uint32_t>(n % 1000);
  e.time = static_cast<uint32_t>(n % 977);
  e.flags = static_cast<uint32_t>(n * 3);
  e.value_size = static_cast<uint32_t>(n % 5000 + 1);
  return e;
}

ColdIndex::Ref Insert(ColdIndex& index, const std::string& key, uint64_t n) {
  return index.Insert(H(key), key, Meta(n));
}

// Every key of `live` is found with its own fields, every key of `gone` is not.
void CheckAll(const ColdIndex& index, const std::map<std::string, uint64_t>& live,
              const std::vector<std::string>& gone) {
  CHECK(index.size() == live.size());
  for (const auto& [key, n] : live) {
    const ColdIndex::Ref ref = index.Find(H(key), key);
    REQUIRE(ref != ColdIndex::kNone);
    CHECK(index.Key(ref) == key);
    CHECK(index.At(ref).cas == n * 7 + 1);
    CHECK(index.At(ref).WriteId() == n + 100);
    CHECK(index.At(ref).value_size == n % 5000 + 1);
  }
  for (const std::string& key : gone) {
    CHECK(index.Find(H(key), key) == ColdIndex::kNone);
  }
}

TEST_CASE("ColdIndex: insert, find, erase; packed fields keep their values") {
  ColdIndex index;
  CHECK(index.Find(H("a"), "a") == ColdIndex::kNone);
  ColdEntry e;
  e.SetWriteId(ColdEntry::kMaxWriteId);
  e.SetBits(0xa5);
  e.SetState(ColdEntry::kLoading);
  e.Mark(ColdEntry::kTouched);
  const ColdIndex::Ref ref = index.Insert(H("key"), "key", e);
  REQUIRE(ref != ColdIndex::kNone);
  CHECK(index.Find(H("key"), "key") == ref);
  CHECK(index.Find(H("kez"), "kez") == ColdIndex::kNone);
  CHECK(index.At(ref).WriteId() == ColdEntry::kMaxWriteId);
  CHECK(index.At(ref).Bits() == 0xa5);
  CHECK(index.At(ref).Has(ColdEntry::kLoading));
  CHECK(index.At(ref).Has(ColdEntry::kTouched));
  CHECK(!index.At(ref).Has(ColdEntry::kReferenced));
  index.At(ref).Unmark(ColdEntry::kLoading);
  CHECK(!index.At(ref).Has(ColdEntry::kLoading));
  CHECK(index.At(ref).WriteId() == ColdEntry::kMaxWriteId);  // untouched by the state bits
  CHECK(index.At(ref).KeySize() == 3);
  index.Erase(ref);
  CHECK(index.empty());
  CHECK(index.Find(H("key"), "key") == ColdIndex::kNone);
  // The freed entry is reused.
  CHECK(Insert(index, "other", 1) == ref);
}

TEST_CASE("ColdIndex: keys with the same home slot and the same hash tag are told apart") {
  // Search for two keys whose hashes agree in the low 4 bits (home slot in 16 slots) and in the
  // 16-bit tag: only the key bytes separate them.
  std::map<uint32_t, std::string> seen;
  std::string first;
  std::string second;
  for (int i = 0; i < 4'000'000 && second.empty(); ++i) {
    const std::string key = "c" + std::to_string(i);
    const uint64_t h = H(key);
    const auto sig = static_cast<uint32_t>(((h >> 40) & 0xffff) << 4 | (h & 0xf));
    auto [it, fresh] = seen.emplace(sig, key);
    if (!fresh) {
      first = it->second;
      second = key;
    }
  }
  REQUIRE(!second.empty());
  ColdIndex index;
  const ColdIndex::Ref a = Insert(index, first, 1);
  CHECK(index.Find(H(second), second) == ColdIndex::kNone);
  const ColdIndex::Ref b = Insert(index, second, 2);
  CHECK(index.Find(H(first), first) == a);
  CHECK(index.Find(H(second), second) == b);
  index.Erase(a);  // b shifts back into a's slot
  CHECK(index.Find(H(second), second) == b);
  CHECK(index.Find(H(first), first) == ColdIndex::kNone);
}

TEST_CASE("ColdIndex: a full small table (clusters that wrap around) survives every erase order") {
  for (int order = 0; order < 50; ++order) {
    ColdIndex index;
    std::map<std::string, uint64_t> live;
    for (uint64_t i = 0; i < 12; ++i) {  // 12 of 16 slots: below the 0.8 growth point
      const std::string key = "w" + std::to_string(i);
      Insert(index, key, i);
      live[key] = i;
    }
    REQUIRE(index.SlotCount() == ColdIndex::kInitialSlots);
    std::vector<std::string> keys;
    for (const auto& kv : live) {
      keys.push_back(kv.first);
    }
    std::mt19937 rng(static_cast<uint32_t>(order));
    std::shuffle(keys.begin(), keys.end(), rng);
    std::vector<std::string> gone;
    for (const std::string& key : keys) {
      index.Erase(index.Find(H(key), key));
      live.erase(key);
      gone.push_back(key);
      CheckAll(index, live, gone);
    }
  }
}

TEST_CASE("ColdIndex: growth keeps every key; load stays at or below kMaxLoad") {
  ColdIndex index;
  std::map<std::string, uint64_t> live;
  for (uint64_t i = 0; i < 100'000; ++i) {
    const std::string key = "grow:" + std::to_string(i);
    REQUIRE(Insert(index, key, i) != ColdIndex::kNone);
    live[key] = i;
    CHECK(static_cast<double>(index.size()) <=
          static_cast<double>(index.SlotCount()) * ColdIndex::kMaxLoad);
  }
  CHECK(index.SlotCount() == 131072);
  CheckAll(index, live, {"grow:100000", "grow:-1", "x"});
  // The accounting: 40-byte entries (the last chunk may be partly empty), 4-byte slots, the key
  // bytes (the last arena chunk may be partly empty), nothing per item beyond.
  CHECK(index.SlotBytes() == index.SlotCount() * 4);
  CHECK(index.EntryBytes() <= (index.size() + ColdIndex::kEntriesPerChunk) * sizeof(ColdEntry));
  CHECK(index.ArenaBytes() <= index.size() * 10 + ColdIndex::kArenaChunkBytes);
  CHECK(index.MemoryBytes() == index.SlotBytes() + index.EntryBytes() + index.ArenaBytes());
}

TEST_CASE("ColdIndex: churn (random inserts and erases) against std::map") {
  ColdIndex index;
  std::map<std::string, uint64_t> live;
  std::mt19937 rng(7);
  for (int step = 0; step < 200'000; ++step) {
    const std::string key = "k" + std::to_string(rng() % 5000);
    auto it = live.find(key);
    const ColdIndex::Ref ref = index.Find(H(key), key);
    REQUIRE((ref != ColdIndex::kNone) == (it != live.end()));
    if (it != live.end()) {
      index.Erase(ref);
      live.erase(it);
    } else {
      Insert(index, key, static_cast<uint64_t>(step));
      live[key] = static_cast<uint64_t>(step);
    }
  }
  CheckAll(index, live, {});
  // Iteration visits every live entry once.
  std::size_t visited = 0;
  for (ColdIndex::Ref ref = index.First(); ref != ColdIndex::kNone; ref = index.Next(ref)) {
    CHECK(live.count(std::string(index.Key(ref))) == 1);
    ++visited;
  }
  CHECK(visited == live.size());
}

TEST_CASE("ColdIndex: erased keys' bytes are reclaimed by compaction; keys stay intact") {
  ColdIndex index;
  std::map<std::string, uint64_t> live;
  std::vector<std::string> gone;
  const std::string pad(200, 'p');
  for (uint64_t i = 0; i < 20'000; ++i) {  // 4 MB of keys
    const std::string key = pad + std::to_string(i);
    Insert(index, key, i);
    live[key] = i;
  }
  const std::size_t arena_before = index.ArenaBytes();
  for (uint64_t i = 0; i < 20'000; i += 2) {
    const std::string key = pad + std::to_string(i);
    index.Erase(index.Find(H(key), key));
    live.erase(key);
    gone.push_back(key);
  }
  CHECK(index.Compactions() >= 1);
  CHECK(index.ArenaBytes() < arena_before);
  CHECK(index.GarbageBytes() * 4 <= index.ArenaBytes() + ColdIndex::kArenaChunkBytes * 4);
  CheckAll(index, live, gone);
}

TEST_CASE("ColdIndex: the clock hand skips referenced entries once") {
  ColdIndex index;
  const ColdIndex::Ref a = Insert(index, "a", 1);
  const ColdIndex::Ref b = Insert(index, "b", 2);
  const ColdIndex::Ref c = Insert(index, "c", 3);
  index.At(a).Mark(ColdEntry::kReferenced);
  index.At(b).Mark(ColdEntry::kReferenced);
  CHECK(index.ClockVictim() == c);
  index.Erase(c);
  CHECK(index.ClockVictim() == a);  // a and b lost their mark when the hand passed them
  CHECK(!index.At(b).Has(ColdEntry::kReferenced));
  index.Erase(a);
  index.Erase(b);
  CHECK(index.ClockVictim() == ColdIndex::kNone);
}

TEST_CASE("ColdIndex: MemoryBytesAfterInsert bounds the next insert") {
  ColdIndex index;
  for (uint64_t i = 0; i < 30'000; ++i) {
    const std::string key = "bound:" + std::to_string(i);
    const std::size_t bound = index.MemoryBytesAfterInsert(key.size());
    Insert(index, key, i);
    REQUIRE(index.MemoryBytes() <= bound);
  }
}

TEST_CASE("ColdIndex: MemoryBytesAfterInserts bounds a whole round of inserts, growths included") {
  ColdIndex index;
  uint64_t next = 0;
  // Rounds of 1..700 inserts (a round of write-back completions) from empty to 300k entries:
  // every slot doubling, entry chunk and arena chunk is crossed by some round.
  std::mt19937_64 rnd(14);
  while (index.size() < 300'000) {
    const std::size_t n = 1 + rnd() % 700;
    std::vector<std::string> keys;
    std::size_t key_bytes = 0;
    for (std::size_t i = 0; i < n; ++i) {
      keys.push_back("round:" + std::to_string(next++));
      key_bytes += keys.back().size();
    }
    const std::size_t bound = index.MemoryBytesAfterInserts(n, key_bytes);
    CHECK(bound >= index.MemoryBytesAfterInsert(keys[0].size()));
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(Insert(index, keys[i], next + i) != ColdIndex::kNone);
    }
    REQUIRE(index.MemoryBytes() <= bound);
  }
}

}  // namespace
}  // namespace corecached::shard
