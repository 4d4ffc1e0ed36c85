#include "shard/cold_tier.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "cold/record.h"
#include "core/key_hash.h"

namespace corecached::shard {

ColdTier::ColdTier(cold::ColdIo& io, uint32_t shard_id, ShardStats& stats,
                   std::size_t expected_hot_items)
    : io_(io), shard_id_(shard_id), stats_(stats), sketch_(expected_hot_items) {}

ColdTier::~ColdTier() {
  if (attached_) {
    io_.DetachClient(client_);
  }
}

void ColdTier::Attach(std::function<void()> wake, bool batch_loads) {
  client_ = io_.AddClient(std::move(wake));
  attached_ = true;
  batch_loads_ = batch_loads;
}

void ColdTier::Log(const std::string& line) const {
  const std::string out = "corecached: cold tier: " + line + "\n";
  std::fwrite(out.data(), 1, out.size(), stderr);
}

bool ColdTier::Submit(cold::ColdRequest& request) {
  if (!io_.Submit(client_, request)) {
    return false;
  }
  ++outstanding_;
  return true;
}

void ColdTier::Drain(std::vector<cold::ColdCompletion>& out) {
  const std::size_t n = io_.Drain(client_, out);
  outstanding_ -= std::min(outstanding_, n);
}

// ---- Index ------------------------------------------------------------------------------------

ColdTier::Ref ColdTier::Insert(uint64_t hash, std::string_view key, const ColdEntry& entry) {
  const Ref ref = index_.Insert(hash, key, entry);
  if (ref != ColdIndex::kNone) {
    stats_.cold_items.Add();
    stats_.cold_bytes.Add(entry.value_size);
  }
  return ref;
}

void ColdTier::Erase(Ref ref, bool erase_record) {
  const std::string key(index_.Key(ref));
  stats_.cold_items.Sub();
  stats_.cold_bytes.Sub(index_.At(ref).value_size);
  index_.Erase(ref);
  Unstage(key);
  if (erase_record) {
    SubmitErase(key);
  }
}

// ---- Loads, admission -------------------------------------------------------------------------

void ColdTier::StartLoad(Ref ref) {
  ColdEntry& e = index_.At(ref);
  if (e.Has(ColdEntry::kLoading)) {
    return;
  }
  cold::ColdRequest request;
  request.op = cold::ColdOp::kLoad;
  request.key.assign(index_.Key(ref));
  request.write_id = e.WriteId();
  std::string key = request.key;
  if (batch_loads_) {
    gathered_loads_.push_back(std::move(request));
  } else if (!Submit(request)) {
    return;
  }
  e.Mark(ColdEntry::kLoading);
  stats_.cold_reads.Add();
  load_started_[std::move(key)] = std::chrono::steady_clock::now();
}

std::size_t ColdTier::SubmitLoads() {
  const std::size_t n = gathered_loads_.size();
  if (n == 0) {
    return 0;
  }
  if (io_.SubmitLoads(client_, gathered_loads_)) {
    outstanding_ += n;
    stats_.cold_load_batches.Add();
    return n;
  }
  // Refused (the readers are far behind): nothing is loading, so a retry starts the load again.
  for (const cold::ColdRequest& r : gathered_loads_) {
    load_started_.erase(r.key);
    const Ref ref = index_.Find(core::KeyHash::Of(r.key).TableBits(), r.key);
    if (ref != ColdIndex::kNone && index_.At(ref).WriteId() == r.write_id) {
      index_.At(ref).Unmark(ColdEntry::kLoading);
    }
  }
  stats_.cold_reads.Sub(n);
  gathered_loads_.clear();
  return 0;
}

const std::string* ColdTier::Staged(Ref ref) const {
  if (staged_.empty()) {
    return nullptr;
  }
  auto it = staged_.find(std::string(index_.Key(ref)));
  if (it == staged_.end() || it->second.write_id != index_.At(ref).WriteId()) {
    return nullptr;
  }
  return &it->second.value;
}

bool ColdTier::ReadResident(Ref ref, std::string& out) {
  std::optional<cold::LoadedValue> loaded =
      io_.LoadResident(read_txn_, std::string(index_.Key(ref)), index_.At(ref).WriteId());
  if (!loaded) {
    return false;
  }
  stats_.cold_reads.Add();
  stats_.cold_reads_inline.Add();
  out = std::move(loaded->value);
  return true;
}

bool ColdTier::Resident(Ref ref) {
  return io_.IsResident(read_txn_, std::string(index_.Key(ref)), index_.At(ref).WriteId());
}

const std::string* ColdTier::LoadResident(Ref ref) {
  const uint64_t write_id = index_.At(ref).WriteId();
  const std::string key(index_.Key(ref));
  std::optional<cold::LoadedValue> loaded = io_.LoadResident(read_txn_, key, write_id);
  if (!loaded) {
    return nullptr;
  }
  stats_.cold_reads.Add();
  stats_.cold_reads_inline.Add();
  Stage(key, write_id, std::move(loaded->value));
  return Staged(ref);
}

bool ColdTier::Admit(ColdEntry& entry) {
  if (entry.Has(ColdEntry::kTouched)) {
    return true;
  }
  entry.Mark(ColdEntry::kTouched);
  return false;
}

ColdTier::Ref ColdTier::OnLoaded(cold::ColdCompletion& c, int64_t now_seconds) {
  auto started = load_started_.find(c.key);
  if (started != load_started_.end()) {
    const auto waited = std::chrono::steady_clock::now() - started->second;
    stats_.cold_load_wait_us.Add(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(waited).count()));
    load_started_.erase(started);
  }
  const Ref ref = index_.Find(core::KeyHash::Of(c.key).TableBits(), c.key);
  if (ref == ColdIndex::kNone) {
    return ColdIndex::kNone;  // superseded while loading
  }
  ColdEntry& e = index_.At(ref);
  if (!e.Has(ColdEntry::kLoading) || e.WriteId() != c.write_id) {
    return ColdIndex::kNone;
  }
  e.Unmark(ColdEntry::kLoading);
  if (c.error) {
    DiskError(c.error, "load", false, now_seconds);
    return ref;
  }
  Stage(c.key, c.write_id, std::move(c.loaded.value));
  return ColdIndex::kNone;
}

void ColdTier::Stage(const std::string& key, uint64_t write_id, std::string value) {
  Unstage(key);
  staged_bytes_ += value.size();
  staged_[key] = Staging{write_id, std::move(value)};
  staged_order_.push_back(key);
  while (staged_bytes_ > kMaxStagedBytes && !staged_order_.empty()) {
    Unstage(staged_order_.front());
    staged_order_.pop_front();
  }
  if (staged_order_.size() > 2 * staged_.size() + 64) {  // drop names already unstaged
    std::deque<std::string> live;
    for (std::string& k : staged_order_) {
      if (staged_.count(k) != 0) {
        live.push_back(std::move(k));
      }
    }
    staged_order_.swap(live);
  }
}

void ColdTier::Unstage(std::string_view key) {
  if (staged_.empty()) {
    return;
  }
  auto it = staged_.find(std::string(key));
  if (it != staged_.end()) {
    staged_bytes_ -= it->second.value.size();
    staged_.erase(it);
  }
}

// ---- Write-back -------------------------------------------------------------------------------

std::size_t ColdTier::WritingBudgetBytes() const {
  const double rate = io_.WriteBytesPerSecond();
  if (rate <= 0) {
    return std::size_t{4} * 1024 * 1024;  // not measured yet
  }
  return std::clamp(static_cast<std::size_t>(rate * kWriteBacklogSeconds), kMinWritingBytes,
                    kMaxWritingBytes);
}

bool ColdTier::WriteRoom() const {
  return writing_bytes_ < WritingBudgetBytes() && inflight_writes_.size() < kMaxWritingItems;
}

bool ColdTier::StartWrite(Item& item, int64_t exptime) {
  cold::RecordMeta meta;
  meta.flags = item.flags;
  meta.exptime = exptime;
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
  inflight_writes_[std::string(item.Key())] = Writing{meta.write_id, &item, record_bytes};
  writing_bytes_ += record_bytes;
  writing_item_bytes_ += item.AllocatedBytes();
  writing_key_bytes_ += item.Key().size();
  stats_.cold_writes_pending.Set(inflight_writes_.size());
  return true;
}

void ColdTier::ForgetWrite(Item& item) {
  auto it = inflight_writes_.find(std::string(item.Key()));
  if (it != inflight_writes_.end() && it->second.item == &item) {
    writing_item_bytes_ -= item.AllocatedBytes();
    writing_key_bytes_ -= item.Key().size();
    inflight_writes_.erase(it);
    stats_.cold_writes_pending.Set(inflight_writes_.size());
  }
}

Item* ColdTier::WriteOf(const cold::ColdCompletion& c) {
  writing_bytes_ -= std::min(writing_bytes_, c.record_bytes);
  auto it = inflight_writes_.find(c.key);
  if (it == inflight_writes_.end() || it->second.write_id != c.write_id) {
    return nullptr;  // superseded: the item was replaced or deleted, which erased the key again
  }
  Item* item = it->second.item;
  ForgetWrite(*item);
  return item;
}

std::optional<uint64_t> ColdTier::WriteIdOf(const Item& item) const {
  auto it = inflight_writes_.find(std::string(item.Key()));
  if (it == inflight_writes_.end() || it->second.item != &item) {
    return std::nullopt;
  }
  return it->second.write_id;
}

bool ColdTier::SubmitSetExptime(std::string_view key, uint64_t write_id, int64_t exptime) {
  cold::ColdRequest request;
  request.op = cold::ColdOp::kSetExptime;
  request.key.assign(key);
  request.write_id = write_id;
  request.exptime = exptime;
  return Submit(request);
}

void ColdTier::SubmitErase(std::string_view key) {
  cold::ColdRequest request;
  request.op = cold::ColdOp::kErase;
  request.key.assign(key);
  if (!Submit(request) && pending_erases_.size() < kMaxPendingErases) {
    pending_erases_.push_back(std::move(request.key));
  }
}

void ColdTier::RetryPendingErases() {
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

// One line per failure burst: the first failure, then at most one per rest period.
void ColdTier::DiskError(const std::error_code& ec, const char* what, bool rest,
                         int64_t now_seconds) {
  stats_.cold_disk_errors.Add();
  const bool resting = now_seconds < rest_until_;
  const std::string where = std::string(what) + " failed on shard " + std::to_string(shard_id_) +
                            " (" + ec.message() + ")";
  if (rest && !resting) {
    rest_until_ = now_seconds + kRestSeconds;
    Log(where + ": evicting instead of writing back for " + std::to_string(kRestSeconds) + " s");
  } else if (!rest && !resting && stats_.cold_disk_errors.Get() % 1000 == 1) {
    Log(where);
  }
}

// ---- Start-up ---------------------------------------------------------------------------------

void ColdTier::Rebuild(uint32_t shard_count,
                       const std::function<void(cold::ColdKey, const cold::RecordMeta&)>& visit) {
  std::size_t seen = 0;
  auto mine = [&](cold::ColdKey key, const cold::RecordMeta& meta) {
    if (++seen % 1000000 == 0) {
      Log("shard " + std::to_string(shard_id_) + ": scanned " + std::to_string(seen) + " records");
    }
    if (core::KeyHash::Of(key).ShardBits() % shard_count != shard_id_) {
      return;
    }
    next_write_id_ = std::max(next_write_id_, meta.write_id + 1);
    visit(key, meta);
  };
  cold::Expected<std::size_t> dropped = io_.Store().Scan(mine);
  if (!dropped) {
    DiskError(dropped.Error(), "start-up scan", false, 0);
  } else if (*dropped != 0) {
    Log("shard " + std::to_string(shard_id_) + ": dropped " + std::to_string(*dropped) +
        " damaged records");
  }
}

}  // namespace corecached::shard
