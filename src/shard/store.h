#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cold/cold_io.h"
#include "core/clock.h"
#include "core/command.h"
#include "core/result.h"
#include "core/size_classes.h"
#include "core/watch_log.h"
#include "shard/cold_index.h"
#include "shard/cold_tier.h"
#include "shard/item.h"
#include "shard/lru.h"
#include "shard/shard_stats.h"
#include "shard/table.h"

namespace corecached::shard {

// StoreOptions: one shard's share of the server's limits.
struct StoreOptions {
  std::size_t memory_limit_bytes = std::size_t{64} * 1024 * 1024;  // this shard's share of -m
  std::size_t max_item_size = std::size_t{1024} * 1024;  // -I, measured as memcached measures it
  // CAS values handed out: cas_start, cas_start + cas_step, ... Shard i of S uses start i + 1 and
  // step S, so no two shards ever hand out the same CAS.
  uint64_t cas_start = 1;
  uint64_t cas_step = 1;

  // Cold tier (store_cold.cc). Null: disabled, items are dropped as memcached drops them.
  std::shared_ptr<cold::ColdIo> cold;
  // The hot tier fills 94-97 % of the shard's memory: RAM below the low watermark holds no item,
  // so a wide band costs hot items (0.9 / 0.8 kept ~12 % fewer; bench/RESULTS-cold.md part 6).
  // Stores that outrun write-back wait for room at the limit (MakeRoom), whatever the band.
  double high_watermark = 0.97;  // fraction of memory_limit_bytes that starts write-back
  double low_watermark = 0.94;   // ... and where it stops
  bool cold_read_retry = false;  // a read of a cold item answers kColdLoading instead of waiting
  uint32_t shard_id = 0;         // with shard_count: which records are ours at start-up
  uint32_t shard_count = 1;
  // memcached's -f and -n: the size classes items are counted in (core/size_classes.h).
  double growth_factor = 1.25;
  uint32_t chunk_size = 48;
  // memcached -M: false = a full store answers kNoMemory instead of evicting live items (dead ones,
  // expired or flushed, are still reclaimed, as memcached's allocator does).
  bool evict_on_full = true;
  // memcached -C: false = every reply carries CAS 0; a cas/ms C on an existing item never matches
  // (kExists), md/ma C compare with 0. Items keep their internal CAS (flush_all needs it).
  bool cas_enabled = true;
  // `watch` log (memcached's fetchers, mutations, evictions streams); null = nothing is logged.
  // Outlives the Store.
  core::WatchHub* watch = nullptr;
};

// Store holds one shard's items: table, LRU, memory accounting, expiry, CAS, flush_all.
// Semantics are memcached 1.6.18's, checked against the real server (see store_test.cc).
//
// Owner: its Shard. Thread: owning shard, i.e. the network thread hosting it (no locks, by
// design); stats() may be read from any.
// Time comes from the Clock given at construction, never from the system.
// A returned Result owns its bytes: nothing in it points into the Store.
//
// Memory: MemoryUsedBytes() = the hot items' real allocations (malloc_usable_size + glibc's 8-byte
// chunk header) + the hash table's bucket arrays + the cold index (ColdIndex::MemoryBytes: about
// 47 bytes per cold item besides its key). After every Execute it is <= memory_limit_bytes;
// to get there the Store reclaims expired items and evicts the least recently used ones.
//
// Per-item overhead, measured (item_test.cc "overhead"), 10-byte key + 100-byte value, glibc:
//   header 56 bytes; malloc asks for 56 + 110 = 166, glibc hands out a 176-byte chunk;
//   bucket share 8 bytes / (0.75 .. 1.5 items per bucket) = 5.3 .. 10.7 bytes.
//   => 66 bytes over key + value in the allocation, 71 .. 77 with the bucket share.
// memcached 1.6.18 puts the same item in a 192-byte slab chunk (82 bytes over key + value) and
// adds its own bucket share on top.
//
// Sizes: an item is too large when key + value + 59 > max_item_size. 59 is memcached's overhead
// (48-byte header, 8-byte CAS, key NUL, "\r\n"), so -I admits exactly the values memcached admits
// (1048507-byte value with a 10-byte key at -I 1m, measured on the oracle).
class Store {
 public:
  Store(const StoreOptions& options, const core::Clock& clock, int64_t process_started_seconds);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies one command. Never throws: every failure is an Outcome.
  // REQUIRES: cmd.hash == core::KeyHash::Of(cmd.key) (not used for kFlushAll).
  core::Result Execute(const core::Command& cmd);

  // ---- Cold tier (store_cold.cc, shard/cold_tier.h) ----
  // Registers with options.cold (if any) and rebuilds the index from its records: every unexpired
  // record of this shard becomes a cold item. `wake` runs on a cold I/O thread (the writer or a
  // reader, possibly several at once) when completions wait for PollCold; it must be thread-safe.
  // With batch_loads, cold loads are gathered and sent only by SubmitColdLoads (the Shard calls
  // it at each loop turn's end: one batch, one read transaction per turn, issue #14); without,
  // each load is submitted when a command needs it. Thread: main, start-up only.
  void AttachCold(std::function<void()> wake, bool batch_loads = false);
  // Batch mode: submits the cold loads the commands since the last call asked for, as one batch.
  // Returns how many; 0 also when the queue refused them (their commands start them again when
  // they run again). Never suspends.
  std::size_t SubmitColdLoads() { return tier_ != nullptr ? tier_->SubmitLoads() : 0; }
  // Starts the load of `cmd`'s value when it is a plain read (kGet) of a cold item whose value is
  // neither staged nor loading, so that the reads of one pipeline load together (one batch)
  // instead of one turn each. Changes nothing else: the command still runs through Execute,
  // which checks expiry, flush and the write id again. Never suspends.
  void PrefetchCold(const core::Command& cmd);
  // True when `r` (just returned by Execute) means "not done: run the command again after
  // PollCold applied progress": a cold read in wait mode, or a store waiting for write-back room.
  [[nodiscard]] bool MustWait(const core::Result& r) const;
  // Applies the cold tier's completions (write-backs shrink items to cold entries, loads stage
  // values for the commands waiting on them). Returns how many were applied.
  std::size_t PollCold();
  // Any (atomics only): completions wait for PollCold.
  [[nodiscard]] bool ColdCompletionsReady() const;
  // Shutdown: writes every hot value to the tier and erases records of dead items, a bounded step
  // at a time. True once all of it is on disk. Call PollCold between steps.
  bool FlushStep();
  [[nodiscard]] bool ColdEnabled() const { return tier_ != nullptr; }

  // The counters; the reference stays valid for the Store's lifetime.
  [[nodiscard]] const ShardStats& Stats() const { return stats_; }
  // Items, hot and cold, including expired or flushed ones not reclaimed yet (curr_items).
  [[nodiscard]] std::size_t ItemCount() const {
    return table_.size() + (tier_ != nullptr ? tier_->size() : 0);
  }
  [[nodiscard]] std::size_t MemoryUsedBytes() const {
    return items_bytes_ + table_.BucketBytes() + (tier_ != nullptr ? tier_->MemoryBytes() : 0);
  }
  [[nodiscard]] std::size_t MemoryLimitBytes() const { return options_.memory_limit_bytes; }
  // MemoryUsedBytes() + room kept for the cold index's next growth: what allocation and
  // write-back steer by.
  [[nodiscard]] std::size_t MemoryCommittedBytes() const;

  // Items demoted per command, at most.
  static constexpr int kDemoteStepsPerCall = 64;

  // memcached's per-item size overhead for the max_item_size check (see above).
  static constexpr std::size_t kMemcachedItemOverheadBytes = 59;
  // LRU tail items checked for expiry on each store (memcached's LRU maintainer does this lazily).
  static constexpr int kTailReclaimChecks = 2;

 private:
  struct Allocation {
    ItemPtr item;
    core::Outcome failure = core::Outcome::kStored;  // meaningful when item is null
  };

  // Operations.
  core::Result ExecuteOp(const core::Command& cmd);
  core::Result Get(const core::Command& cmd);
  core::Result Touch(const core::Command& cmd);
  core::Result StoreValue(const core::Command& cmd);
  core::Result Concat(const core::Command& cmd);
  core::Result Delete(const core::Command& cmd);
  core::Result Arith(const core::Command& cmd);
  core::Result FlushAll(const core::Command& cmd);
  // Admin (store_dump.cc): one chunk of item summaries (kDump), a new memory limit (kSetLimit).
  core::Result Dump(const core::Command& cmd);
  core::Result SetLimit(const core::Command& cmd);
  void CrawlerReclaim(Item* item);
  [[nodiscard]] core::ItemSummary Summarize(const Item& item, std::size_t size_class) const;
  // The cold half of a dump (cursors with kColdPhase set): one chunk from `next`.
  uint64_t DumpCold(const core::Command& cmd, ColdIndex::Ref next,
                    std::vector<core::ItemSummary>* out);
  // Watch log (store_watch.cc): only called while a watcher asks for the stream.
  struct EvictedMeta {
    uint32_t exptime = 0;
    uint32_t time = 0;
    uint32_t flags = 0;
    uint32_t value_size = 0;
    bool fetched = false;
  };
  void WatchLookup(const core::Command& cmd);
  void WatchStore(const core::Command& cmd, const core::Result& r);
  void WatchEviction(std::string_view key, const EvictedMeta& meta);
  [[nodiscard]] uint32_t WatchedStreams() const {
    return watch_streams_->load(std::memory_order_relaxed);
  }
  [[nodiscard]] core::ItemSummary SummarizeCold(ColdIndex::Ref ref, std::size_t size_class) const;
  // The item's memcached size class, and the per-class counters it belongs to.
  [[nodiscard]] std::size_t ClassOf(const Item& item) const {
    return classes_.ClassOf(
        core::SizeClasses::ItemBytes(item.key_size, item.value_size, item.flags));
  }
  ClassStats& ClassStatsOf(const Item& item) { return stats_.classes[ClassOf(item)]; }
  // Counts a linked (add) or unlinked item in its class.
  void CountInClass(const Item& item, bool add);

  // Operation helpers.
  core::Result StoreNew(const core::Command& cmd, Item* old, bool as_stale,
                        ColdIndex::Ref cold_old = ColdIndex::kNone);
  core::Result StoreFailed(const core::Command& cmd, Item* old, core::Outcome failure,
                           ColdIndex::Ref cold_old);
  core::Result StoreOverCold(const core::Command& cmd, ColdIndex::Ref cold_old);
  core::Result VivifyForGet(const core::Command& cmd, Item*& out);
  core::Result ArithMiss(const core::Command& cmd);
  core::Result ArithWrite(const core::Command& cmd, Item* item, uint64_t number);
  core::Result ReplaceValueOnly(const core::Command& cmd, Item* old, Item*& out);
  void Invalidate(const core::Command& cmd, Item* item);
  void DecideWin(const core::Command& cmd, Item& item, bool created, core::Result& r);
  void FillHit(const Item& item, core::Result& r) const;
  // A read: marks the item fetched (meta h), then Refresh.
  void Bump(Item& item);
  // An update in place (incr, a refused add): new access time, front of the LRU.
  void Refresh(Item& item);

  // Lookup: the live item, or nullptr. Expired and flushed items found here are unlinked;
  // count_get says whether get_expired/get_flushed count it.
  Item* FindLive(const core::Command& cmd, bool count_get);
  [[nodiscard]] bool IsExpired(const Item& item) const { return IsExpired(item.exptime); }
  [[nodiscard]] bool IsFlushed(const Item& item) const { return IsFlushed(item.time, item.cas); }
  [[nodiscard]] bool IsExpired(uint32_t exptime) const;
  [[nodiscard]] bool IsFlushed(uint32_t time, uint64_t cas) const;

  // Memory.
  Allocation Allocate(const core::Command& cmd, std::size_t value_size, const Item* replacing);
  // trailer_bytes: Item::Create's (a promotion's record trailer).
  Allocation AllocateKey(std::string_view key, uint64_t hash, std::size_t value_size,
                         const Item* replacing, std::size_t trailer_bytes = 0);
  bool MakeRoom(std::size_t fresh_bytes, const Item* replacing);
  bool EvictOne(const Item* protect);
  bool EvictCold();
  // `cls`: the victim's size-class counters (nullptr for a cold entry, which has no class).
  void CountEviction(bool dead, bool unfetched, ClassStats* cls, bool nonzero_exptime);
  // Reclaims up to kTailReclaimChecks dead items from the LRU tail, never `keep`.
  void ReclaimTail(const Item* keep);
  // The one place an item enters the hot tier: replaces what the key has (a hot item, a cold
  // entry, or nothing) and keeps table, LRU, cold index, accounting and gauges in step.
  // A promotion keeps the key's record on disk and does not count as a new item.
  void Link(ItemPtr fresh, Item* replacing, ColdIndex::Ref cold_replacing = ColdIndex::kNone,
            bool promotion = false);
  void Unlink(Item* item);
  void PublishGauges();
  void UpdateNow();
  // The list an item is on: lru_ (hot) or writing_ (write-back in flight).
  Lru& ListOf(const Item& item);

  // Cold tier (store_cold.cc).
  enum class Blocked : uint8_t { kNone, kLoad, kRoom };
  using ColdRef = ColdIndex::Ref;
  [[nodiscard]] bool ColdUsable() const;
  // The live cold entry of cmd's key, or kNone; dead ones found here are dropped.
  ColdRef FindCold(const core::Command& cmd, bool count_get);
  // The entry's staged value, else its value read here when it is in RAM already, else nullptr.
  const std::string* StagedOrResident(ColdRef ref);
  // Loads the value unless staged: kColdLoading (blocked_ = kLoad) until it is.
  core::Result NeedValue(ColdRef ref);
  // A plain read of a cold item: served from the loaded value; promoted on admission.
  core::Result ColdGet(const core::Command& cmd, ColdRef ref);
  // Any other command that needs the value: the item is promoted first (out = the hot item).
  core::Result Materialize(const core::Command& cmd, ColdRef ref, Item*& out);
  // Promotion of the entry with its value `loaded` (staged or read inline), into free room only.
  Item* Promote(ColdRef ref, const std::string& loaded);
  // Whether a plain read of a cold item promotes it: its second read, and its key used more often
  // lately than the next demotion's (TinyLFU).
  [[nodiscard]] bool AdmitCold(const core::Command& cmd, ColdEntry& entry);
  // Counts a use of cmd's key in the tier's admission sketch (reads and stores).
  void CountUse(const core::Command& cmd, const core::Result& r);
  // Links `fresh` (allocated with Item::kRecordTrailerBytes) as the clean hot copy of the entry.
  Item* LinkPromoted(ItemPtr fresh, ColdRef ref, std::string_view value);
  core::Result TouchCold(const core::Command& cmd, ColdRef ref);
  void UnlinkCold(ColdRef ref);
  void BumpCold(ColdEntry& entry);
  // `room`: bytes a store needs on top of what the shard holds (MakeRoom); 0 after a command.
  void MaybeDemote(const Item* keep, std::size_t room = 0);
  bool DemoteClean(Item& item);
  bool StartWrite(Item& item);
  void ChangeInPlace(Item& item);
  void ForgetWrite(Item& item);
  void UpdateDiskExptime(const Item& item);
  void OnWritten(cold::ColdCompletion& c);
  void OnLoaded(cold::ColdCompletion& c);
  bool ShrinkToCold(Item& item, uint64_t write_id);
  bool SweepCold();
  void RebuildFromCold();
  void RebuildOne(cold::ColdKey key, const cold::RecordMeta& meta, std::size_t budget,
                  std::vector<std::string>& drop, uint64_t& max_cas);
  [[nodiscard]] int64_t AbsoluteExptime(uint32_t exptime) const;

  // Time and CAS.
  [[nodiscard]] uint32_t RelativeExptime(int64_t protocol_exptime) const;
  [[nodiscard]] int64_t TtlSeconds(const Item& item) const;
  [[nodiscard]] int64_t TtlSeconds(uint32_t exptime) const;
  uint32_t ApplyTtlSteps(const core::Command& cmd, Item& item, bool created);
  uint64_t NextCas();
  uint64_t CasFor(const core::Command& cmd);
  void CountRefusedStore(const core::Command& cmd, const core::Result& r);
  // The CAS clients see and compare with: 0 when CAS is disabled (memcached -C).
  [[nodiscard]] uint64_t VisibleCas(uint64_t cas) const;

  StoreOptions options_;
  // The watch hub's stream word (WatchHub::NoStreams() without a hub): the request path's one
  // relaxed load.
  const std::atomic<uint32_t>* watch_streams_;
  const core::Clock& clock_;
  int64_t process_started_seconds_;
  // Item times are seconds since epoch_, two seconds before the process started, so that a
  // relative time of 1 ("expired") is always in the past.
  int64_t epoch_;
  int64_t now_seconds_ = 0;  // the Clock, read once per Execute
  uint32_t now_relative_ = 1;

  Table table_;
  Lru lru_;
  Lru writing_;
  std::size_t items_bytes_ = 0;
  uint64_t next_cas_;

  // flush_all, memcached's settings.oldest_live / oldest_cas: once oldest_live_ (Unix seconds) is
  // reached, items last stored or accessed at or before it, or with a CAS below oldest_cas_, are
  // invisible.
  int64_t oldest_live_ = 0;
  uint64_t oldest_cas_ = 0;

  // Cold tier state (all idle when tier_ is null).
  std::unique_ptr<ColdTier> tier_;
  Blocked blocked_ = Blocked::kNone;  // why the last Execute returned kColdLoading
  bool may_wait_ = true;
  bool flushing_ = false;
  bool swept_ = false;
  ColdRef cold_protect_ = ColdIndex::kNone;  // never evicted (being replaced or promoted)

  core::SizeClasses classes_;
  ShardStats stats_;
};

}  // namespace corecached::shard
