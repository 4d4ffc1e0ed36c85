#include "shard/item.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace corecached::shard {

static_assert(sizeof(Item) == 56, "Item header grew: update the layout comment and store.h");

namespace {
// glibc keeps one size word before each chunk; malloc_usable_size does not count it.
constexpr std::size_t kMallocChunkHeaderBytes = sizeof(std::size_t);
}  // namespace

Item* Item::Create(std::string_view key, std::size_t value_size, uint64_t hash) {
  // One malloc'd block holds header, key and value; the Store owns it, Item::Destroy frees it.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
  void* raw = std::malloc(RequestedBytes(key.size(), value_size));
  if (raw == nullptr) {
    return nullptr;
  }
  Item* item = new (raw) Item();  // NOLINT(cppcoreguidelines-owning-memory)
  item->key_size = static_cast<uint8_t>(key.size());
  item->value_size = static_cast<uint32_t>(value_size);
  item->hash_low = static_cast<uint32_t>(hash);
  std::memcpy(static_cast<char*>(raw) + sizeof(Item), key.data(), key.size());
  return item;
}

void Item::Destroy(Item* item) {
  if (item == nullptr) {
    return;
  }
  item->~Item();
  std::free(item);  // NOLINT(cppcoreguidelines-owning-memory)
}

std::size_t Item::RequestedBytes(std::size_t key_size, std::size_t value_size) {
  return sizeof(Item) + key_size + value_size;
}

std::size_t Item::AllocatedBytes() const {
  // malloc_usable_size takes a non-const pointer but only reads the chunk header.
  return malloc_usable_size(const_cast<Item*>(this)) + kMallocChunkHeaderBytes;
}

const char* Item::data() const { return reinterpret_cast<const char*>(this) + sizeof(Item); }

std::string_view Item::Key() const { return {data(), key_size}; }

std::string_view Item::Value() const { return {data() + key_size, value_size}; }

char* Item::MutableValue() { return reinterpret_cast<char*>(this) + sizeof(Item) + key_size; }

bool Item::KeyEquals(uint64_t hash, std::string_view other) const {
  return hash_low == static_cast<uint32_t>(hash) && Key() == other;
}

}  // namespace corecached::shard
