#include "shard/table.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/key_hash.h"

namespace corecached::shard {
namespace {

struct Owned {
  std::vector<ItemPtr> items;
  Item* Make(const std::string& key, uint64_t hash) {
    items.emplace_back(Item::Create(key, 0, hash));
    return items.back().get();
  }
  Item* Make(const std::string& key) { return Make(key, core::KeyHash::Of(key).value); }
};

uint64_t HashOf(const std::string& key) { return core::KeyHash::Of(key).value; }

TEST_CASE("Table: insert, find, remove") {
  Owned owned;
  Table table;
  CHECK(table.Find(HashOf("a"), "a") == nullptr);
  Item* a = owned.Make("a");
  table.Insert(a);
  CHECK(table.Find(HashOf("a"), "a") == a);
  CHECK(table.Find(HashOf("b"), "b") == nullptr);
  CHECK(table.size() == 1);
  table.Remove(a);
  CHECK(table.Find(HashOf("a"), "a") == nullptr);
  CHECK(table.size() == 0);
}

TEST_CASE("Table: keys whose hashes collide in every bit stay apart") {
  Owned owned;
  Table table;
  Item* x = owned.Make("x", 42);
  Item* y = owned.Make("y", 42);
  Item* z = owned.Make("z", 42);
  table.Insert(x);
  table.Insert(y);
  table.Insert(z);
  CHECK(table.Find(42, "x") == x);
  CHECK(table.Find(42, "y") == y);
  CHECK(table.Find(42, "z") == z);
  table.Remove(y);
  CHECK(table.Find(42, "y") == nullptr);
  CHECK(table.Find(42, "x") == x);
  CHECK(table.Find(42, "z") == z);
}

TEST_CASE("Table: grows by powers of two, incrementally, and finds everything meanwhile") {
  Owned owned;
  Table table;
  constexpr int kCount = 20000;
  bool saw_rehash = false;
  for (int i = 0; i < kCount; ++i) {
    table.Insert(owned.Make("key:" + std::to_string(i)));
    saw_rehash = saw_rehash || table.Rehashing();
    if (table.Rehashing() && i % 97 == 0) {
      for (int j = 0; j <= i; j += 13) {
        const std::string key = "key:" + std::to_string(j);
        REQUIRE(table.Find(HashOf(key), key) != nullptr);
      }
    }
  }
  CHECK(saw_rehash);
  CHECK(table.size() == kCount);
  const std::size_t buckets = table.BucketCount();
  CHECK((buckets & (buckets - 1)) == 0);
  CHECK(kCount <= buckets + buckets / 2);
  CHECK(table.BucketBytes() >= buckets * sizeof(Item*));
  for (int i = 0; i < kCount; i += 2) {
    const std::string key = "key:" + std::to_string(i);
    Item* item = table.Find(HashOf(key), key);
    REQUIRE(item != nullptr);
    table.Remove(item);
  }
  for (int i = 0; i < kCount; ++i) {
    const std::string key = "key:" + std::to_string(i);
    CHECK((table.Find(HashOf(key), key) != nullptr) == (i % 2 == 1));
  }
  CHECK(table.size() == kCount / 2);
}

TEST_CASE("Table: BucketBytesAfterInsert foresees a growth") {
  Owned owned;
  Table table;
  const std::size_t limit = Table::kInitialBuckets + Table::kInitialBuckets / 2;
  for (std::size_t i = 0; i < limit; ++i) {
    table.Insert(owned.Make("k" + std::to_string(i)));
  }
  CHECK_FALSE(table.Rehashing());
  const std::size_t predicted = table.BucketBytesAfterInsert();
  CHECK(predicted == 3 * Table::kInitialBuckets * sizeof(Item*));
  table.Insert(owned.Make("one more"));
  CHECK(table.BucketBytes() <= predicted);
  CHECK(table.BucketCount() == 2 * Table::kInitialBuckets);
}

TEST_CASE("Table: PopAny drains every item") {
  Owned owned;
  Table table;
  for (int i = 0; i < 100; ++i) {
    table.Insert(owned.Make(std::to_string(i)));
  }
  int popped = 0;
  while (table.PopAny() != nullptr) {
    ++popped;
  }
  CHECK(popped == 100);
  CHECK(table.size() == 0);
}

TEST_CASE("issue #10: PopAny drains every item mid-rehash and after inserts between pops") {
  Owned owned;
  Table table;
  for (int i = 0; i < 25; ++i) {  // 25 > 1.5 * 16: growth starts and is left half done
    table.Insert(owned.Make("a" + std::to_string(i)));
  }
  REQUIRE(table.Rehashing());
  int popped = 0;
  for (int i = 0; i < 5; ++i) {
    CHECK(table.PopAny() != nullptr);  // each pop also migrates old buckets (possibly below the
    ++popped;                          // cursor); an insert resets the cursor
  }
  table.Insert(owned.Make("late"));
  while (table.PopAny() != nullptr) {
    ++popped;
  }
  CHECK(popped == 26);
  CHECK(table.size() == 0);
  // 200k items: one scan of the bucket array, not one per item (this took minutes when quadratic).
  for (int i = 0; i < 200'000; ++i) {
    table.Insert(owned.Make("b" + std::to_string(i)));
  }
  popped = 0;
  while (table.PopAny() != nullptr) {
    ++popped;
  }
  CHECK(popped == 200'000);
}

}  // namespace
}  // namespace corecached::shard
