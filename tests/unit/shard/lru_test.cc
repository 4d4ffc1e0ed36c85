#include "shard/lru.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace corecached::shard {
namespace {

struct Items {
  std::vector<ItemPtr> owned;
  Item& Make(const std::string& key) {
    owned.emplace_back(Item::Create(key, 0, 0));
    return *owned.back();
  }
};

std::vector<std::string> OldestFirst(Lru& lru) {
  std::vector<std::string> keys;
  for (Item* item = lru.Oldest(); item != nullptr; item = lru.Newer(*item)) {
    keys.emplace_back(item->Key());
  }
  return keys;
}

TEST_CASE("Lru: the first pushed is the oldest") {
  Items items;
  Lru lru;
  CHECK(lru.Oldest() == nullptr);
  for (const char* k : {"a", "b", "c"}) {
    lru.PushFront(items.Make(k));
  }
  CHECK(OldestFirst(lru) == std::vector<std::string>{"a", "b", "c"});
  lru.Remove(*items.owned[0]);
  lru.Remove(*items.owned[1]);
  lru.Remove(*items.owned[2]);
  CHECK(lru.empty());
}

TEST_CASE("Lru: bump moves an item to the front") {
  Items items;
  Lru lru;
  for (const char* k : {"a", "b", "c"}) {
    lru.PushFront(items.Make(k));
  }
  lru.Bump(*items.owned[0]);
  CHECK(OldestFirst(lru) == std::vector<std::string>{"b", "c", "a"});
  lru.Bump(*items.owned[0]);  // already at the front
  CHECK(OldestFirst(lru) == std::vector<std::string>{"b", "c", "a"});
  lru.Remove(*items.owned[2]);
  CHECK(OldestFirst(lru) == std::vector<std::string>{"b", "a"});
  CHECK(lru.size() == 2);
  lru.Remove(*items.owned[0]);
  lru.Remove(*items.owned[1]);
}

TEST_CASE("Lru: Newer of the front is null") {
  Items items;
  Lru lru;
  lru.PushFront(items.Make("only"));
  CHECK(lru.Oldest() == items.owned[0].get());
  CHECK(lru.Newer(*items.owned[0]) == nullptr);
  lru.Remove(*items.owned[0]);
}

}  // namespace
}  // namespace corecached::shard
