#include "shard/table.h"

#include <algorithm>
#include <new>

namespace corecached::shard {

namespace {
uint64_t ReverseBits(uint64_t v) {
  uint64_t r = 0;
  for (int i = 0; i < 64; ++i) {
    r = (r << 1) | (v & 1);
    v >>= 1;
  }
  return r;
}

std::unique_ptr<Item* []> AllocateBuckets(std::size_t count) {
  return std::unique_ptr<Item*[]>(new (std::nothrow) Item*[count]());
}
}  // namespace

Table::Table() : buckets_(AllocateBuckets(kInitialBuckets)), bucket_count_(kInitialBuckets) {}

Item* const* Table::SlotFor(uint32_t hash_low) const {
  if (old_buckets_ != nullptr) {
    const std::size_t old_index = hash_low & (old_bucket_count_ - 1);
    if (old_index >= migrated_) {
      return &old_buckets_[old_index];
    }
  }
  return &buckets_[hash_low & (bucket_count_ - 1)];
}

Item** Table::SlotFor(uint32_t hash_low) {
  return const_cast<Item**>(static_cast<const Table*>(this)->SlotFor(hash_low));
}

Item* Table::Find(uint64_t hash, std::string_view key) const {
  for (Item* item = *SlotFor(static_cast<uint32_t>(hash)); item != nullptr;
       item = item->hash_next) {
    if (item->KeyEquals(hash, key)) {
      return item;
    }
  }
  return nullptr;
}

void Table::Insert(Item* item) {
  pop_cursor_ = 0;
  Item** slot = SlotFor(item->hash_low);
  item->hash_next = *slot;
  *slot = item;
  ++size_;
  if (Rehashing()) {
    RehashStep();
  } else if (NeedsGrowth(size_)) {
    StartGrowth();
  }
}

void Table::Remove(Item* item) {
  Item** link = SlotFor(item->hash_low);
  while (*link != nullptr && *link != item) {
    link = &(*link)->hash_next;
  }
  if (*link == item) {
    *link = item->hash_next;
    item->hash_next = nullptr;
    --size_;
  }
  if (Rehashing()) {
    RehashStep();
  }
}

Item* Table::PopAny() {
  // Buckets below pop_cursor_ were found empty by an earlier PopAny and nothing was inserted since:
  // a teardown of n items scans the array once, not n times (it was quadratic: 110k items took
  // minutes at shutdown, found by issue #10's multi-get test).
  for (std::size_t i = pop_cursor_; i < bucket_count_; ++i) {
    pop_cursor_ = i;
    if (buckets_[i] != nullptr) {
      Item* item = buckets_[i];
      Remove(item);
      return item;
    }
  }
  for (std::size_t i = migrated_; old_buckets_ != nullptr && i < old_bucket_count_; ++i) {
    if (old_buckets_[i] != nullptr) {
      Item* item = old_buckets_[i];
      Remove(item);
      return item;
    }
  }
  return nullptr;
}

namespace {
void VisitChain(const Item* item, const std::function<void(const Item&)>& visit) {
  for (; item != nullptr; item = item->hash_next) {
    visit(*item);
  }
}

// The next cursor for a table of mask+1 buckets: increment the reversed bits above the mask.
uint64_t NextCursor(uint64_t cursor, uint64_t mask) {
  cursor |= ~mask;
  cursor = ReverseBits(cursor);
  ++cursor;
  return ReverseBits(cursor);
}
}  // namespace

uint64_t Table::Scan(uint64_t cursor, const std::function<void(const Item&)>& visit) const {
  if (old_buckets_ == nullptr) {
    const uint64_t mask = bucket_count_ - 1;
    VisitChain(buckets_[cursor & mask], visit);
    return NextCursor(cursor, mask);
  }
  // Growing: the small (old) bucket, then every new bucket that expands from it.
  const uint64_t small = old_bucket_count_ - 1;
  const uint64_t large = bucket_count_ - 1;
  VisitChain(old_buckets_[cursor & small], visit);
  uint64_t v = cursor;
  do {
    VisitChain(buckets_[v & large], visit);
    v = (((v | small) + 1) & ~small) | (cursor & small);
  } while ((v & (small ^ large)) != 0);
  return NextCursor(cursor, small);
}

bool Table::NeedsGrowth(std::size_t items) const {
  return items > bucket_count_ + bucket_count_ / 2;
}

void Table::StartGrowth() {
  Buckets bigger = AllocateBuckets(bucket_count_ * 2);
  if (bigger == nullptr) {
    return;  // keep the current size: longer chains beat a failed store
  }
  pop_cursor_ = 0;
  old_buckets_ = std::move(buckets_);
  old_bucket_count_ = bucket_count_;
  buckets_ = std::move(bigger);
  bucket_count_ *= 2;
  migrated_ = 0;
  RehashStep();
}

void Table::RehashStep() {
  const std::size_t end = std::min(migrated_ + kRehashBucketsPerStep, old_bucket_count_);
  for (; migrated_ < end; ++migrated_) {
    Item* item = old_buckets_[migrated_];
    old_buckets_[migrated_] = nullptr;
    while (item != nullptr) {
      Item* next = item->hash_next;
      const std::size_t index = item->hash_low & (bucket_count_ - 1);
      pop_cursor_ = std::min(pop_cursor_, index);  // a moved item may land below PopAny's cursor
      Item** slot = &buckets_[index];
      item->hash_next = *slot;
      *slot = item;
      item = next;
    }
  }
  if (migrated_ == old_bucket_count_) {
    old_buckets_.reset();
    old_bucket_count_ = 0;
    migrated_ = 0;
  }
}

std::size_t Table::BucketBytes() const {
  // The bucket arrays hold Item pointers: sizeof(Item*) is meant.
  return (bucket_count_ + old_bucket_count_) * sizeof(Item*);  // NOLINT(bugprone-sizeof-expression)
}

std::size_t Table::BucketBytesAfterInsert() const {
  if (!Rehashing() && NeedsGrowth(size_ + 1)) {
    return BucketBytes() + 2 * bucket_count_ * sizeof(Item*);  // NOLINT(bugprone-sizeof-expression)
  }
  return BucketBytes();
}

}  // namespace corecached::shard
