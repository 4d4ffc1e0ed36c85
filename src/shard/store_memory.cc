// Store: the memory side (allocation within the shard's limit, eviction, linking items into the
// table and LRU, the gauges). Split from store.cc to keep files under 700 lines (STYLE.md 10.5).
#include <cstddef>
#include <string_view>
#include <utility>

#include "shard/store.h"

namespace corecached::shard {

using core::Command;
using core::Outcome;

Store::Allocation Store::Allocate(const Command& cmd, std::size_t value_size,
                                  const Item* replacing) {
  return AllocateKey(cmd.key, cmd.hash.TableBits(), value_size, replacing);
}

Store::Allocation Store::AllocateKey(std::string_view key, uint64_t hash, std::size_t value_size,
                                     const Item* replacing, std::size_t trailer_bytes) {
  Allocation a;
  a.failure = Outcome::kTooLarge;
  const std::size_t logical = key.size() + value_size + kMemcachedItemOverheadBytes;
  if (logical > options_.max_item_size ||
      Item::RequestedBytes(key.size(), value_size) + table_.BucketBytes() >
          options_.memory_limit_bytes) {
    return a;
  }
  ItemPtr fresh(Item::Create(key, value_size, hash, trailer_bytes));
  a.failure = Outcome::kNoMemory;
  if (fresh == nullptr) {
    return a;
  }
  const std::size_t fresh_bytes = fresh->AllocatedBytes();
  if (fresh_bytes + table_.BucketBytes() > options_.memory_limit_bytes) {
    a.failure = Outcome::kTooLarge;
    return a;
  }
  if (!MakeRoom(fresh_bytes, replacing)) {
    if (blocked_ == Blocked::kRoom) {
      a.failure = Outcome::kColdLoading;
    }
    return a;
  }
  a.item = std::move(fresh);
  return a;
}

bool Store::MakeRoom(std::size_t fresh_bytes, const Item* replacing) {
  const std::size_t freed_by_replace = replacing != nullptr ? replacing->AllocatedBytes() : 0;
  for (;;) {
    const std::size_t table_growth =
        replacing != nullptr ? 0 : table_.BucketBytesAfterInsert() - table_.BucketBytes();
    // The cold index grows when write-back completes (PollCold): room for its next growth is
    // kept here (MemoryCommittedBytes), so a finished write-back never takes the shard over.
    if (MemoryCommittedBytes() - freed_by_replace + fresh_bytes + table_growth <=
        options_.memory_limit_bytes) {
      return true;
    }
    // With the cold tier, wait for write-back rather than drop data (store_cold.cc).
    if (may_wait_ && ColdUsable()) {
      const std::size_t before = MemoryCommittedBytes();
      const std::size_t need = fresh_bytes + table_growth;
      MaybeDemote(replacing, need - std::min(freed_by_replace, need));
      if (MemoryCommittedBytes() < before) {
        continue;  // clean demotions freed memory at once
      }
      if (tier_->WritesInFlight()) {
        blocked_ = Blocked::kRoom;
        tier_->HurryWrites();
        return false;
      }
    }
    if (!EvictOne(replacing)) {
      return false;
    }
  }
}

// Frees the least recently used item other than `protect`: reclaimed when it was already dead
// (expired or flushed), evicted otherwise. Hot items first; then cold items' metadata (the tier
// is full in RAM terms), by the index's clock hand; then items whose write-back is still running.
bool Store::EvictOne(const Item* protect) {
  Item* victim = nullptr;
  for (Lru* list : {&lru_, &writing_}) {
    if (list == &writing_ && EvictCold()) {
      return true;
    }
    victim = list->Oldest();
    if (victim != nullptr && victim == protect) {
      victim = list->Newer(*victim);
    }
    if (victim != nullptr) {
      break;
    }
  }
  if (victim == nullptr) {
    return false;
  }
  const bool dead = IsExpired(*victim) || IsFlushed(*victim);
  if (!options_.evict_on_full && !dead) {
    return false;  // memcached -M: out of memory rather than evict a live item
  }
  CountEviction(dead, !victim->Has(Item::kFetched), &ClassStatsOf(*victim), victim->exptime != 0);
  if (!dead && (WatchedStreams() & core::kWatchEvictions) != 0) [[unlikely]] {
    WatchEviction(victim->Key(), EvictedMeta{victim->exptime, victim->time, victim->flags,
                                             victim->value_size, victim->Has(Item::kFetched)});
  }
  Unlink(victim);
  return true;
}

bool Store::EvictCold() {
  if (tier_ == nullptr || tier_->size() == 0) {
    return false;
  }
  ColdRef ref = tier_->Index().ClockVictim();
  if (ref == cold_protect_) {
    ref = tier_->Index().ClockVictim();
  }
  if (ref == ColdIndex::kNone || ref == cold_protect_) {
    return false;
  }
  const ColdEntry& e = tier_->At(ref);
  const bool dead = IsExpired(e.exptime) || IsFlushed(e.time, e.cas);
  if (!options_.evict_on_full && !dead) {
    return false;  // -M: a live cold item is not dropped either
  }
  // Cold entries hold no size class (stats items/slabs describe the items in RAM).
  CountEviction(dead, (e.Bits() & Item::kFetched) == 0, nullptr, e.exptime != 0);
  if (!dead && (WatchedStreams() & core::kWatchEvictions) != 0) [[unlikely]] {
    WatchEviction(tier_->Key(ref), EvictedMeta{e.exptime, e.time, e.flags, e.value_size,
                                               (e.Bits() & Item::kFetched) != 0});
  }
  UnlinkCold(ref);
  return true;
}

void Store::CountEviction(bool dead, bool unfetched, ClassStats* cls, bool nonzero_exptime) {
  if (dead) {
    stats_.reclaimed.Add();
    if (unfetched) {
      stats_.expired_unfetched.Add();
    }
  } else {
    stats_.evictions.Add();
    if (unfetched) {
      stats_.evicted_unfetched.Add();
    }
  }
  if (cls == nullptr) {
    return;
  }
  if (dead) {
    cls->reclaimed.Add();
    if (unfetched) {
      cls->expired_unfetched.Add();
    }
    return;
  }
  cls->evicted.Add();
  if (nonzero_exptime) {
    cls->evicted_nonzero.Add();
  }
  if (unfetched) {
    cls->evicted_unfetched.Add();
  }
}

void Store::ReclaimTail(const Item* keep) {
  for (int i = 0; i < kTailReclaimChecks; ++i) {
    Item* oldest = lru_.Oldest();
    if (oldest == nullptr || oldest == keep || !(IsExpired(*oldest) || IsFlushed(*oldest))) {
      return;
    }
    EvictOne(nullptr);
  }
}

void Store::Link(ItemPtr fresh, Item* replacing, ColdIndex::Ref cold_replacing, bool promotion) {
  if (replacing != nullptr) {
    Unlink(replacing);
  }
  if (cold_replacing != ColdIndex::kNone) {
    // A promotion keeps the record (the hot item may have one: kMaybeOnDisk); a new value
    // erases it.
    tier_->Erase(cold_replacing, /*erase_record=*/!promotion);
  }
  Item* item = fresh.release();
  item->time = now_relative_;
  table_.Insert(item);
  lru_.PushFront(*item);
  CountInClass(*item, true);
  items_bytes_ += item->AllocatedBytes();
  if (promotion) {
    item->Set(Item::kMaybeOnDisk);
    stats_.cold_promotions.Add();
  } else {
    stats_.total_items.Add();
  }
  ReclaimTail(item);
  PublishGauges();
}

void Store::Unlink(Item* item) {
  table_.Remove(item);
  CountInClass(*item, false);
  ListOf(*item).Remove(*item);
  if (tier_ != nullptr) {
    ForgetWrite(*item);
    if (item->Has(Item::kMaybeOnDisk)) {
      tier_->SubmitErase(item->Key());
    }
  }
  items_bytes_ -= item->AllocatedBytes();
  Item::Destroy(item);
  PublishGauges();
}

void Store::CountInClass(const Item& item, bool add) {
  const std::size_t bytes =
      core::SizeClasses::ItemBytes(item.key_size, item.value_size, item.flags);
  ClassStats& cls = stats_.classes[classes_.ClassOf(bytes)];
  if (add) {
    cls.number.Add();
    cls.mem_requested.Add(bytes);
  } else {
    cls.number.Sub();
    cls.mem_requested.Sub(bytes);
  }
}

void Store::PublishGauges() {
  stats_.curr_items.Set(ItemCount());
  stats_.bytes.Set(items_bytes_ + (tier_ != nullptr ? tier_->MemoryBytes() : 0));
  stats_.hash_bytes.Set(table_.BucketBytes());
  stats_.hash_is_expanding.Set(table_.Rehashing() ? 1 : 0);
  stats_.limit_bytes.Set(options_.memory_limit_bytes);
  const Item* oldest = lru_.Oldest();
  stats_.oldest_item_time.Set(
      oldest == nullptr ? 0 : static_cast<uint64_t>(epoch_ + static_cast<int64_t>(oldest->time)));
}

}  // namespace corecached::shard
