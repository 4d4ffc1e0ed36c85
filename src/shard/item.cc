#include "shard/item.h"

#include <malloc.h>

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

namespace corecached::shard {

static_assert(sizeof(Item) == 56, "Item header grew: update the layout comment and store.h");

namespace {
// glibc keeps one size word before each chunk; malloc_usable_size does not count it.
constexpr std::size_t kMallocChunkHeaderBytes = sizeof(std::size_t);
// The trailer of a clean item: write id (48 bits, little-endian), then the record's exptime.
constexpr std::size_t kWriteIdBytes = 6;
static_assert(kWriteIdBytes + sizeof(uint32_t) == Item::kRecordTrailerBytes);
}  // namespace

Item* Item::Create(std::string_view key, std::size_t value_size, uint64_t hash,
                   std::size_t trailer_bytes) {
  // One malloc'd block holds header, key and value; the Store owns it, Item::Destroy frees it.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
  void* raw = std::malloc(RequestedBytes(key.size(), value_size) + trailer_bytes);
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

void Item::SetRecord(uint64_t write_id, uint32_t record_exptime) {
  assert(malloc_usable_size(this) >= RequestedBytes(key_size, value_size) + kRecordTrailerBytes);
  char* trailer = MutableValue() + value_size;
  for (std::size_t i = 0; i < kWriteIdBytes; ++i) {
    trailer[i] = static_cast<char>(static_cast<uint8_t>(write_id >> (8 * i)));
  }
  std::memcpy(trailer + kWriteIdBytes, &record_exptime, sizeof(record_exptime));
  Set(kClean);
}

uint64_t Item::RecordWriteId() const {
  uint64_t id = 0;
  for (std::size_t i = 0; i < kWriteIdBytes; ++i) {
    id |= uint64_t{static_cast<uint8_t>(Trailer()[i])} << (8 * i);
  }
  return id;
}

uint32_t Item::RecordExptime() const {
  uint32_t record_exptime = 0;
  std::memcpy(&record_exptime, Trailer() + kWriteIdBytes, sizeof(record_exptime));
  return record_exptime;
}

const char* Item::data() const { return reinterpret_cast<const char*>(this) + sizeof(Item); }

std::string_view Item::Key() const { return {data(), key_size}; }

std::string_view Item::Value() const { return {data() + key_size, value_size}; }

char* Item::MutableValue() { return reinterpret_cast<char*>(this) + sizeof(Item) + key_size; }

bool Item::KeyEquals(uint64_t hash, std::string_view other) const {
  return hash_low == static_cast<uint32_t>(hash) && Key() == other;
}

}  // namespace corecached::shard
