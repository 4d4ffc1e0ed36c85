#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "shard/item.h"

namespace corecached::shard {

// Table maps (KeyHash, key) to Item: a chained hash table whose chains run through
// Item::hash_next, so a linked item costs the table nothing beyond its share of the bucket array.
//
// Growth: the bucket count doubles once items exceed 1.5 per bucket (memcached's assoc.c rule), and
// the move is incremental: every Insert/Remove migrates kRehashBucketsPerStep old buckets, so no
// single call does more than a bounded amount of work. While a rehash runs both arrays exist and
// both count in BucketBytes(). A bucket array that cannot be allocated leaves the table at its size
// (longer chains, no failure).
//
// Hand-written rather than boost::intrusive::unordered_set: we look up by the precomputed KeyHash
// carried in the Command, keep only 32 hash bits in the item (its store_hash option costs a full
// size_t), and need a bounded incremental rehash with the bucket bytes counted in the shard's
// memory limit; Boost's incremental mode leaves the bucket arrays and their growth to the caller.
//
// Owner: the Store. Thread: owning shard. The table does not own items: the Store destroys them.
// A returned Item* stays valid until the Store removes and destroys that item.
class Table {
 public:
  static constexpr std::size_t kInitialBuckets = 16;
  static constexpr std::size_t kRehashBucketsPerStep = 8;

  Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  [[nodiscard]] Item* Find(uint64_t hash, std::string_view key) const;
  // REQUIRES: no linked item has the same key; item->hash_low is set.
  void Insert(Item* item);
  // REQUIRES: item is linked in this table.
  void Remove(Item* item);
  // Unlinks and returns some item, or nullptr when empty (for teardown).
  Item* PopAny();

  // Visits the items of one bucket group at `cursor` and returns the cursor of the next group;
  // 0 once every group was visited (start with 0). The cursor counts in reversed bit order (the
  // scheme of Redis's SCAN), so a scan that runs across table growth still visits every item
  // that stays linked throughout, at least once. `visit` must not insert or remove items.
  uint64_t Scan(uint64_t cursor, const std::function<void(const Item&)>& visit) const;

  [[nodiscard]] std::size_t size() const { return size_; }
  [[nodiscard]] std::size_t BucketCount() const { return bucket_count_; }
  [[nodiscard]] bool Rehashing() const { return old_buckets_ != nullptr; }
  // Bytes of the bucket arrays now, and after one more Insert (which may start a rehash).
  [[nodiscard]] std::size_t BucketBytes() const;
  [[nodiscard]] std::size_t BucketBytesAfterInsert() const;

 private:
  using Buckets = std::unique_ptr<Item*[]>;

  [[nodiscard]] Item* const* SlotFor(uint32_t hash_low) const;
  Item** SlotFor(uint32_t hash_low);
  [[nodiscard]] bool NeedsGrowth(std::size_t items) const;
  void StartGrowth();
  void RehashStep();

  Buckets buckets_;
  std::size_t bucket_count_ = 0;
  Buckets old_buckets_;  // non-null while a rehash runs
  std::size_t old_bucket_count_ = 0;
  std::size_t migrated_ = 0;  // old buckets below this index are empty (moved)
  std::size_t size_ = 0;
  std::size_t pop_cursor_ = 0;  // PopAny: buckets_ below it are empty (lowered by Insert, rehash)
};

}  // namespace corecached::shard
