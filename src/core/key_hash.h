#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string_view>

namespace corecached::core {

// KeyHash is the 64-bit XXH3 hash of a key, computed once per key by the parser's caller and
// carried in the Command (seastar's item_key does the same). The high 32 bits choose the shard and
// the low bits index the shard's table, so the two uses stay independent: with shard = hash % S the
// keys of one shard would share their low bits and use only 1/S of the table's buckets.
//
// Thread: any (immutable value type).
struct KeyHash {
  uint64_t value = 0;

  static KeyHash Of(std::string_view key) { return KeyHash{XXH3_64bits(key.data(), key.size())}; }

  [[nodiscard]] uint32_t ShardBits() const { return static_cast<uint32_t>(value >> 32); }
  [[nodiscard]] uint64_t TableBits() const { return value; }

  friend bool operator==(KeyHash a, KeyHash b) { return a.value == b.value; }
};

}  // namespace corecached::core
