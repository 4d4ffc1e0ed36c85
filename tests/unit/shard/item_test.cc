#include "shard/item.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "core/key_hash.h"

namespace corecached::shard {
namespace {

TEST_CASE("Item: one allocation holds header, key and value") {
  const std::string key = "user:42";
  const uint64_t hash = core::KeyHash::Of(key).value;
  ItemPtr item(Item::Create(key, 5, hash));
  REQUIRE(item != nullptr);
  std::memcpy(item->MutableValue(), "hello", 5);
  CHECK(item->Key() == "user:42");
  CHECK(item->Value() == "hello");
  CHECK(item->value_size == 5);
  CHECK(item->KeyEquals(hash, key));
  CHECK_FALSE(item->KeyEquals(hash + 1, key));
  CHECK_FALSE(item->KeyEquals(hash, "user:43"));
  CHECK(item->Key().data() == reinterpret_cast<const char*>(item.get()) + sizeof(Item));
  CHECK(item->Value().data() == item->Key().data() + key.size());
}

TEST_CASE("Item: empty value and longest key") {
  const std::string key(250, 'k');
  ItemPtr item(Item::Create(key, 0, 7));
  REQUIRE(item != nullptr);
  CHECK(item->Key() == key);
  CHECK(item->Value().empty());
  CHECK(Item::RequestedBytes(250, 0) == sizeof(Item) + 250);
}

TEST_CASE("Item: bits set and clear independently") {
  ItemPtr item(Item::Create("k", 0, 1));
  CHECK_FALSE(item->Has(Item::kFetched));
  item->Set(Item::kFetched);
  item->Set(Item::kTokenSent);
  CHECK(item->Has(Item::kFetched));
  CHECK(item->Has(Item::kTokenSent));
  CHECK_FALSE(item->Has(Item::kStale));
  item->Clear(Item::kFetched);
  CHECK_FALSE(item->Has(Item::kFetched));
  CHECK(item->Has(Item::kTokenSent));
}

TEST_CASE("Item: a promoted item's record trailer keeps write id and exptime beside the value") {
  const std::string value = "0123456789abcdef";  // 56 + 1 + 16 + 10 bytes: crosses a 16-byte step
  ItemPtr item(Item::Create("k", value.size(), 1, Item::kRecordTrailerBytes));
  REQUIRE(item != nullptr);
  std::memcpy(item->MutableValue(), value.data(), value.size());
  CHECK(item->AllocatedBytes() >=
        Item::RequestedBytes(1, value.size()) + Item::kRecordTrailerBytes);
  CHECK_FALSE(item->Has(Item::kClean));
  const uint64_t largest = (uint64_t{1} << 48) - 1;  // ColdEntry::kMaxWriteId
  item->SetRecord(largest, 0xfedcba98);
  CHECK(item->Has(Item::kClean));
  CHECK(item->RecordWriteId() == largest);
  CHECK(item->RecordExptime() == 0xfedcba98);
  CHECK(item->Value() == value);  // the trailer sits after the value, never in it
  CHECK(item->value_size == value.size());
  item->SetRecord(0x0000010203040506, 0);
  CHECK(item->RecordWriteId() == 0x0000010203040506);
  CHECK(item->RecordExptime() == 0);
  CHECK(item->Value() == value);
}

TEST_CASE("Item: overhead for a 10-byte key and a 100-byte value") {
  ItemPtr item(Item::Create("0123456789", 100, 1));
  const std::size_t payload = 110;
  const std::size_t allocated = item->AllocatedBytes();
  std::printf("item overhead: header %zu, requested %zu, allocated %zu, over key+value %zu\n",
              sizeof(Item), Item::RequestedBytes(10, 100), allocated, allocated - payload);
  CHECK(sizeof(Item) == 56);
  CHECK(allocated >= Item::RequestedBytes(10, 100));
  // memcached 1.6.18 stores this item in a 192-byte slab chunk (82 bytes over key + value).
  CHECK(allocated - payload <= 82);
}

}  // namespace
}  // namespace corecached::shard
