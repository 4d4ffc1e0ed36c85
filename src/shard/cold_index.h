#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace corecached::shard {

// ColdEntry: the metadata of one cold item (its value is in the cold store), 40 bytes, packed:
//   cas 8 | id_word 8: write id (48 bits) | item bits (8, Item::k*) | cold state (8, kLoading...)
//   key_ref 8: arena position (20 bits) | arena chunk (20) | key size (8) | hash tag (16)
//   exptime 4 | time 4 | flags 4 | value_size 4
// Times are the Store's relative seconds, as in Item. A free entry has key size 0 and keeps the
// next free entry's number in `cas`.
struct ColdEntry {
  uint64_t cas = 0;
  uint64_t id_word = 0;
  uint64_t key_ref = 0;
  uint32_t exptime = 0;
  uint32_t time = 0;
  uint32_t flags = 0;
  uint32_t value_size = 0;

  // Cold states (the high byte of id_word).
  static constexpr uint8_t kLoading = 1;  // a load of write_id is in flight
  static constexpr uint8_t kTouched = 2;  // read once from disk (admission: the next read promotes)
  static constexpr uint8_t kReferenced = 4;  // read since the eviction hand last passed

  static constexpr uint64_t kMaxWriteId = (uint64_t{1} << 48) - 1;

  [[nodiscard]] uint64_t WriteId() const { return id_word & kMaxWriteId; }
  [[nodiscard]] uint8_t Bits() const { return static_cast<uint8_t>(id_word >> 48); }
  [[nodiscard]] uint8_t State() const { return static_cast<uint8_t>(id_word >> 56); }
  [[nodiscard]] bool Has(uint8_t state) const { return (State() & state) != 0; }
  [[nodiscard]] std::size_t KeySize() const { return (key_ref >> 40) & 0xff; }
  void SetWriteId(uint64_t id) { id_word = (id_word & ~kMaxWriteId) | (id & kMaxWriteId); }
  void SetBits(uint8_t bits) {
    id_word = (id_word & ~(uint64_t{0xff} << 48)) | (uint64_t{bits} << 48);
  }
  void SetState(uint8_t state) {
    id_word = (id_word & ~(uint64_t{0xff} << 56)) | (uint64_t{state} << 56);
  }
  void Mark(uint8_t state) { SetState(static_cast<uint8_t>(State() | state)); }
  void Unmark(uint8_t state) { SetState(static_cast<uint8_t>(State() & ~state)); }
};

// ColdIndex maps (KeyHash, key) to the ColdEntry of a cold item, compactly: no allocation per item.
//  - Entries live in chunks of kEntriesPerChunk (only the last chunk grows, by doubling), so an
//    entry never moves and a Ref (its number) stays valid until Erase. Freed entries are reused.
//  - Key bytes live in an arena of chunks of kArenaChunkBytes; an erased key's bytes are garbage
//    until the arena is compacted (when garbage exceeds a quarter of it), which moves keys but no
//    entries.
//  - The table is open addressing with linear probing over 4-byte slots holding entry numbers,
//    grown (doubled, rehashed in one pass) above kMaxLoad; deletion shifts the cluster back
//    (no tombstones), so lookups never slow down with churn.
// RAM per entry: 40 bytes + 4 / load (load 0.4 .. 0.8 between growths: 5 .. 10 bytes) + the key.
//
// The hash given to Find/Insert must be core::KeyHash::Of(key).TableBits(): growth and deletion
// recompute it from the key.
//
// Owner: the cold tier of one Store. Thread: owning shard. A ColdEntry& stays valid until its
// entry is erased; a Key() view until the next Insert or Erase (compaction moves keys).
class ColdIndex {
 public:
  using Ref = uint32_t;
  static constexpr Ref kNone = UINT32_MAX;
  static constexpr std::size_t kEntriesPerChunk = std::size_t{1} << 16;
  static constexpr std::size_t kArenaChunkBytes = std::size_t{1} << 20;
  static constexpr std::size_t kInitialSlots = 16;
  static constexpr double kMaxLoad = 0.8;

  ColdIndex();
  ColdIndex(const ColdIndex&) = delete;
  ColdIndex& operator=(const ColdIndex&) = delete;

  [[nodiscard]] Ref Find(uint64_t hash, std::string_view key) const;
  // Adds `key` with `entry`'s fields (its key_ref is set here). REQUIRES: key absent,
  // 1 <= key.size() <= 255. Returns kNone when the index is full (2^32 - 1 entries).
  Ref Insert(uint64_t hash, std::string_view key, const ColdEntry& entry);
  // REQUIRES: ref is live.
  void Erase(Ref ref);

  [[nodiscard]] ColdEntry& At(Ref ref) { return chunks_[ref >> 16][ref & 0xffff]; }
  [[nodiscard]] const ColdEntry& At(Ref ref) const { return chunks_[ref >> 16][ref & 0xffff]; }
  [[nodiscard]] std::string_view Key(Ref ref) const;

  // Live entries in entry order: First(), then Next(ref) until kNone. Erasing the current entry
  // while iterating is allowed.
  [[nodiscard]] Ref First() const { return Next(kNone); }
  [[nodiscard]] Ref Next(Ref ref) const;
  // The eviction hand (CLOCK): the next live entry not referenced since the hand last passed it
  // (passing clears kReferenced). kNone when empty.
  Ref ClockVictim();

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t SlotCount() const { return slot_count_; }
  // What the index holds in RAM: slots + entry chunks + arena chunks (capacities, not sizes).
  [[nodiscard]] std::size_t MemoryBytes() const {
    return SlotBytes() + entry_bytes_ + arena_bytes_;
  }
  // Upper bound of MemoryBytes() after one more Insert of a key of `key_size` bytes.
  [[nodiscard]] std::size_t MemoryBytesAfterInsert(std::size_t key_size) const;
  // An upper bound of MemoryBytes() after `inserts` more inserts of `key_bytes` key bytes in all
  // (every slot doubling they cause, their entries and keys, each part's next growth step).
  [[nodiscard]] std::size_t MemoryBytesAfterInserts(std::size_t inserts,
                                                    std::size_t key_bytes) const;
  [[nodiscard]] std::size_t SlotBytes() const { return slot_count_ * sizeof(uint32_t); }
  [[nodiscard]] std::size_t EntryBytes() const { return entry_bytes_; }
  [[nodiscard]] std::size_t ArenaBytes() const { return arena_bytes_; }
  [[nodiscard]] std::size_t GarbageBytes() const { return garbage_bytes_; }
  [[nodiscard]] uint64_t Compactions() const { return compactions_; }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;

  [[nodiscard]] std::size_t Home(uint64_t hash) const { return hash & (slot_count_ - 1); }
  [[nodiscard]] static uint16_t Tag(uint64_t hash) { return static_cast<uint16_t>(hash >> 40); }
  [[nodiscard]] static uint64_t HashOf(std::string_view key);
  [[nodiscard]] std::size_t SlotOf(Ref ref) const;
  Ref NewEntry();
  uint64_t StoreKey(std::string_view key, uint16_t tag);
  void Grow();
  void Compact();

  std::unique_ptr<uint32_t[]> slots_;
  std::size_t slot_count_ = 0;
  std::vector<std::vector<ColdEntry>> chunks_;
  std::vector<std::vector<char>> arena_;
  std::size_t entry_bytes_ = 0;  // capacity of the entry chunks
  std::size_t arena_bytes_ = 0;  // capacity of the arena chunks
  std::size_t arena_used_ = 0;   // bytes of live and garbage keys
  std::size_t garbage_bytes_ = 0;
  std::size_t size_ = 0;
  Ref free_ = kNone;  // free entries, chained through cas
  Ref hand_ = 0;
  uint64_t compactions_ = 0;
};

}  // namespace corecached::shard
