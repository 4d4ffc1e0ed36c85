#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "cold/cold_io.h"
#include "core/protocol_limits.h"
#include "shard/cold_index.h"
#include "shard/frequency_sketch.h"
#include "shard/item.h"
#include "shard/shard_stats.h"

namespace corecached::shard {

// ColdTier is one Store's cold half: the cold items (a ColdIndex: metadata only, values on disk),
// the requests to the cold I/O threads (cold::ColdIo) and their bookkeeping, the loaded values
// waiting to be served, the admission rule, and the write-back budget sized by the disk.
// The Store keeps the hot items and decides when an item changes tier; it asks the tier through
// this interface (demote: StartWrite/OnWritten; lookup: Find/At; promote: Staged + Erase; erase;
// rebuild at start: Rebuild).
//
// Identity: every write of a value gets a new write id (per tier, unique per key). A load applies
// only to the entry still loading that write id; a write completion only to the item it was
// issued for (WriteOf). See store_cold.cc for the ordering argument.
//
// Owner: its Store. Thread: owning shard; HasCompletions any (atomics only). The wake function
// given to Attach runs on the cold I/O threads. A ColdEntry& or Staged() pointer stays valid until
// the next call that inserts, erases or stages.
class ColdTier {
 public:
  using Ref = ColdIndex::Ref;

  // expected_hot_items sizes the admission sketch (FrequencySketch).
  ColdTier(cold::ColdIo& io, uint32_t shard_id, ShardStats& stats, std::size_t expected_hot_items);
  ~ColdTier();
  ColdTier(const ColdTier&) = delete;
  ColdTier& operator=(const ColdTier&) = delete;

  // Thread: main, start-up only. With batch_loads, StartLoad only gathers loads and
  // SubmitLoads sends them (the owner calls it once per loop turn); otherwise each load is
  // submitted at once.
  void Attach(std::function<void()> wake, bool batch_loads = false);

  // Bounds. Loaded values waiting to be served (RAM outside the memory limit, like the record
  // copies being written): beyond this the oldest are dropped (their readers load again).
  static constexpr std::size_t kMaxStagedBytes = std::size_t{4} * 1024 * 1024;
  // Write-back in flight: the record copies are RAM outside the memory limit. The byte budget is
  // kWriteBacklogSeconds of the writer's measured throughput, within these bounds.
  // The minimum is the constant of the first generation (4 MiB); small batches cost LMDB a commit
  // each, so a budget that follows a slow measurement down would slow the writer further.
  static constexpr std::size_t kMinWritingBytes = std::size_t{4} * 1024 * 1024;
  static constexpr std::size_t kMaxWritingBytes = std::size_t{16} * 1024 * 1024;
  static constexpr double kWriteBacklogSeconds = 0.1;
  static constexpr std::size_t kMaxWritingItems = 4096;
  static constexpr std::size_t kMaxPendingErases = 100000;
  static constexpr int64_t kRestSeconds = 10;

  // ---- The index ----
  [[nodiscard]] Ref Find(uint64_t hash, std::string_view key) const {
    return index_.Find(hash, key);
  }
  [[nodiscard]] ColdEntry& At(Ref ref) { return index_.At(ref); }
  [[nodiscard]] std::string_view Key(Ref ref) const { return index_.Key(ref); }
  // A new cold entry (counted in cold_items/cold_bytes). kNone when the index is full.
  Ref Insert(uint64_t hash, std::string_view key, const ColdEntry& entry);
  // Removes the entry; with erase_record also its record (the item is gone, not promoted).
  void Erase(Ref ref, bool erase_record);
  [[nodiscard]] std::size_t size() const { return index_.size(); }
  // The index and the admission sketch.
  [[nodiscard]] std::size_t MemoryBytes() const {
    return index_.MemoryBytes() + sketch_.MemoryBytes();
  }
  [[nodiscard]] std::size_t MemoryBytesAfterInsert(std::size_t key_size) const {
    return index_.MemoryBytesAfterInsert(key_size);
  }
  // The index's memory once every write-back in flight (and one more insert) became a cold
  // entry: a bound, so that one round of write completions never takes the shard over its limit
  // (several index growths in one round used to evict: 2005 items in the 20x bench).
  [[nodiscard]] std::size_t MemoryBytesAfterWrites() const {
    return index_.MemoryBytesAfterInserts(inflight_writes_.size() + 1,
                                          writing_key_bytes_ + core::kMaxKeyLength) +
           sketch_.MemoryBytes();
  }
  [[nodiscard]] ColdIndex& Index() { return index_; }

  // ---- Loads and admission ----
  // Starts the load of the entry's value unless one runs (readers share it). In batch mode the
  // load is gathered for the next SubmitLoads (the entry is marked loading already, so every
  // reader of the turn shares it).
  void StartLoad(Ref ref);
  // Batch mode: submits the loads gathered since the last call as one batch (issue #14: one read
  // transaction for a turn's cold loads of this shard). When the queue refuses them, their
  // entries stop loading (their readers start the load again when they retry). Returns how many
  // were submitted.
  std::size_t SubmitLoads();
  [[nodiscard]] bool LoadsGathered() const { return !gathered_loads_.empty(); }
  // The loaded value of the entry's current write, or nullptr.
  [[nodiscard]] const std::string* Staged(Ref ref) const;
  // Reads the entry's value on this thread when its record is in RAM already (page cache; see
  // ColdIo::LoadResident) and stages it: the staged value, or nullptr (then StartLoad).
  const std::string* LoadResident(Ref ref);
  // The same without staging: the value into `out`; false when it is not in RAM (then StartLoad).
  bool ReadResident(Ref ref, std::string& out);
  // Whether the entry's record is in RAM (a read would not wait for the disk); reads nothing.
  bool Resident(Ref ref);
  // Second-touch admission: true when the entry was served from disk before (so this read may
  // promote it); marks it as served otherwise.
  static bool Admit(ColdEntry& entry);
  // Key use counts for admission (TinyLFU): the Store counts every read and store of a key and
  // promotes a cold item only when its key was used more often than the LRU tail's.
  [[nodiscard]] FrequencySketch& Sketch() { return sketch_; }
  [[nodiscard]] const FrequencySketch& Sketch() const { return sketch_; }
  // Applies a load completion: stages the value of an entry still loading that write, or, on a
  // read error, returns the entry to drop (a miss, never wrong data). kNone otherwise.
  Ref OnLoaded(cold::ColdCompletion& c, int64_t now_seconds);

  // ---- Write-back ----
  [[nodiscard]] bool Usable(int64_t now_seconds) const { return now_seconds >= rest_until_; }
  // True while the in-flight write-back is below its disk-sized budget.
  [[nodiscard]] bool WriteRoom() const;
  // Submits the item's record (exptime absolute); false when the queue refused it.
  bool StartWrite(Item& item, int64_t exptime);
  // Forgets the item's write in flight (its completion will be ignored).
  void ForgetWrite(Item& item);
  // The item a put completion applies to (and forgets the write), or nullptr when superseded.
  Item* WriteOf(const cold::ColdCompletion& c);
  [[nodiscard]] std::optional<uint64_t> WriteIdOf(const Item& item) const;
  [[nodiscard]] bool WritesInFlight() const { return !inflight_writes_.empty(); }
  // A command waits for write-back room: the writer commits what it has without lingering.
  void HurryWrites() { io_.HurryWrites(); }
  [[nodiscard]] std::size_t WritingItemBytes() const { return writing_item_bytes_; }
  // Sets the exptime of `key`'s record if it is still write `write_id`; false when the queue
  // refused it.
  bool SubmitSetExptime(std::string_view key, uint64_t write_id, int64_t exptime);
  // Erases `key`'s record; one the full queue refuses is kept and retried before any later put.
  void SubmitErase(std::string_view key);
  void RetryPendingErases();
  [[nodiscard]] bool ErasesPending() const { return !pending_erases_.empty(); }

  // ---- Completions, errors ----
  [[nodiscard]] bool HasCompletions() const { return io_.HasCompletions(client_); }
  void Drain(std::vector<cold::ColdCompletion>& out);
  [[nodiscard]] std::size_t Outstanding() const { return outstanding_; }
  // Counts the failure, logs (rate-limited); with rest, the tier is not used for kRestSeconds.
  void DiskError(const std::error_code& ec, const char* what, bool rest, int64_t now_seconds);

  // ---- Start-up ----
  // Visits every record of the shard (shard_count shards); next write ids follow the largest.
  void Rebuild(uint32_t shard_count,
               const std::function<void(cold::ColdKey, const cold::RecordMeta&)>& visit);
  void Log(const std::string& line) const;

 private:
  struct Writing {
    uint64_t write_id = 0;
    Item* item = nullptr;
    std::size_t record_bytes = 0;
  };
  struct Staging {
    uint64_t write_id = 0;
    std::string value;
  };
  bool Submit(cold::ColdRequest& request);
  void Unstage(std::string_view key);
  void Stage(const std::string& key, uint64_t write_id, std::string value);
  [[nodiscard]] std::size_t WritingBudgetBytes() const;

  cold::ColdIo& io_;
  uint32_t shard_id_;
  ShardStats& stats_;
  ColdIndex index_;
  FrequencySketch sketch_;
  cold::ColdIo::ClientId client_ = 0;
  bool attached_ = false;
  bool batch_loads_ = false;
  std::vector<cold::ColdRequest> gathered_loads_;  // batch mode: this turn's loads
  cold::Txn read_txn_;  // LoadResident's read transaction (reset between reads)
  uint64_t next_write_id_ = 1;
  int64_t rest_until_ = 0;         // Unix seconds; the tier is not used before
  std::size_t outstanding_ = 0;    // requests submitted, completions not yet drained
  std::size_t writing_bytes_ = 0;  // record copies queued for the writer
  std::size_t writing_item_bytes_ = 0;
  std::size_t writing_key_bytes_ = 0;  // key bytes of inflight_writes_
  std::unordered_map<std::string, Writing> inflight_writes_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> load_started_;
  std::unordered_map<std::string, Staging> staged_;
  std::deque<std::string> staged_order_;  // oldest first; may name keys already unstaged
  std::size_t staged_bytes_ = 0;
  std::vector<std::string> pending_erases_;
};

}  // namespace corecached::shard
