#pragma once

#include <boost/intrusive/list_hook.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace corecached::shard {

// Item is one cache entry in ONE allocation: this 56-byte header, then the key bytes, then the
// value bytes (no NUL, no "\r\n"). The table chains through hash_next; the LRU links through
// lru_hook.
//
// Layout, 64-bit (checked by a static_assert in item.cc):
//   lru_hook 16 | hash_next 8 | cas 8 | exptime 4 | time 4 | hash_low 4 | flags 4 | value_size 4 |
//   key_size 1 | bits 1 | spare 2  = 56 bytes.
// Times are seconds relative to the Store's epoch (uint32, as memcached's rel_time_t): exptime 0
// means "never", time is the last store or access. hash_low keeps the low 32 bits of the KeyHash:
// enough to pick a bucket in any table below 2^32 buckets and to skip most key compares.
//
// Owner: the Store of one shard (through its Table). Thread: owning shard.
// An Item stays valid until the Store unlinks and destroys it; key() and value() views die with it.
// Items are hot: an item written back to the cold tier leaves as a ColdEntry (shard/cold_index.h).
//
// A clean item (kClean: promoted from the cold tier and unchanged since) carries its record's
// identity in a 10-byte trailer after the value: the record's write id (48 bits) and the exptime
// the record holds (relative, as `exptime`). Only promotions allocate it (Create's trailer_bytes),
// so the header stays 56 bytes and items never promoted pay nothing; a promoted item's chunk grows
// by 16 bytes in 10 of 16 sizes (glibc's 16-byte steps), else not at all.
class Item {
 public:
  using LruHook = boost::intrusive::list_member_hook<
      boost::intrusive::link_mode<boost::intrusive::normal_link>>;

  // Bits in `bits`.
  static constexpr uint8_t kFetched = 1;       // read at least once since stored (meta h)
  static constexpr uint8_t kStale = 2;         // invalidated by md I / ms I (meta X)
  static constexpr uint8_t kTokenSent = 4;     // a client was told to recache (meta W sent, Z next)
  static constexpr uint8_t kWriting = 8;       // its value is being written to the cold tier
  static constexpr uint8_t kMaybeOnDisk = 16;  // the cold tier may hold a record for its key
  static constexpr uint8_t kKeyBinary = 32;    // stored by ms with b: meta prints the key base64
  // Its cold record (RecordWriteId) holds exactly its value, flags and cas: demoting it writes
  // nothing (store_cold.cc). Set only by SetRecord; cleared by any change in place.
  static constexpr uint8_t kClean = 64;

  static constexpr std::size_t kRecordTrailerBytes = 10;

  // Allocates key_size + value_size (+ trailer_bytes, 0 or kRecordTrailerBytes) bytes after the
  // header. Value bytes are uninitialised. Returns nullptr when malloc fails.
  // REQUIRES: key.size() <= 255, value_size < 2^32.
  static Item* Create(std::string_view key, std::size_t value_size, uint64_t hash,
                      std::size_t trailer_bytes = 0);
  // Frees an item created by Create. REQUIRES: unlinked from table and LRU.
  static void Destroy(Item* item);

  // Header + key + value, the size Create asks malloc for.
  static std::size_t RequestedBytes(std::size_t key_size, std::size_t value_size);
  // What the allocation really costs: malloc_usable_size plus glibc's per-chunk size word.
  [[nodiscard]] std::size_t AllocatedBytes() const;

  [[nodiscard]] std::string_view Key() const;
  [[nodiscard]] std::string_view Value() const;
  [[nodiscard]] char* MutableValue();
  [[nodiscard]] bool KeyEquals(uint64_t hash, std::string_view key) const;

  // Marks the item clean: its record is `write_id`, holding `record_exptime`.
  // REQUIRES: created with trailer_bytes = kRecordTrailerBytes; write_id < 2^48.
  void SetRecord(uint64_t write_id, uint32_t record_exptime);
  // REQUIRES: Has(kClean).
  [[nodiscard]] uint64_t RecordWriteId() const;
  [[nodiscard]] uint32_t RecordExptime() const;

  [[nodiscard]] bool Has(uint8_t bit) const { return (bits & bit) != 0; }
  void Set(uint8_t bit) { bits = static_cast<uint8_t>(bits | bit); }
  void Clear(uint8_t bit) { bits = static_cast<uint8_t>(bits & ~bit); }

  LruHook lru_hook;
  Item* hash_next = nullptr;
  uint64_t cas = 0;
  uint32_t exptime = 0;
  uint32_t time = 0;
  uint32_t hash_low = 0;
  uint32_t flags = 0;
  uint32_t value_size = 0;
  uint8_t key_size = 0;
  uint8_t bits = 0;

 private:
  Item() = default;
  ~Item() = default;
  [[nodiscard]] const char* data() const;
  [[nodiscard]] const char* Trailer() const { return data() + key_size + value_size; }
};

// Owns an item that is not (or no longer) linked: destroys it unless released.
struct ItemDeleter {
  void operator()(Item* item) const { Item::Destroy(item); }
};
using ItemPtr = std::unique_ptr<Item, ItemDeleter>;

}  // namespace corecached::shard
