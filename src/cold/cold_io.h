#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cold/cold_store.h"
#include "cold/expected.h"

namespace corecached::cold {

enum class ColdOp : uint8_t {
  kPut,         // write `record` under `key`
  kLoad,        // read the record of `key` if it is write `write_id`
  kErase,       // remove whatever record `key` has
  kSetExptime,  // rewrite the exptime of `key`'s record if it is write `write_id`
};

// One request from a shard. Owns its bytes.
struct ColdRequest {
  ColdOp op = ColdOp::kLoad;
  std::string key;
  uint64_t write_id = 0;
  int64_t exptime = 0;  // kSetExptime: absolute Unix seconds, 0 = never
  std::string record;   // kPut: EncodeRecord(...)
};

// The answer to one ColdRequest. Owns its bytes.
// Order, per client: writes (kPut, kErase, kSetExptime) complete in the order they were submitted;
// a load may complete before or after writes submitted around it (readers run beside the writer),
// so a load is matched to its item by write_id, never by arrival order (FORMAT.md "Rules").
struct ColdCompletion {
  ColdOp op = ColdOp::kLoad;
  std::string key;
  uint64_t write_id = 0;
  std::size_t record_bytes = 0;  // kPut: size of the record written
  std::error_code error;         // empty = done
  LoadedValue loaded;            // kLoad, when !error
};

struct ColdIoOptions {
  std::string path;  // LMDB environment directory (created if missing)
  std::size_t map_size_bytes = std::size_t{1} << 30;
  // false: no threads; RunQueued() (or RunQueuedWrites / RunQueuedLoads) does the work on the
  // caller's thread (unit tests order completions this way).
  bool run_thread = true;
  // Reader threads (cold_tier.reader_threads): each runs loads in its own read transaction, so a
  // load never waits behind a write batch. Each holds one LMDB reader slot (the env has 126).
  std::size_t reader_threads = 2;
  // Requests queued, all clients together, per queue (writes; loads). Bounded so a slow disk turns
  // into refused submissions (the shard keeps the item in RAM or retries the read), never into
  // unbounded memory.
  std::size_t max_queued = 16384;
  // Writes taken per round: they share one write transaction.
  std::size_t max_batch = 256;
  // Group commit: when a round finds fewer than max_batch writes queued, the writer waits this
  // long (not woken by submissions; cut short by HurryWrites, when a shard waits for write-back
  // room) and takes what came meanwhile into the same transaction. Write-back trickles in one
  // item per command that crosses the watermark, and LMDB writes the tree's branch pages, the
  // free list and the meta page once per commit: about 10 page writes per value written in
  // one-value commits, 6.5 with 2 ms, 5 with 10 ms, 4.5 with 30 ms, 3.9 with 100 ms
  // (bench/RESULTS-cold.md parts 4, 5 and 7). 30 ms: the writer's CPU per value 25 % below 10 ms's
  // and the server's per op 4 % (100 ms saved the writer 17 % more but not the server). 0: no
  // wait (unit tests); the server sets kServerWriteLinger.
  std::chrono::microseconds write_linger{0};
  static constexpr std::chrono::microseconds kServerWriteLinger{30000};
  // Shards read a record on their own thread when its bytes are in RAM already (the page cache):
  // LoadResident. Off by default (unit tests order every load through the queue); the server
  // turns it on.
  bool inline_loads = false;
  // Tests only: runs on an I/O thread before it runs a round of `jobs` requests (op kLoad for a
  // reader's round, kPut for the writer's), so a test can hold one thread and watch the others.
  std::function<void(ColdOp op, std::size_t jobs)> before_round_for_test;
};

// ColdIo is the cold tier's I/O threads: shards submit puts, loads, erases and exptime rewrites.
// One writer thread runs the writes in submission order (one write transaction per batch: the
// write order of a key on disk is the order the shard chose). A pool of reader threads runs the
// loads, each in its own read transaction (reset between rounds, renewed for the next: the
// environment is MDB_NOTLS). Each thread hands a client its completions and then calls the
// client's wake function, so the shard drains them on its own thread.
//
// Owner: the Server (shared by every shard's Store, which keep it alive until they are destroyed).
// Thread: AddClient and store() main, start-up only; Submit, Drain from the client's owning shard;
// HasCompletions any (atomics only); the work runs on the cold writer thread and the cold reader
// threads. The destructor lets the threads finish what is queued (loads included), then joins
// them.
class ColdIo {
 public:
  using ClientId = uint32_t;

  static Expected<std::unique_ptr<ColdIo>> Open(const ColdIoOptions& options);
  ~ColdIo();
  ColdIo(const ColdIo&) = delete;
  ColdIo& operator=(const ColdIo&) = delete;

  // At most this many clients over the ColdIo's life (a client is never removed, only detached).
  static constexpr std::size_t kMaxClients = 1024;
  // Loads a reader takes per round (one snapshot, one delivery): small, so a burst spreads over
  // the readers and the first loads are delivered early.
  // Single loads (Submit) are taken up to this many per round; a batch is always taken whole.
  static constexpr std::size_t kLoadsPerRound = 8;
  // Loads in one batch of SubmitLoads at most (one read transaction, one delivery).
  static constexpr std::size_t kMaxLoadBatch = 64;

  // Load rounds run so far (a round = one read transaction), all readers together; tests.
  [[nodiscard]] uint64_t LoadRounds() const { return load_rounds_.load(std::memory_order_relaxed); }

  // `wake` runs on a cold I/O thread (writer or reader; several may call it at once) after
  // completions were queued for the client; it must be cheap, thread-safe and must not block
  // (a shard writes its eventfd). Calls for one client never overlap: each runs under the
  // client's lock. May run while the threads deliver to clients added earlier (a shard's
  // start-up erases): the table never moves. Aborts past kMaxClients.
  ClientId AddClient(std::function<void()> wake);
  // Stops calling the client's wake function (its owner is going away). Waits for a call in
  // progress on any thread. Thread: the client's owner.
  void DetachClient(ClientId client);
  // Queues `request` (loads for the readers, the rest for the writer); false (and `request`
  // untouched) when that queue is full or shutting down.
  bool Submit(ClientId client, ColdRequest& request);
  // Queues `loads` (all kLoad) as one batch (issue #14: a shard's cold loads of one loop turn):
  // one reader runs the whole batch in one read transaction and delivers its completions
  // together. Batches above kMaxLoadBatch are split into batches of that size, so a large turn
  // still spreads over the readers. All or nothing: false (and `loads` untouched) when the queue
  // has no room for every load or is shutting down; on success `loads` is emptied.
  bool SubmitLoads(ClientId client, std::vector<ColdRequest>& loads);
  // Ends the writer's linger now (write_linger): a shard is waiting for the room the queued
  // write-back frees. Any thread; cheap (a lock and a notify).
  void HurryWrites();
  // Moves the client's completions into `out` (appended). Returns how many.
  std::size_t Drain(ClientId client, std::vector<ColdCompletion>& out);
  // inline_loads only: reads `key`'s record of write `write_id` on the calling thread when all of
  // its bytes are in RAM (no disk wait), in a fresh snapshot of `txn` (the caller's read Txn:
  // empty at first, kept reset between calls; one per calling thread). nullopt when it is not
  // resident, absent, another write, damaged, or inline loads are off: the caller queues a load.
  // Thread: any, each with its own `txn`.
  std::optional<LoadedValue> LoadResident(Txn& txn, const std::string& key, uint64_t write_id);
  // Whether LoadResident would find the record in RAM now (reads and copies nothing).
  bool IsResident(Txn& txn, const std::string& key, uint64_t write_id);
  [[nodiscard]] bool HasCompletions(ClientId client) const;
  // Manual mode (run_thread == false): runs up to max_batch queued requests here, writes and
  // loads in submission order.
  std::size_t RunQueued();
  // Manual mode: only the queued writes, or only the queued loads, as the threads may order them.
  // With hold_loads, load completions are kept back until ReleaseHeldLoads delivers them: a load
  // that read the disk before a write and is applied after it.
  std::size_t RunQueuedWrites();
  std::size_t RunQueuedLoads(bool hold_loads = false);
  void ReleaseHeldLoads();

  // The writer's measured throughput: record bytes committed per second of write-batch time
  // (a moving average over batches of at least kMinMeasuredBatchBytes); 0 until measured.
  // Shards size their write-back in flight from it. Any (atomics only).
  [[nodiscard]] double WriteBytesPerSecond() const {
    return static_cast<double>(write_bytes_per_s_.load(std::memory_order_relaxed));
  }
  static constexpr std::size_t kMinMeasuredBatchBytes = std::size_t{64} * 1024;

  // Loads run so far, per reader thread (index = reader); manual mode counts as reader 0.
  [[nodiscard]] std::vector<uint64_t> LoadsPerReader() const;

  [[nodiscard]] ColdStore& Store() { return *store_; }

 private:
  struct Client {
    std::function<void()> wake;
    std::mutex mu;
    std::vector<ColdCompletion> done;
    std::atomic<std::size_t> ready{0};
  };
  struct Job {
    ClientId client = 0;
    uint64_t seq = 0;  // submission order over both queues (manual mode merges by it)
    // Loads: the next queued job belongs to the same batch (SubmitLoads); a reader takes a batch
    // whole.
    bool batch_continues = false;
    ColdRequest request;
  };

  ColdIo(ColdIoOptions options, std::unique_ptr<ColdStore> store);
  void WriterMain();
  void ReaderMain(std::size_t reader);
  // Takes up to `max` jobs from `queue`; false when stopping and nothing is left.
  bool Take(std::deque<Job>& queue, std::condition_variable& cv, std::size_t max,
            std::vector<Job>& jobs);
  // Appends up to `max` jobs in all to `jobs` from the write queue, without waiting.
  void TakeMoreWrites(std::size_t max, std::vector<Job>& jobs);
  // Takes whole load batches (a single load is a batch of one) while fewer than kLoadsPerRound
  // were taken; false when stopping and nothing is left.
  bool TakeLoads(std::vector<Job>& jobs);
  void RunBatch(std::vector<Job>& jobs);
  void RunWrites(std::vector<Job>& jobs, std::size_t begin, std::size_t end,
                 std::vector<ColdCompletion>& out);
  void MeasureWrites(std::size_t bytes, std::chrono::steady_clock::duration took);
  std::error_code ApplyWrite(Txn& txn, const ColdRequest& request);
  // `txn`: a reset read Txn to renew, or empty (one is begun).
  void RunLoads(Txn& txn, std::size_t reader, std::vector<Job>& jobs, std::size_t begin,
                std::size_t end, std::vector<ColdCompletion>& out);
  void Deliver(std::vector<Job>& jobs, std::vector<ColdCompletion>& done);

  const ColdIoOptions options_;
  std::unique_ptr<ColdStore> store_;
  // Fixed slots, published by client_count_ (release): the I/O threads read the table while a
  // later shard's AddClient runs, so it must never reallocate.
  std::array<std::unique_ptr<Client>, kMaxClients> clients_;
  std::atomic<std::size_t> client_count_{0};
  std::unique_ptr<std::atomic<uint64_t>[]> loads_per_reader_;
  std::atomic<uint64_t> write_bytes_per_s_{0};
  std::atomic<uint64_t> load_rounds_{0};
  // Guards the queues, next_seq_, stopping_, hurry_ and held_; never held across LMDB calls.
  std::mutex mu_;
  std::condition_variable writes_cv_;
  std::condition_variable loads_cv_;
  std::condition_variable linger_cv_;  // the writer's linger: HurryWrites and the destructor
  bool hurry_ = false;                 // HurryWrites since the writer's last linger
  std::deque<Job> writes_;
  std::deque<Job> loads_;
  uint64_t next_seq_ = 0;
  bool stopping_ = false;
  std::vector<Job> held_jobs_;  // manual mode, RunQueuedLoads(true)
  std::vector<ColdCompletion> held_done_;
  std::thread writer_;
  std::vector<std::thread> readers_;
};

}  // namespace corecached::cold
