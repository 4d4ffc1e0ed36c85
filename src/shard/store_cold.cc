// Store: the cold tier half (store.h "Cold tier"). Values leave RAM through write-back (the item
// stays in the table and the LRU until its record is committed, then shrinks to header + key +
// write id) and come back through loads (the item is promoted to a full item again).
//
// Identity: every write of a value gets a new write id (per Store, unique per key). A completion
// applies only to the item it was issued for: a write to the item still in inflight_writes_ with
// that id, a load to the kLoading item whose trailer holds that id. Everything else is superseded
// and ignored, so a load racing a set/delete never brings back an old value.
// Ordering: the writer thread runs one client's writes in order, so an item that may have a record
// (kMaybeOnDisk) erases its key when it leaves the table: no later write can be overtaken (erases
// the full queue refused are submitted before any later put, see MaybeDemote). Loads run on the
// reader threads, beside the writes, and may complete in any order relative to them; they need no
// order because:
//  - a load is only submitted for a kOnDisk item, whose record was committed before (OnWritten or
//    the start-up scan), and a reader renews its snapshot after taking the load, so it sees it;
//  - while that item stays in the table no other write of its key is submitted (only hot items are
//    written back; touch rewrites the exptime of the same write id), so the record it reads is
//    the item's own, and ColdStore::Get returns nothing for any other write id;
//  - once the item leaves the table or changes (set, delete, flush, promotion), its write id is no
//    longer that of any kLoading item of the key, so a late completion is ignored, whatever bytes
//    it carries. A load that finds no record for the current item is a miss (the item is dropped).
// Every load submitted completes (the threads run all queued loads, even at shutdown), so no item
// stays kLoading: OnLoaded always moves a matching item on (promoted, kOnDisk again, or dropped).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "cold/record.h"
#include "shard/store.h"

namespace corecached::shard {

using core::Outcome;
using core::Result;

namespace {

void LogLine(const std::string& line) {
  const std::string out = "corecached: cold tier: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
}

}  // namespace

bool Store::ColdUsable() const { return cold_ != nullptr && now_seconds_ >= cold_rest_until_; }

bool Store::MustWait(const Result& r) const {
  return r.outcome == Outcome::kColdLoading &&
         (blocked_ == Blocked::kRoom || !options_.cold_read_retry);
}

bool Store::ColdCompletionsReady() const {
  return cold_ != nullptr && cold_->HasCompletions(client_);
}

bool Store::Submit(cold::ColdRequest& request) {
  if (!cold_->Submit(client_, request)) {
    return false;
  }
  ++outstanding_;
  return true;
}

int64_t Store::AbsoluteExptime(const Item& item) const {
  return item.exptime == 0 ? 0 : epoch_ + item.exptime;
}

// ---- Loads ------------------------------------------------------------------------------------

// A command needs the value of a cold item: start its load unless one runs (concurrent readers
// share it), and tell the caller to come back.
Result Store::NeedValue(Item& item) {
  if (item.residency == Residency::kOnDisk) {
    cold::ColdRequest request;
    request.op = cold::ColdOp::kLoad;
    request.key.assign(item.Key());
    request.write_id = item.WriteId();
    if (Submit(request)) {
      item.residency = Residency::kLoading;
      stats_.cold_reads.Add();
      inflight_loads_[std::string(item.Key())] =
          Loading{item.WriteId(), std::chrono::steady_clock::now()};
    }
  }
  blocked_ = Blocked::kLoad;
  Result r;
  r.outcome = Outcome::kColdLoading;
  return r;
}

void Store::OnLoaded(cold::ColdCompletion& c) {
  auto started = inflight_loads_.find(c.key);
  if (started != inflight_loads_.end() && started->second.write_id == c.write_id) {
    const auto waited = std::chrono::steady_clock::now() - started->second.started;
    stats_.cold_load_wait_us.Add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    inflight_loads_.erase(started);
  }
  Item* item = table_.Find(core::KeyHash::Of(c.key).TableBits(), c.key);
  if (item == nullptr || item->residency != Residency::kLoading || item->WriteId() != c.write_id) {
    return;  // superseded while loading
  }
  if (c.error) {
    DiskError(c.error, "load", false);
    Unlink(item);  // its value is gone: a miss, never wrong data
    return;
  }
  Promote(*item, c.loaded.value, c.write_id);
}

// The loaded value replaces the cold item (same metadata) when it fits in the memory limit.
// When it does not and write-back is running, the value waits (the item stays kLoading, so its
// readers keep waiting and share this load) until completed writes free room: loads finish
// ahead of the writes queued before them, and evicting hot data to make room would drop it.
// With no write in flight, or too much already waiting, room is made by eviction (this runs
// outside any command, so it may not wait).
void Store::Promote(Item& item, std::string& value, uint64_t write_id) {
  ItemPtr fresh(Item::Create(item.Key(), value.size(), item.hash_low));
  if (fresh != nullptr &&
      items_bytes_ - item.AllocatedBytes() + fresh->AllocatedBytes() + table_.BucketBytes() <=
          options_.memory_limit_bytes) {
    (void)PromoteInPlace(item, std::move(fresh), value);
    return;
  }
  if (!inflight_writes_.empty() && deferred_bytes_ + value.size() <= kMaxDeferredBytes) {
    deferred_bytes_ += value.size();
    deferred_.push_back(Deferred{std::string(item.Key()), write_id, std::move(value)});
    return;
  }
  may_wait_ = false;
  Allocation a = AllocateKey(item.Key(), item.hash_low, value.size(), &item);
  may_wait_ = true;
  if (!PromoteInPlace(item, std::move(a.item), value)) {
    item.residency = Residency::kOnDisk;  // the next reader loads again
  }
}

// Retried after every round of completions; a value whose item changed meanwhile is dropped.
void Store::PromoteDeferred() {
  std::vector<Deferred> waiting;
  waiting.swap(deferred_);
  deferred_bytes_ = 0;
  for (Deferred& d : waiting) {
    Item* item = table_.Find(core::KeyHash::Of(d.key).TableBits(), d.key);
    if (item != nullptr && item->residency == Residency::kLoading &&
        item->WriteId() == d.write_id) {
      Promote(*item, d.value, d.write_id);
    }
  }
}

bool Store::PromoteInPlace(Item& item, ItemPtr fresh_item, const std::string& value) {
  if (fresh_item == nullptr) {
    return false;
  }
  Item& fresh = *fresh_item;
  std::memcpy(fresh.MutableValue(), value.data(), value.size());
  fresh.flags = item.flags;
  fresh.exptime = item.exptime;
  fresh.cas = item.cas;
  fresh.bits = static_cast<uint8_t>(item.bits | Item::kMaybeOnDisk);
  table_.Remove(&item);
  cold_list_.Remove(item);
  items_bytes_ -= item.AllocatedBytes();
  stats_.cold_items.Sub();
  stats_.cold_bytes.Sub(item.value_size);
  Item::Destroy(&item);
  Item* hot = fresh_item.release();
  hot->time = now_relative_;
  table_.Insert(hot);
  lru_.PushFront(*hot);
  items_bytes_ += hot->AllocatedBytes();
  stats_.cold_promotions.Add();
  return true;
}

// ---- Write-back -------------------------------------------------------------------------------

// Above the high watermark, the LRU tail is written back until the memory it will free brings the
// shard to the low watermark (or, when flushing for shutdown, until nothing hot is left).
void Store::MaybeDemote() {
  if (!ColdUsable()) {
    return;
  }
  // An erase refused earlier must reach the writer before any later put of its key, or it would
  // erase the newer record. Both share the write queue: while erases wait, no put would fit.
  RetryPendingErases();
  if (!pending_erases_.empty()) {
    return;
  }
  const auto limit = static_cast<double>(options_.memory_limit_bytes);
  if (!flushing_ && static_cast<double>(MemoryUsedBytes()) <= limit * options_.high_watermark) {
    return;
  }
  const auto target =
      flushing_ ? std::size_t{0} : static_cast<std::size_t>(limit * options_.low_watermark);
  for (int step = 0; step < kDemoteStepsPerCall; ++step) {
    const std::size_t used = MemoryUsedBytes();
    if (used - std::min(used, writing_item_bytes_) <= target) {
      return;
    }
    if (writing_bytes_ >= kMaxWritingBytes || inflight_writes_.size() >= kMaxWritingItems) {
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
    if (!StartWrite(*victim)) {
      return;
    }
  }
}

bool Store::StartWrite(Item& item) {
  cold::RecordMeta meta;
  meta.flags = item.flags;
  meta.exptime = AbsoluteExptime(item);
  meta.cas = item.cas;
  meta.write_id = next_write_id_;
  cold::ColdRequest request;
  request.op = cold::ColdOp::kPut;
  request.key.assign(item.Key());
  request.write_id = meta.write_id;
  request.record = cold::EncodeRecord(item.Key(), meta, item.Value());
  const std::size_t record_bytes = request.record.size();
  if (!Submit(request)) {
    return false;
  }
  ++next_write_id_;
  lru_.Remove(item);
  item.Set(Item::kWriting);
  item.Set(Item::kMaybeOnDisk);
  writing_.PushFront(item);
  inflight_writes_[std::string(item.Key())] = Writing{meta.write_id, &item};
  writing_bytes_ += record_bytes;
  writing_item_bytes_ += item.AllocatedBytes();
  return true;
}

// The item changes in place while its record is being written: the record will be stale, so the
// write no longer shrinks it (its completion is ignored) and the item is hot again.
void Store::CancelWrite(Item& item) {
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
  auto it = inflight_writes_.find(std::string(item.Key()));
  if (it != inflight_writes_.end() && it->second.item == &item) {
    writing_item_bytes_ -= item.AllocatedBytes();
    inflight_writes_.erase(it);
  }
}

void Store::OnWritten(cold::ColdCompletion& c) {
  writing_bytes_ -= std::min(writing_bytes_, c.record_bytes);
  auto it = inflight_writes_.find(c.key);
  if (it == inflight_writes_.end() || it->second.write_id != c.write_id) {
    return;  // superseded: the item was replaced or deleted, which erased the key again
  }
  Item& item = *it->second.item;
  writing_.Remove(item);
  ForgetWrite(item);
  if (c.error) {
    DiskError(c.error, "write", true);
    lru_.PushBack(item);  // stays hot; evicted as usual while the tier rests
    return;
  }
  ShrinkToCold(item, c.write_id);
}

void Store::ShrinkToCold(Item& item, uint64_t write_id) {
  ItemPtr shrunk(Item::CreateCold(item.Key(), item.value_size, item.hash_low, write_id));
  if (shrunk == nullptr) {
    lru_.PushBack(item);
    return;
  }
  shrunk->flags = item.flags;
  shrunk->exptime = item.exptime;
  shrunk->cas = item.cas;
  shrunk->time = item.time;
  shrunk->bits = static_cast<uint8_t>(item.bits | Item::kMaybeOnDisk);
  table_.Remove(&item);
  items_bytes_ -= item.AllocatedBytes();
  Item::Destroy(&item);
  Item* cold = shrunk.release();
  table_.Insert(cold);
  cold_list_.PushFront(*cold);
  items_bytes_ += cold->AllocatedBytes();
  stats_.evictions_to_disk.Add();
  stats_.cold_items.Add();
  stats_.cold_bytes.Add(cold->value_size);
}

// touch/gat: a cold record follows the new exptime (RAM is authoritative while we run; the record
// matters after a restart). A record still being written gets it after the write (same queue).
void Store::UpdateDiskExptime(const Item& item) {
  if (cold_ == nullptr || (item.Hot() && !item.Has(Item::kWriting))) {
    return;
  }
  cold::ColdRequest request;
  request.op = cold::ColdOp::kSetExptime;
  request.key.assign(item.Key());
  request.exptime = AbsoluteExptime(item);
  if (item.Hot()) {
    auto it = inflight_writes_.find(request.key);
    if (it == inflight_writes_.end()) {
      return;
    }
    request.write_id = it->second.write_id;
  } else {
    request.write_id = item.WriteId();
  }
  (void)Submit(request);
}

void Store::SubmitErase(std::string_view key) {
  cold::ColdRequest request;
  request.op = cold::ColdOp::kErase;
  request.key.assign(key);
  if (!Submit(request) && pending_erases_.size() < kMaxPendingErases) {
    pending_erases_.push_back(std::move(request.key));
  }
}

void Store::RetryPendingErases() {
  while (!pending_erases_.empty()) {
    cold::ColdRequest request;
    request.op = cold::ColdOp::kErase;
    request.key = pending_erases_.back();
    if (!Submit(request)) {
      return;
    }
    pending_erases_.pop_back();
  }
}

// ---- Completions, errors ----------------------------------------------------------------------

std::size_t Store::PollCold() {
  if (cold_ == nullptr) {
    return 0;
  }
  RetryPendingErases();
  if (!cold_->HasCompletions(client_)) {
    return 0;
  }
  UpdateNow();
  std::vector<cold::ColdCompletion> done;
  cold_->Drain(client_, done);
  for (cold::ColdCompletion& c : done) {
    --outstanding_;
    if (c.op == cold::ColdOp::kPut) {
      OnWritten(c);
    } else if (c.op == cold::ColdOp::kLoad) {
      OnLoaded(c);
    } else if (c.error) {
      DiskError(c.error, "erase", false);
    }
  }
  PromoteDeferred();
  stats_.cold_writes_pending.Set(inflight_writes_.size());
  MaybeDemote();
  PublishGauges();
  return done.size();
}

// One line per failure burst: the first failure, then at most one per rest period.
void Store::DiskError(const std::error_code& ec, const char* what, bool rest) {
  stats_.cold_disk_errors.Add();
  const bool resting = now_seconds_ < cold_rest_until_;
  if (rest && !resting) {
    cold_rest_until_ = now_seconds_ + kColdRestSeconds;
    LogLine(std::string(what) + " failed on shard " + std::to_string(options_.shard_id) + " (" +
            ec.message() + "): evicting instead of writing back for " +
            std::to_string(kColdRestSeconds) + " s");
  } else if (!rest && !resting && stats_.cold_disk_errors.Get() % 1000 == 1) {
    LogLine(std::string(what) + " failed on shard " + std::to_string(options_.shard_id) + " (" +
            ec.message() + ")");
  }
}

// ---- Shutdown, restart ------------------------------------------------------------------------

bool Store::FlushStep() {
  if (cold_ == nullptr) {
    return true;
  }
  UpdateNow();
  flushing_ = true;
  MaybeDemote();
  RetryPendingErases();
  const bool hot_done = lru_.empty() || !ColdUsable();
  if (hot_done && inflight_writes_.empty() && !swept_) {
    swept_ = SweepCold();
  }
  return hot_done && swept_ && inflight_writes_.empty() && outstanding_ == 0 &&
         pending_erases_.empty();
}

// Records of items hidden by flush_all (or expired) must not come back after the restart.
bool Store::SweepCold() {
  Item* item = cold_list_.Oldest();
  while (item != nullptr) {
    Item* newer = cold_list_.Newer(*item);
    if (IsExpired(*item) || IsFlushed(*item)) {
      Unlink(item);
    }
    item = newer;
  }
  return true;
}

void Store::AttachCold(std::function<void()> wake) {
  if (options_.cold == nullptr) {
    return;
  }
  cold_ = options_.cold.get();
  client_ = cold_->AddClient(std::move(wake));
  RebuildFromCold();
}

void Store::RebuildFromCold() {
  UpdateNow();
  const auto budget = static_cast<std::size_t>(static_cast<double>(options_.memory_limit_bytes) *
                                               options_.low_watermark);
  std::size_t seen = 0;
  std::size_t kept = 0;
  std::vector<std::string> drop;
  uint64_t max_cas = 0;
  auto visit = [&](cold::ColdKey key, const cold::RecordMeta& meta) {
    if (++seen % 1000000 == 0) {
      LogLine("shard " + std::to_string(options_.shard_id) + ": scanned " + std::to_string(seen) +
              " records");
    }
    const core::KeyHash hash = core::KeyHash::Of(key);
    if (hash.ShardBits() % options_.shard_count != options_.shard_id) {
      return;
    }
    next_write_id_ = std::max(next_write_id_, meta.write_id + 1);
    const bool expired = meta.exptime != 0 && meta.exptime <= now_seconds_;
    Item* item = expired || MemoryUsedBytes() + 256 > budget
                     ? nullptr
                     : Item::CreateCold(key, meta.value_size, hash.TableBits(), meta.write_id);
    if (item == nullptr) {
      drop.emplace_back(key);
      return;
    }
    item->flags = meta.flags;
    item->cas = meta.cas;
    item->exptime = meta.exptime == 0
                        ? 0
                        : static_cast<uint32_t>(std::clamp<int64_t>(
                              meta.exptime - epoch_, 1, std::numeric_limits<uint32_t>::max()));
    item->time = now_relative_;
    item->Set(Item::kMaybeOnDisk);
    table_.Insert(item);
    cold_list_.PushFront(*item);
    CountInClass(*item, true);
    items_bytes_ += item->AllocatedBytes();
    stats_.cold_items.Add();
    stats_.cold_bytes.Add(meta.value_size);
    max_cas = std::max(max_cas, meta.cas);
    ++kept;
  };
  cold::Expected<std::size_t> dropped = cold_->Store().Scan(visit);
  if (!dropped) {
    DiskError(dropped.Error(), "start-up scan", false);
  }
  for (const std::string& key : drop) {
    SubmitErase(key);
  }
  if (max_cas >= next_cas_) {
    next_cas_ += ((max_cas - next_cas_) / options_.cas_step + 1) * options_.cas_step;
  }
  if (kept != 0 || !drop.empty() || (dropped && *dropped != 0)) {
    LogLine("shard " + std::to_string(options_.shard_id) + ": restored " + std::to_string(kept) +
            " items, dropped " + std::to_string(drop.size()) + " expired or over budget and " +
            std::to_string(dropped ? *dropped : 0) + " damaged records");
  }
  PublishGauges();
}

}  // namespace corecached::shard
