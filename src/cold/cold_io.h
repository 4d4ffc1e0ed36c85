#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
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

// The answer to one ColdRequest, in the order the client submitted them. Owns its bytes.
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
  // false: no thread; RunQueued() does the work on the caller's thread (unit tests order
  // completions this way).
  bool run_thread = true;
  // Requests queued for the I/O thread, all clients together. Bounded so a slow disk turns into
  // refused submissions (the shard keeps the item in RAM), never into unbounded memory.
  std::size_t max_queued = 16384;
  // Requests taken per round: consecutive writes in a round share one write transaction.
  std::size_t max_batch = 256;
};

// ColdIo is the cold tier's I/O thread: shards submit puts, loads and erases; the thread runs
// them against the ColdStore (writes batched, one write transaction per run of consecutive
// writes; loads in read transactions) and hands each client its completions, in submission order,
// then calls the client's wake function so the shard drains them on its own thread.
//
// Owner: the Server (shared by every shard's Store, which keep it alive until they are destroyed).
// Thread: AddClient and store() main, start-up only; Submit, Drain from the client's owning shard;
// HasCompletions any (atomics only); the work runs on the cold I/O thread. The destructor drains
// what is queued, then joins the thread.
class ColdIo {
 public:
  using ClientId = uint32_t;

  static Expected<std::unique_ptr<ColdIo>> Open(const ColdIoOptions& options);
  ~ColdIo();
  ColdIo(const ColdIo&) = delete;
  ColdIo& operator=(const ColdIo&) = delete;

  // At most this many clients over the ColdIo's life (a client is never removed, only detached).
  static constexpr std::size_t kMaxClients = 1024;

  // `wake` runs on the cold I/O thread after completions were queued for the client; it must be
  // cheap and must not block (a shard writes its eventfd). May run while the I/O thread delivers
  // to clients added earlier (a shard's start-up erases): the table never moves. Aborts past
  // kMaxClients.
  ClientId AddClient(std::function<void()> wake);
  // Stops calling the client's wake function (its owner is going away). Waits for a call in
  // progress. Thread: the client's owner.
  void DetachClient(ClientId client);
  // Queues `request`; false (and `request` untouched) when the queue is full or shutting down.
  bool Submit(ClientId client, ColdRequest& request);
  // Moves the client's completions into `out` (appended). Returns how many.
  std::size_t Drain(ClientId client, std::vector<ColdCompletion>& out);
  [[nodiscard]] bool HasCompletions(ClientId client) const;
  // Manual mode (run_thread == false): runs up to max_batch queued requests here.
  std::size_t RunQueued();

  [[nodiscard]] ColdStore& store() { return *store_; }

 private:
  struct Client {
    std::function<void()> wake;
    std::mutex mu;
    std::vector<ColdCompletion> done;
    std::atomic<std::size_t> ready{0};
  };
  struct Job {
    ClientId client = 0;
    ColdRequest request;
  };

  ColdIo(ColdIoOptions options, std::unique_ptr<ColdStore> store);
  void ThreadMain();
  void RunBatch(std::vector<Job>& jobs);
  void RunWrites(std::vector<Job>& jobs, std::size_t begin, std::size_t end,
                 std::vector<ColdCompletion>& out);
  std::error_code ApplyWrite(Txn& txn, const ColdRequest& request);
  void RunLoads(std::vector<Job>& jobs, std::size_t begin, std::size_t end,
                std::vector<ColdCompletion>& out);
  void Deliver(std::vector<Job>& jobs, std::vector<ColdCompletion>& done);

  const ColdIoOptions options_;
  std::unique_ptr<ColdStore> store_;
  // Fixed slots, published by client_count_ (release): the I/O thread reads the table while a
  // later shard's AddClient runs, so it must never reallocate.
  std::array<std::unique_ptr<Client>, kMaxClients> clients_;
  std::atomic<std::size_t> client_count_{0};
  std::mutex mu_;  // guards queue_ and stopping_; never held across LMDB calls
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace corecached::cold
