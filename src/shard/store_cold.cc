// Store: the cold tier half (store.h "Cold tier"; the tier itself is shard/cold_tier.h). Values
// leave RAM through write-back (the item stays in the table and the LRU until its record is
// committed, then becomes a ColdEntry in the tier's index and leaves the table) and come back
// through loads: a loaded value is staged in the tier, served from there to the command that
// waited for it, and promoted to a hot item on admission (a second read) or when a command needs
// to change it.
//
// Identity: every write of a value gets a new write id (per Store, unique per key), and a write id
// names one value of one key for good: its record is written once, and only its exptime ever
// changes afterwards (touch: ColdStore::SetExptime of that id). A completion applies only to the
// item it was issued for: a write to the item the tier still has in flight with that id, a load to
// the cold entry still loading that id. Everything else is superseded and ignored, so a load racing
// a set/delete never brings back an old value.
// Clean demotion: a promotion keeps the record, and the hot item remembers its write id
// (Item::kClean, Item::SetRecord). While the item is unchanged, demoting it writes nothing: it
// becomes a cold entry of the same write id again. Any change to value, cas or flags makes a new
// item or clears kClean (ChangeInPlace; StartWrite too), and an exptime that differs from the
// record's is sent as a SetExptime of that id before the entry comes back, in the writer's order,
// so the record a clean entry names always holds the entry's bytes.
// Ordering: the writer thread runs one client's writes in order, so an item that may have a record
// (kMaybeOnDisk) erases its key when it leaves the table: no later write can be overtaken (erases
// the full queue refused are submitted before any later put, see MaybeDemote). Loads run on the
// reader threads, beside the writes, and may complete in any order relative to them; they need no
// order because:
//  - a load is only submitted for a cold entry, whose record was committed before (OnWritten, the
//    start-up scan, or the entry's earlier life before a promotion), and a reader renews its
//    snapshot after taking the load, so it sees it;
//  - while that entry exists no other write of its key is submitted (only hot items are written
//    back; touch rewrites the exptime of the same write id), so the record it reads is the
//    entry's own, and ColdStore::Get returns nothing for any other write id;
//  - once the entry goes (set, delete, flush, promotion), its key's next entry has another write
//    id, so a late completion is ignored, whatever bytes it carries; or, after a clean demotion,
//    the same write id, whose record holds the same value, so a late completion carries the right
//    bytes. A load that finds no record for the current entry is a miss (the entry is dropped).
//    No erase of the key is submitted while its clean item is hot (an erase means the item left
//    the table), so the record of a clean demotion is still there.
// Every load submitted completes (the threads run all queued loads, even at shutdown), so no
// entry stays kLoading: OnLoaded always moves a matching entry on (staged, or dropped).
//
// Promotions never evict: a plain read promotes only when the item fits under the memory limit
// as it is (else it is served from the staged value and stays cold); a command that changes the
// value allocates as any store does (waiting for write-back room, see MakeRoom).
#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "core/key_hash.h"
#include "core/protocol_limits.h"
#include "shard/store.h"

namespace corecached::shard {

using core::Command;
using core::Outcome;
using core::Result;

namespace {

Result Of(Outcome outcome) {
  Result r;
  r.outcome = outcome;
  return r;
}

}  // namespace

bool Store::ColdUsable() const { return tier_ != nullptr && tier_->Usable(now_seconds_); }

bool Store::MustWait(const Result& r) const {
  return r.outcome == Outcome::kColdLoading &&
         (blocked_ == Blocked::kRoom || !options_.cold_read_retry);
}

bool Store::ColdCompletionsReady() const { return tier_ != nullptr && tier_->HasCompletions(); }

int64_t Store::AbsoluteExptime(uint32_t exptime) const {
  return exptime == 0 ? 0 : epoch_ + exptime;
}

// ---- Cold items: lookup, reads, promotion -----------------------------------------------------

Store::ColdRef Store::FindCold(const Command& cmd, bool count_get) {
  if (tier_ == nullptr) {
    return ColdIndex::kNone;
  }
  const ColdRef ref = tier_->Find(cmd.hash.TableBits(), cmd.key);
  if (ref == ColdIndex::kNone) {
    return ref;
  }
  const ColdEntry& e = tier_->At(ref);
  const bool flushed = IsFlushed(e.time, e.cas);
  if (flushed || IsExpired(e.exptime)) {
    if (count_get) {
      (flushed ? stats_.get_flushed : stats_.get_expired).Add();
    }
    UnlinkCold(ref);
    return ColdIndex::kNone;
  }
  return ref;
}

void Store::PrefetchCold(const Command& cmd) {
  if (tier_ == nullptr || cmd.op != core::Op::kGet || tier_->size() == 0) {
    return;
  }
  // Most gets find their key hot. The hot table's lookup is the one the command makes next (its
  // cache lines are then warm); a miss in the cold index walks a probe cluster through entries
  // the command never needs (0.2 us per op in the mixed bench's profile, part 4).
  if (table_.Find(cmd.hash.TableBits(), cmd.key) != nullptr) {
    return;
  }
  const ColdRef ref = tier_->Find(cmd.hash.TableBits(), cmd.key);
  if (ref == ColdIndex::kNone) {
    return;
  }
  const ColdEntry& e = tier_->At(ref);
  if (IsExpired(e.exptime) || IsFlushed(e.time, e.cas) || tier_->Staged(ref) != nullptr ||
      tier_->Resident(ref)) {
    return;  // ready, or read inline when the command runs
  }
  tier_->StartLoad(ref);
}

const std::string* Store::StagedOrResident(ColdRef ref) {
  const std::string* value = tier_->Staged(ref);
  return value != nullptr ? value : tier_->LoadResident(ref);
}

Result Store::NeedValue(ColdRef ref) {
  tier_->StartLoad(ref);
  blocked_ = Blocked::kLoad;
  return Of(Outcome::kColdLoading);
}

// get/gets/mg without TTL or token flags (Get checks): the value comes from the load, and the item
// is promoted only on its second read (admission), so a scan of the tail does not push hot items
// out. Counted as the hit it is.
Result Store::ColdGet(const Command& cmd, ColdRef ref) {
  // A value read inline is served (and promoted) from here without being staged: one copy less.
  std::string read;
  const std::string* value = tier_->Staged(ref);
  if (value == nullptr) {
    if (!tier_->ReadResident(ref, read)) {
      return NeedValue(ref);
    }
    value = &read;
  }
  stats_.cmd_get.Add();
  stats_.get_hits.Add();
  ColdEntry& e = tier_->At(ref);
  Result r = Of(Outcome::kHit);
  if (value != &read) {
    r.value = *value;  // a staged value may be unstaged by the promotion below
  }
  r.flags = e.flags;
  r.cas = e.cas;
  r.ttl_seconds = TtlSeconds(e.exptime);
  r.last_access_seconds = static_cast<int64_t>(now_relative_) - static_cast<int64_t>(e.time);
  r.hit_before = (e.Bits() & Item::kFetched) != 0;
  r.key_binary = (e.Bits() & Item::kKeyBinary) != 0;
  if (cmd.no_lru_bump) {
    if (value == &read) {
      r.value = std::move(read);
    }
    return r;
  }
  bool promoted = false;
  if (AdmitCold(cmd, e)) {
    if (Item* hot = Promote(ref, *value); hot != nullptr) {
      hot->Set(Item::kFetched);
      promoted = true;
    }
  }
  if (!promoted) {
    BumpCold(tier_->At(ref));
  }
  if (value == &read) {
    r.value = std::move(read);
  }
  return r;
}

// Admission: a cold item comes into RAM on its second read from disk (a scan of the tail, each
// key read once, promotes nothing) and only when its key was used more often lately than the key
// of the hot item the next demotion takes, the LRU's tail (TinyLFU, frequency_sketch.h). A key
// read now and then does not push out keys read more often, and neither pays for a promotion and
// a later demotion (Zipf 90/10 over 4x memory, bench/RESULTS-cold.md part 4: a quarter of the
// promotions, a sixth fewer cold reads).
bool Store::AdmitCold(const Command& cmd, ColdEntry& entry) {
  if (!ColdTier::Admit(entry)) {
    return false;
  }
  const Item* victim = lru_.Oldest();
  if (victim == nullptr) {
    return true;
  }
  const FrequencySketch& sketch = tier_->Sketch();
  // + 1: this read is counted after it runs (CountUse).
  return sketch.Frequency(static_cast<uint32_t>(cmd.hash.TableBits())) + 1 >
         sketch.Frequency(victim->hash_low);
}

void Store::CountUse(const Command& cmd, const Result& r) {
  switch (cmd.op) {
    case core::Op::kDelete:
    case core::Op::kFlushAll:
    case core::Op::kDump:
    case core::Op::kSetLimit:
      return;
    default:
      break;
  }
  if (r.outcome != Outcome::kColdLoading) {  // counted when it runs again with the value
    FrequencySketch& sketch = tier_->Sketch();
    sketch.SetSampleSize(10 * table_.size());
    sketch.Increment(static_cast<uint32_t>(cmd.hash.TableBits()));
  }
}

void Store::BumpCold(ColdEntry& entry) {
  entry.time = now_relative_;
  entry.SetBits(static_cast<uint8_t>(entry.Bits() | Item::kFetched));
  entry.Mark(ColdEntry::kReferenced);
}

// Promotion on admission: only into free room (no eviction, no wait).
Item* Store::Promote(ColdRef ref, const std::string& loaded) {
  const std::string* value = &loaded;
  const std::string_view key = tier_->Key(ref);
  ItemPtr fresh(Item::Create(key, value->size(), core::KeyHash::Of(key).TableBits(),
                             Item::kRecordTrailerBytes));
  if (fresh == nullptr) {
    return nullptr;
  }
  const std::size_t table_growth = table_.BucketBytesAfterInsert() - table_.BucketBytes();
  if (MemoryUsedBytes() + fresh->AllocatedBytes() + table_growth > options_.memory_limit_bytes) {
    return nullptr;
  }
  return LinkPromoted(std::move(fresh), ref, *value);
}

// The hot copy of a cold entry replaces it, clean: the record stays and names its bytes.
Item* Store::LinkPromoted(ItemPtr fresh, ColdRef ref, std::string_view value) {
  const ColdEntry& e = tier_->At(ref);
  std::memcpy(fresh->MutableValue(), value.data(), value.size());
  fresh->flags = e.flags;
  fresh->exptime = e.exptime;
  fresh->cas = e.cas;
  fresh->bits = e.Bits();
  fresh->SetRecord(e.WriteId(), e.exptime);
  Item* hot = fresh.get();
  Link(std::move(fresh), nullptr, ref, /*promotion=*/true);
  return hot;
}

// A command that changes the item (or reads it with TTL/token flags) works on a hot item: the
// value is loaded, then allocated as any store allocates (it may wait for write-back room).
Result Store::Materialize(const Command& cmd, ColdRef ref, Item*& out) {
  out = nullptr;
  const std::string* value = StagedOrResident(ref);
  if (value == nullptr) {
    return NeedValue(ref);
  }
  cold_protect_ = ref;
  Allocation a =
      AllocateKey(cmd.key, cmd.hash.TableBits(), value->size(), nullptr, Item::kRecordTrailerBytes);
  cold_protect_ = ColdIndex::kNone;
  value = tier_->Staged(ref);
  if (a.item == nullptr || value == nullptr) {
    return a.item == nullptr ? Of(a.failure) : NeedValue(ref);
  }
  out = LinkPromoted(std::move(a.item), ref, *value);
  return Of(Outcome::kHit);
}

// touch on a cold item changes its metadata and its record's exptime; the value stays on disk.
Result Store::TouchCold(const Command& cmd, ColdRef ref) {
  ColdEntry& e = tier_->At(ref);
  e.exptime = RelativeExptime(cmd.exptime);
  tier_->SubmitSetExptime(tier_->Key(ref), e.WriteId(), AbsoluteExptime(e.exptime));
  stats_.touch_hits.Add();
  BumpCold(e);
  Result r = Of(Outcome::kTouched);
  r.cas = e.cas;
  r.flags = e.flags;
  r.ttl_seconds = TtlSeconds(e.exptime);
  return r;
}

void Store::UnlinkCold(ColdRef ref) {
  tier_->Erase(ref, /*erase_record=*/true);
  PublishGauges();
}

// ---- Write-back -------------------------------------------------------------------------------

std::size_t Store::MemoryCommittedBytes() const {
  if (tier_ == nullptr) {
    return MemoryUsedBytes();
  }
  return MemoryUsedBytes() - tier_->MemoryBytes() + tier_->MemoryBytesAfterWrites();
}

// Above the high watermark, the LRU tail is written back until the memory it will free brings the
// shard to the low watermark (or, when flushing for shutdown, until nothing hot is left). A store
// that needs `room` demotes as if it were already stored, and at least until `room` fits under the
// limit: an item larger than the band between the watermarks would otherwise find nothing in
// flight to wait for, and MakeRoom would drop an item instead. A clean item goes back to its
// record at once, without a write (never `keep`: a caller holds it).
void Store::MaybeDemote(const Item* keep, std::size_t room) {
  if (!ColdUsable()) {
    return;
  }
  // An erase refused earlier must reach the writer before any later put of its key, or it would
  // erase the newer record. Both share the write queue: while erases wait, no put would fit.
  tier_->RetryPendingErases();
  if (tier_->ErasesPending()) {
    return;
  }
  const auto limit = static_cast<double>(options_.memory_limit_bytes);
  if (!flushing_ &&
      static_cast<double>(MemoryCommittedBytes() + room) <= limit * options_.high_watermark) {
    return;
  }
  const std::size_t fit = options_.memory_limit_bytes - std::min(room, options_.memory_limit_bytes);
  const auto target = flushing_
                          ? std::size_t{0}
                          : std::min(fit, static_cast<std::size_t>(limit * options_.low_watermark));
  for (int step = 0; step < kDemoteStepsPerCall; ++step) {
    const std::size_t used = MemoryCommittedBytes();
    if (used - std::min(used, tier_->WritingItemBytes()) <= target) {
      return;
    }
    Item* victim = lru_.Oldest();
    if (victim == nullptr) {
      return;
    }
    if (IsExpired(*victim) || IsFlushed(*victim)) {
      EvictOne(nullptr);  // reclaims it
      continue;
    }
    if (victim != keep && victim->Has(Item::kClean) && DemoteClean(*victim)) {
      continue;
    }
    if (!tier_->WriteRoom() || !StartWrite(*victim)) {
      return;
    }
  }
}

// An unchanged promoted item: its record holds its value, flags and cas; only an exptime changed
// since (touch, gat) is sent, as a SetExptime of the same write id. False when the queue refuses
// that or the index is full: the item stays hot, and is written back in full.
bool Store::DemoteClean(Item& item) {
  const uint64_t write_id = item.RecordWriteId();
  if (item.exptime != item.RecordExptime() &&
      !tier_->SubmitSetExptime(item.Key(), write_id, AbsoluteExptime(item.exptime))) {
    return false;
  }
  item.SetRecord(write_id, item.exptime);
  lru_.Remove(item);
  if (!ShrinkToCold(item, write_id)) {
    lru_.PushBack(item);
    return false;
  }
  stats_.cold_clean_demotions.Add();
  return true;
}

bool Store::StartWrite(Item& item) {
  if (!tier_->StartWrite(item, AbsoluteExptime(item.exptime))) {
    return false;
  }
  lru_.Remove(item);
  item.Clear(Item::kClean);  // the key's record is being replaced
  item.Set(Item::kWriting);
  item.Set(Item::kMaybeOnDisk);
  writing_.PushFront(item);
  return true;
}

// The item's value or cas changes in place (incr/decr, md I, ms I): its record no longer holds
// its bytes. A clean item becomes dirty (its next demotion writes); a record being written will
// be stale, so the write no longer shrinks it (its completion is ignored) and the item is hot
// again.
void Store::ChangeInPlace(Item& item) {
  item.Clear(Item::kClean);
  if (!item.Has(Item::kWriting)) {
    return;
  }
  writing_.Remove(item);
  ForgetWrite(item);
  lru_.PushFront(item);
}

void Store::ForgetWrite(Item& item) {
  if (!item.Has(Item::kWriting)) {
    return;
  }
  item.Clear(Item::kWriting);
  tier_->ForgetWrite(item);
}

void Store::OnWritten(cold::ColdCompletion& c) {
  Item* item = tier_->WriteOf(c);
  if (item == nullptr) {
    return;
  }
  writing_.Remove(*item);
  item->Clear(Item::kWriting);
  if (c.error) {
    tier_->DiskError(c.error, "write", true, now_seconds_);
    lru_.PushBack(*item);  // stays hot; evicted as usual while the tier rests
    return;
  }
  if (!ShrinkToCold(*item, c.write_id)) {
    lru_.PushBack(*item);
  }
}

// The item leaves the hot tier: its metadata becomes a cold entry of record `write_id`, its
// allocation is freed. REQUIRES: the item is on no list. False (the item stays) when the index is
// full.
bool Store::ShrinkToCold(Item& item, uint64_t write_id) {
  ColdEntry e;
  e.cas = item.cas;
  e.SetWriteId(write_id);
  e.SetBits(
      static_cast<uint8_t>((item.bits & ~(Item::kWriting | Item::kClean)) | Item::kMaybeOnDisk));
  e.exptime = item.exptime;
  e.time = item.time;
  e.flags = item.flags;
  e.value_size = item.value_size;
  if (tier_->Insert(core::KeyHash::Of(item.Key()).TableBits(), item.Key(), e) == ColdIndex::kNone) {
    return false;
  }
  table_.Remove(&item);
  CountInClass(item, false);  // stats items/slabs count the items in RAM
  items_bytes_ -= item.AllocatedBytes();
  Item::Destroy(&item);
  stats_.evictions_to_disk.Add();
  PublishGauges();
  return true;
}

// touch/gat on a hot item whose record is being written: the record follows the new exptime
// (RAM is authoritative while we run; the record matters after a restart), after the write.
void Store::UpdateDiskExptime(const Item& item) {
  if (tier_ == nullptr || !item.Has(Item::kWriting)) {
    return;
  }
  if (std::optional<uint64_t> id = tier_->WriteIdOf(item)) {
    tier_->SubmitSetExptime(item.Key(), *id, AbsoluteExptime(item.exptime));
  }
}

// ---- Completions ------------------------------------------------------------------------------

void Store::OnLoaded(cold::ColdCompletion& c) {
  const ColdRef lost = tier_->OnLoaded(c, now_seconds_);
  if (lost != ColdIndex::kNone) {
    UnlinkCold(lost);  // its value is gone: a miss, never wrong data
  }
}

std::size_t Store::PollCold() {
  if (tier_ == nullptr) {
    return 0;
  }
  tier_->RetryPendingErases();
  if (!tier_->HasCompletions()) {
    return 0;
  }
  UpdateNow();
  std::vector<cold::ColdCompletion> done;
  tier_->Drain(done);
  for (cold::ColdCompletion& c : done) {
    if (c.op == cold::ColdOp::kPut) {
      OnWritten(c);
    } else if (c.op == cold::ColdOp::kLoad) {
      OnLoaded(c);
    } else if (c.error) {
      tier_->DiskError(c.error, "erase", false, now_seconds_);
    }
  }
  // Shrinks may grow the cold index past what MakeRoom kept free: a growth step (slots or an
  // entry chunk doubling, MiBs at 10^5 cold items) lands with the first completion of a round,
  // while the round's other items still hold their RAM. Write-back in flight frees them, so the
  // shard waits for it (stores wait for room meanwhile; the overshoot is at most that growth, as
  // memcached's hash table grows outside -m) and drops an item only when nothing in flight will
  // free memory: with a narrow watermark band, evicting here lost 645 of 524288 keys at 20x.
  MaybeDemote(nullptr);
  while (MemoryUsedBytes() > options_.memory_limit_bytes &&
         !(ColdUsable() && tier_->WritesInFlight()) && EvictOne(nullptr)) {
  }
  PublishGauges();
  return done.size();
}

// ---- Shutdown, restart ------------------------------------------------------------------------

bool Store::FlushStep() {
  if (tier_ == nullptr) {
    return true;
  }
  UpdateNow();
  flushing_ = true;
  MaybeDemote(nullptr);
  tier_->RetryPendingErases();
  const bool hot_done = lru_.empty() || !ColdUsable();
  if (hot_done && !tier_->WritesInFlight() && !swept_) {
    swept_ = SweepCold();
  }
  return hot_done && swept_ && !tier_->WritesInFlight() && tier_->Outstanding() == 0 &&
         !tier_->LoadsGathered() && !tier_->ErasesPending();
}

// Records of items hidden by flush_all (or expired) must not come back after the restart.
bool Store::SweepCold() {
  ColdIndex& index = tier_->Index();
  for (ColdRef ref = index.First(); ref != ColdIndex::kNone; ref = index.Next(ref)) {
    const ColdEntry& e = index.At(ref);
    if (IsExpired(e.exptime) || IsFlushed(e.time, e.cas)) {
      UnlinkCold(ref);
    }
  }
  return true;
}

void Store::AttachCold(std::function<void()> wake, bool batch_loads) {
  if (options_.cold == nullptr) {
    return;
  }
  // The sketch: a word of counters per KiB of the shard's memory (an item per KiB of values).
  tier_ = std::make_unique<ColdTier>(*options_.cold, options_.shard_id, stats_,
                                     options_.memory_limit_bytes / 1024);
  tier_->Attach(std::move(wake), batch_loads);
  RebuildFromCold();
}

void Store::RebuildFromCold() {
  UpdateNow();
  const auto budget = static_cast<std::size_t>(static_cast<double>(options_.memory_limit_bytes) *
                                               options_.low_watermark);
  std::vector<std::string> drop;
  uint64_t max_cas = 0;
  tier_->Rebuild(options_.shard_count, [&](cold::ColdKey key, const cold::RecordMeta& meta) {
    RebuildOne(key, meta, budget, drop, max_cas);
  });
  for (const std::string& key : drop) {
    tier_->SubmitErase(key);
  }
  if (max_cas >= next_cas_) {
    next_cas_ += ((max_cas - next_cas_) / options_.cas_step + 1) * options_.cas_step;
  }
  if (tier_->size() != 0 || !drop.empty()) {
    tier_->Log("shard " + std::to_string(options_.shard_id) + ": restored " +
               std::to_string(tier_->size()) + " items, dropped " + std::to_string(drop.size()) +
               " expired or over budget");
  }
  PublishGauges();
}

void Store::RebuildOne(cold::ColdKey key, const cold::RecordMeta& meta, std::size_t budget,
                       std::vector<std::string>& drop, uint64_t& max_cas) {
  const bool expired = meta.exptime != 0 && meta.exptime <= now_seconds_;
  const std::size_t after =
      MemoryUsedBytes() - tier_->MemoryBytes() + tier_->MemoryBytesAfterInsert(key.size());
  if (expired || after > budget || meta.write_id > ColdEntry::kMaxWriteId) {
    drop.emplace_back(key);
    return;
  }
  ColdEntry e;
  e.cas = meta.cas;
  e.SetWriteId(meta.write_id);
  e.SetBits(Item::kMaybeOnDisk);
  e.flags = meta.flags;
  e.value_size = meta.value_size;
  e.exptime = meta.exptime == 0
                  ? 0
                  : static_cast<uint32_t>(std::clamp<int64_t>(
                        meta.exptime - epoch_, 1, std::numeric_limits<uint32_t>::max()));
  e.time = now_relative_;
  if (tier_->Insert(core::KeyHash::Of(key).TableBits(), key, e) == ColdIndex::kNone) {
    drop.emplace_back(key);
    return;
  }
  max_cas = std::max(max_cas, meta.cas);
}

}  // namespace corecached::shard
