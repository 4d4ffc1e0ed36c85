// Store: the admin side. Dump lists items a bounded chunk at a time for lru_crawler metadump and
// stats cachedump; SetLimit applies cache_memlimit. The store formats nothing: proto/ encodes.
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "shard/store.h"

namespace corecached::shard {

using core::Command;
using core::Outcome;
using core::Result;

namespace {
// Bucket groups one Dump chunk looks at before it returns, even with fewer than max_items found,
// so that one chunk of a sparse table or a selective class filter costs the shard a bounded time.
constexpr std::size_t kMaxGroupsPerChunk = 4096;
// Cold entries one Dump chunk looks at, for the same reason.
constexpr std::size_t kMaxColdPerChunk = 16384;
// A cursor with this bit lists the cold index (the low 32 bits: the next entry); the table's
// cursors never reach it (bucket counts stay far below 2^63).
constexpr uint64_t kColdPhase = uint64_t{1} << 63;
}  // namespace

core::ItemSummary Store::Summarize(const Item& item, std::size_t size_class) const {
  core::ItemSummary s;
  s.key = std::string(item.Key());
  s.exptime = item.exptime == 0 ? -1 : epoch_ + static_cast<int64_t>(item.exptime);
  s.last_access = epoch_ + static_cast<int64_t>(item.time);
  s.cas = item.cas;
  s.value_bytes = item.value_size;
  s.item_bytes = static_cast<uint32_t>(
      core::SizeClasses::ItemBytes(item.key_size, item.value_size, item.flags));
  s.size_class = static_cast<uint8_t>(size_class);
  s.fetched = item.Has(Item::kFetched);
  return s;
}

core::ItemSummary Store::SummarizeCold(ColdRef ref, std::size_t size_class) const {
  const ColdEntry& e = tier_->At(ref);
  core::ItemSummary s;
  s.key = std::string(tier_->Key(ref));
  s.exptime = e.exptime == 0 ? -1 : epoch_ + static_cast<int64_t>(e.exptime);
  s.last_access = epoch_ + static_cast<int64_t>(e.time);
  s.cas = e.cas;
  s.value_bytes = e.value_size;
  s.item_bytes =
      static_cast<uint32_t>(core::SizeClasses::ItemBytes(e.KeySize(), e.value_size, e.flags));
  s.size_class = static_cast<uint8_t>(size_class);
  s.fetched = (e.Bits() & Item::kFetched) != 0;
  return s;
}

Result Store::Dump(const Command& cmd) {
  Result r;
  r.outcome = Outcome::kOk;
  if (cmd.dump.shard != options_.shard_id) {
    return r;  // another shard's turn
  }
  r.dump_owner = true;
  if ((cmd.dump.cursor & kColdPhase) != 0) {
    r.dump_cursor = DumpCold(cmd, static_cast<ColdRef>(cmd.dump.cursor & ~kColdPhase), &r.dump);
    return r;
  }
  const std::size_t max_items = std::max<std::size_t>(cmd.dump.max_items, 1);
  uint64_t cursor = cmd.dump.cursor;
  std::size_t groups = 0;
  std::vector<Item*> dead;
  do {
    cursor = table_.Scan(cursor, [&](const Item& item) {
      const std::size_t size_class = ClassOf(item);
      if (((cmd.dump.classes >> size_class) & 1U) == 0) {
        return;
      }
      // Dead items are not listed (memcached's crawler reclaims them instead of dumping them).
      if (IsExpired(item) || IsFlushed(item)) {
        if (cmd.dump.reclaim) {
          dead.push_back(const_cast<Item*>(&item));  // unlinked after the scan step
        }
        return;
      }
      if (!cmd.dump.reclaim) {
        r.dump.push_back(Summarize(item, size_class));
      }
    });
    for (Item* item : dead) {
      CrawlerReclaim(item);
    }
    dead.clear();
  } while (cursor != 0 && r.dump.size() < max_items && ++groups < kMaxGroupsPerChunk);
  if (cursor == 0 && tier_ != nullptr && !tier_->Index().empty()) {
    cursor = kColdPhase;  // the hot half is done: the cold keys follow, from entry 0
  }
  r.dump_cursor = cursor;
  return r;
}

// The cold half of a dump, from the first live entry numbered `next` or more (entries freed
// between chunks are skipped; ones added meanwhile may be missed, as in memcached): cold items are
// listed (or, crawling, reclaimed when dead) from the index alone, without reading their values.
// Returns the next cursor.
uint64_t Store::DumpCold(const Command& cmd, ColdRef next, std::vector<core::ItemSummary>* out) {
  if (tier_ == nullptr) {
    return 0;
  }
  ColdIndex& index = tier_->Index();
  const std::size_t max_items = std::max<std::size_t>(cmd.dump.max_items, 1);
  std::size_t seen = 0;
  ColdRef ref = next == 0 ? index.First() : index.Next(next - 1);
  while (ref != ColdIndex::kNone && out->size() < max_items && seen++ < kMaxColdPerChunk) {
    const ColdRef following = index.Next(ref);
    const ColdEntry& e = index.At(ref);
    const std::size_t size_class =
        classes_.ClassOf(core::SizeClasses::ItemBytes(e.KeySize(), e.value_size, e.flags));
    if (((cmd.dump.classes >> size_class) & 1U) != 0) {
      if (IsExpired(e.exptime) || IsFlushed(e.time, e.cas)) {
        if (cmd.dump.reclaim) {
          // Counted as CrawlerReclaim counts (no class: cold entries are outside stats items).
          stats_.reclaimed.Add();
          stats_.crawler_reclaimed.Add();
          if ((e.Bits() & Item::kFetched) == 0) {
            stats_.expired_unfetched.Add();
          }
          UnlinkCold(ref);  // erasing the current entry keeps the iteration valid
        }
      } else if (!cmd.dump.reclaim) {
        out->push_back(SummarizeCold(ref, size_class));
      }
    }
    ref = following;
  }
  return ref == ColdIndex::kNone ? 0 : kColdPhase | ref;
}

// memcached's crawler: an expired or flushed item it passes is freed and counted as reclaimed.
void Store::CrawlerReclaim(Item* item) {
  ClassStats& cls = ClassStatsOf(*item);
  cls.crawler_reclaimed.Add();
  cls.reclaimed.Add();
  stats_.reclaimed.Add();
  stats_.crawler_reclaimed.Add();
  if (!item->Has(Item::kFetched)) {
    stats_.expired_unfetched.Add();
    cls.expired_unfetched.Add();
  }
  Unlink(item);
}

// cache_memlimit: the new total is split as at start-up (an equal share, the remainder to the
// first shards). Without the cold tier the least recently used items are evicted until the shard
// fits; with it, write-back demotes values (Execute runs MaybeDemote after every command) and
// stores wait for room as they do at the high watermark.
Result Store::SetLimit(const Command& cmd) {
  const uint64_t count = std::max<uint32_t>(options_.shard_count, 1);
  uint64_t share = cmd.delta / count;
  if (options_.shard_id < cmd.delta % count) {
    ++share;
  }
  options_.memory_limit_bytes = static_cast<std::size_t>(share);
  if (!ColdUsable()) {
    while (MemoryUsedBytes() > options_.memory_limit_bytes && EvictOne(nullptr)) {
    }
  }
  PublishGauges();
  Result r;
  r.outcome = Outcome::kOk;
  return r;
}

}  // namespace corecached::shard
