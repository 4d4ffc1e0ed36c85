// ColdIo's threads against a real LMDB in a temp dir (suite 'threads', so the TSan stage runs it):
// loads run on the reader pool while the writer is busy, two readers serve loads at once, a load
// racing newer writes of its key never hands back bytes of another write, and the destructor runs
// the loads still queued. Threads are held and released through ColdIoOptions'
// before_round_for_test hook, so each case is deterministic; every wait is bounded.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cold/cold_io.h"
#include "cold/record.h"

namespace corecached::cold {
namespace {

constexpr auto kBound = std::chrono::seconds(20);

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cold_io_pool_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// A gate an I/O thread waits at (bounded) until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = true;
  int waiting = 0;
  void Close() {
    std::lock_guard<std::mutex> lock(mu);
    open = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu);
      open = true;
    }
    cv.notify_all();
  }
  void Pass() {
    std::unique_lock<std::mutex> lock(mu);
    ++waiting;
    cv.notify_all();
    cv.wait_for(lock, kBound, [this] { return open; });
    --waiting;
  }
  // Waits until `n` threads wait at the gate.
  bool WaitForWaiting(int n) {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, kBound, [&] { return waiting >= n; });
  }
};

// One client: its completions, collected as the shard collects them (wake, then Drain).
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<ColdCompletion> got;
  ColdIo* io = nullptr;
  ColdIo::ClientId id = 0;

  void Attach(ColdIo& cold_io) {
    io = &cold_io;
    id = io->AddClient([this] { cv.notify_all(); });
  }
  // Drains until `n` completions of `op` have arrived in total; false on timeout.
  bool WaitFor(ColdOp op, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu);
        io->Drain(id, got);
        if (Count(op) >= n) {
          return true;
        }
        if (std::chrono::steady_clock::now() > deadline) {
          return false;
        }
        // A slice: the wake may come between Drain and the wait (no lock pairs them).
        cv.wait_for(lock, std::chrono::milliseconds(5));
      }
    }
  }
  // Drains what has arrived, without waiting: completions of `op` so far.
  std::size_t CountNow(ColdOp op) {
    std::lock_guard<std::mutex> lock(mu);
    io->Drain(id, got);
    return Count(op);
  }
  std::size_t Count(ColdOp op) const {
    std::size_t n = 0;
    for (const ColdCompletion& c : got) {
      n += c.op == op ? 1 : 0;
    }
    return n;
  }
};

std::string ValueOf(uint64_t write_id) { return "value of write " + std::to_string(write_id); }

ColdRequest Put(const std::string& key, uint64_t write_id) {
  RecordMeta meta;
  meta.write_id = write_id;
  ColdRequest r;
  r.op = ColdOp::kPut;
  r.key = key;
  r.write_id = write_id;
  r.record = EncodeRecord(key, meta, ValueOf(write_id));
  return r;
}

ColdRequest Load(const std::string& key, uint64_t write_id) {
  ColdRequest r;
  r.op = ColdOp::kLoad;
  r.key = key;
  r.write_id = write_id;
  return r;
}

// A ColdIo on `path` whose writer lingers `linger` (group commit), with `c` attached.
std::unique_ptr<ColdIo> OpenLingering(const std::string& path, std::chrono::microseconds linger,
                                      Collector& c,
                                      std::function<void(ColdOp, std::size_t)> before_round = {}) {
  ColdIoOptions options;
  options.path = path;
  options.map_size_bytes = std::size_t{64} << 20;
  options.write_linger = linger;
  options.before_round_for_test = std::move(before_round);
  auto opened = ColdIo::Open(options);
  REQUIRE(opened);
  std::unique_ptr<ColdIo> io = std::move(*opened);
  c.Attach(*io);
  return io;
}

std::unique_ptr<ColdIo> OpenPool(const std::string& path, std::size_t readers, Gate* writer_gate,
                                 Gate* reader_gate, std::atomic<std::size_t>* loads_run) {
  ColdIoOptions options;
  options.path = path;
  options.map_size_bytes = std::size_t{64} << 20;
  options.reader_threads = readers;
  options.before_round_for_test = [=](ColdOp op, std::size_t jobs) {
    if (op == ColdOp::kLoad) {
      if (loads_run != nullptr) {
        loads_run->fetch_add(jobs);
      }
      if (reader_gate != nullptr) {
        reader_gate->Pass();
      }
    } else if (writer_gate != nullptr) {
      writer_gate->Pass();
    }
  };
  auto io = ColdIo::Open(options);
  REQUIRE(io);
  return std::move(*io);
}

TEST_CASE("ColdIo pool: loads complete while the writer is busy with a write batch") {
  TempDir dir;
  Gate writer_gate;
  Collector c;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 2, &writer_gate, nullptr, nullptr);
  c.Attach(*io);
  ColdRequest first = Put("a", 1);
  REQUIRE(io->Submit(c.id, first));
  REQUIRE(c.WaitFor(ColdOp::kPut, 1));

  writer_gate.Close();
  ColdRequest second = Put("b", 2);
  REQUIRE(io->Submit(c.id, second));
  REQUIRE(writer_gate.WaitForWaiting(1));  // the writer holds the batch with "b"
  for (int i = 0; i < 20; ++i) {
    ColdRequest load = Load("a", 1);
    REQUIRE(io->Submit(c.id, load));
  }
  const bool loads_done = c.WaitFor(ColdOp::kLoad, 20);
  const std::size_t puts_while_held = c.Count(ColdOp::kPut);
  writer_gate.Open();
  CHECK(loads_done);
  CHECK(puts_while_held == 1);  // "b" was still held: the loads did not queue behind it
  for (const ColdCompletion& done : c.got) {
    if (done.op == ColdOp::kLoad) {
      CHECK(!done.error);
      CHECK(done.loaded.value == ValueOf(1));
    }
  }
  CHECK(c.WaitFor(ColdOp::kPut, 2));
  io.reset();
}

// Group commit (ColdIoOptions::write_linger): a round that finds fewer writes than max_batch
// waits, and the writes submitted meanwhile share its transaction, in submission order.
TEST_CASE("issue #14: writes submitted during the writer's linger share one round") {
  TempDir dir;
  Collector c;
  std::mutex mu;
  std::vector<std::size_t> rounds;
  std::unique_ptr<ColdIo> io =
      OpenLingering(dir.path, std::chrono::milliseconds(500), c, [&](ColdOp op, std::size_t jobs) {
        if (op == ColdOp::kPut) {
          std::lock_guard<std::mutex> lock(mu);
          rounds.push_back(jobs);
        }
      });
  ColdRequest first = Put("k", 1);
  REQUIRE(io->Submit(c.id, first));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));  // the writer took it, lingers
  for (uint64_t id = 2; id <= 4; ++id) {
    ColdRequest later = Put("k", id);  // the same key: the last write must win
    REQUIRE(io->Submit(c.id, later));
  }
  REQUIRE(c.WaitFor(ColdOp::kPut, 4));
  {
    std::lock_guard<std::mutex> lock(mu);
    CHECK(rounds == std::vector<std::size_t>{4});
  }
  for (const ColdCompletion& done : c.got) {
    CHECK(!done.error);
  }
  ColdRequest load = Load("k", 4);
  REQUIRE(io->Submit(c.id, load));
  REQUIRE(c.WaitFor(ColdOp::kLoad, 1));
  for (const ColdCompletion& done : c.got) {
    if (done.op == ColdOp::kLoad) {
      CHECK(!done.error);
      CHECK(done.loaded.value == ValueOf(4));
    }
  }
  io.reset();
}

// A shard that waits for write-back room calls HurryWrites: the writer commits what it holds
// without finishing its linger; the destructor ends a linger too. The linger (60 s) is longer
// than every bound here, so a write completes in time only if the linger was cut short.
TEST_CASE("issue #14: HurryWrites and the destructor end the writer's linger") {
  TempDir dir;
  Collector c;
  std::unique_ptr<ColdIo> io = OpenLingering(dir.path, std::chrono::seconds(60), c);
  ColdRequest first = Put("k", 1);
  REQUIRE(io->Submit(c.id, first));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer took it, lingers
  CHECK(c.CountNow(ColdOp::kPut) == 0);
  io->HurryWrites();
  REQUIRE(c.WaitFor(ColdOp::kPut, 1));
  CHECK(!c.got.front().error);
  // The next round lingers again (the hurry is spent)...
  ColdRequest second = Put("k", 2);
  REQUIRE(io->Submit(c.id, second));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(c.CountNow(ColdOp::kPut) == 1);
  // ... and shutting down ends it: the write is committed, not dropped, and soon.
  const auto started = std::chrono::steady_clock::now();
  io.reset();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(20));
  Collector again;
  io = OpenLingering(dir.path, std::chrono::microseconds(0), again);
  ColdRequest load = Load("k", 2);
  REQUIRE(io->Submit(again.id, load));
  REQUIRE(again.WaitFor(ColdOp::kLoad, 1));
  CHECK(!again.got.front().error);
  CHECK(again.got.front().loaded.value == ValueOf(2));
  io.reset();
}

TEST_CASE("ColdIo pool: a second reader serves loads while the first one is held") {
  TempDir dir;
  Gate reader_gate;
  Collector c;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 2, nullptr, &reader_gate, nullptr);
  c.Attach(*io);
  ColdRequest put = Put("k", 7);
  REQUIRE(io->Submit(c.id, put));
  REQUIRE(c.WaitFor(ColdOp::kPut, 1));

  reader_gate.Close();
  ColdRequest held = Load("k", 7);
  REQUIRE(io->Submit(c.id, held));
  REQUIRE(reader_gate.WaitForWaiting(1));  // one reader holds its round
  ColdRequest other = Load("k", 7);
  REQUIRE(io->Submit(c.id, other));
  REQUIRE(reader_gate.WaitForWaiting(2));  // the other reader took the second load
  reader_gate.Open();
  REQUIRE(c.WaitFor(ColdOp::kLoad, 2));
  const std::vector<uint64_t> per_reader = io->LoadsPerReader();
  REQUIRE(per_reader.size() == 2);
  CHECK(per_reader[0] == 1);
  CHECK(per_reader[1] == 1);
  io.reset();
}

// The writer rewrites one key again and again (write ids 1..N) while readers load it by write id.
// A load names the write it wants: it gets exactly those bytes, or nothing, never a neighbour's.
TEST_CASE("ColdIo pool: a load racing newer writes of its key never returns another write") {
  TempDir dir;
  Collector c;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 3, nullptr, nullptr, nullptr);
  c.Attach(*io);
  constexpr uint64_t kWrites = 400;
  std::size_t loads = 0;
  for (uint64_t w = 1; w <= kWrites; ++w) {
    ColdRequest put = Put("hot", w);
    while (!io->Submit(c.id, put)) {
      std::this_thread::yield();
    }
    for (uint64_t want : {w, w - 1, w + 1}) {
      if (want == 0) {
        continue;  // 0 asks for any write (start-up tools); the store always names one
      }
      ColdRequest load = Load("hot", want);
      if (io->Submit(c.id, load)) {
        ++loads;
      }
    }
  }
  REQUIRE(c.WaitFor(ColdOp::kPut, kWrites));
  REQUIRE(c.WaitFor(ColdOp::kLoad, loads));
  std::size_t found = 0;
  for (const ColdCompletion& done : c.got) {
    if (done.op != ColdOp::kLoad || done.error) {
      continue;
    }
    ++found;
    CHECK(done.loaded.meta.write_id == done.write_id);
    CHECK(done.loaded.value == ValueOf(done.write_id));
  }
  MESSAGE("loads " << loads << ", found their write " << found);
  ColdRequest last = Load("hot", kWrites);
  REQUIRE(io->Submit(c.id, last));
  REQUIRE(c.WaitFor(ColdOp::kLoad, loads + 1));
  CHECK(!c.got.back().error);
  CHECK(c.got.back().loaded.value == ValueOf(kWrites));
  io.reset();
}

TEST_CASE("ColdIo pool: a load after an erase is a miss, never the erased bytes") {
  TempDir dir;
  Collector c;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 2, nullptr, nullptr, nullptr);
  c.Attach(*io);
  ColdRequest put = Put("gone", 3);
  REQUIRE(io->Submit(c.id, put));
  ColdRequest erase;
  erase.op = ColdOp::kErase;
  erase.key = "gone";
  REQUIRE(io->Submit(c.id, erase));
  REQUIRE(c.WaitFor(ColdOp::kErase, 1));  // committed: a load submitted now must see it
  ColdRequest load = Load("gone", 3);
  REQUIRE(io->Submit(c.id, load));
  REQUIRE(c.WaitFor(ColdOp::kLoad, 1));
  CHECK(c.got.back().error == LmdbError(MDB_NOTFOUND));
  io.reset();
}

TEST_CASE("ColdIo pool: shutdown with loads in flight runs them all and joins") {
  TempDir dir;
  Gate reader_gate;
  std::atomic<std::size_t> loads_run{0};
  Collector c;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 2, nullptr, &reader_gate, &loads_run);
  c.Attach(*io);
  ColdRequest put = Put("s", 1);
  REQUIRE(io->Submit(c.id, put));
  REQUIRE(c.WaitFor(ColdOp::kPut, 1));
  reader_gate.Close();
  constexpr std::size_t kLoads = 100;
  for (std::size_t i = 0; i < kLoads; ++i) {
    ColdRequest load = Load("s", 1);
    REQUIRE(io->Submit(c.id, load));
  }
  REQUIRE(reader_gate.WaitForWaiting(2));  // both readers hold a round; the rest is queued
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reader_gate.Open();
  });
  io.reset();  // detaches the client, refuses new work, runs what is queued, joins
  opener.join();
  CHECK(loads_run.load() == kLoads);
}

TEST_CASE("issue #14: a batch of loads runs whole, one read transaction per kMaxLoadBatch loads") {
  TempDir dir;
  std::atomic<std::size_t> loads_run{0};
  Collector a;
  Collector b;
  std::unique_ptr<ColdIo> io = OpenPool(dir.path, 2, nullptr, nullptr, &loads_run);
  a.Attach(*io);
  b.Attach(*io);
  constexpr std::size_t kKeys = ColdIo::kMaxLoadBatch + 36;  // two batches: 64 + 36
  for (std::size_t i = 0; i < kKeys; ++i) {
    ColdRequest put = Put("batch:" + std::to_string(i), i + 1);
    REQUIRE(io->Submit(a.id, put));
  }
  REQUIRE(a.WaitFor(ColdOp::kPut, kKeys));
  const uint64_t rounds_before = io->LoadRounds();
  std::vector<ColdRequest> loads;
  for (std::size_t i = 0; i < kKeys; ++i) {
    loads.push_back(Load("batch:" + std::to_string(i), i + 1));
  }
  REQUIRE(io->SubmitLoads(a.id, loads));
  CHECK(loads.empty());
  // Another client's batch of 3, in between: its own completions only.
  std::vector<ColdRequest> small{Load("batch:5", 6), Load("batch:6", 7), Load("batch:6", 99)};
  REQUIRE(io->SubmitLoads(b.id, small));
  REQUIRE(a.WaitFor(ColdOp::kLoad, kKeys));
  REQUIRE(b.WaitFor(ColdOp::kLoad, 3));
  CHECK(a.Count(ColdOp::kLoad) == kKeys);
  CHECK(b.Count(ColdOp::kLoad) == 3);
  for (const ColdCompletion& done : a.got) {
    if (done.op == ColdOp::kLoad) {
      REQUIRE(!done.error);
      CHECK(done.loaded.value == ValueOf(done.write_id));
      CHECK(done.key == "batch:" + std::to_string(done.write_id - 1));
    }
  }
  for (const ColdCompletion& done : b.got) {
    CHECK(done.op == ColdOp::kLoad);
    if (done.write_id == 99) {
      CHECK(done.error);  // another write's id: never its bytes
    } else {
      REQUIRE(!done.error);
      CHECK(done.loaded.value == ValueOf(done.write_id));
    }
  }
  // 64 and 36 are taken whole, each alone (a round stops at kLoadsPerRound); the batch of 3 alone
  // or together with nothing else: 3 rounds, never one per load.
  CHECK(io->LoadRounds() - rounds_before == 3);
  CHECK(loads_run.load() == kKeys + 3);
}

TEST_CASE("issue #14: a batch the load queue has no room for is refused whole, untouched") {
  TempDir dir;
  ColdIoOptions options;
  options.path = dir.path;
  options.map_size_bytes = std::size_t{16} << 20;
  options.run_thread = false;
  options.max_queued = 4;
  auto opened = ColdIo::Open(options);
  REQUIRE(opened);
  std::unique_ptr<ColdIo> io = std::move(*opened);
  Collector c;
  c.Attach(*io);
  std::vector<ColdRequest> five;
  for (int i = 0; i < 5; ++i) {
    five.push_back(Load("k" + std::to_string(i), 1));
  }
  CHECK(!io->SubmitLoads(c.id, five));
  CHECK(five.size() == 5);
  CHECK(five[4].key == "k4");  // untouched
  CHECK(io->RunQueuedLoads() == 0);
  five.pop_back();
  CHECK(io->SubmitLoads(c.id, five));
  CHECK(io->RunQueuedLoads() == 4);
  CHECK(io->LoadRounds() == 1);
  std::vector<ColdCompletion> got;
  CHECK(io->Drain(c.id, got) == 4);
  for (const ColdCompletion& done : got) {
    CHECK(done.error);  // nothing was written: misses, no bytes
  }
}

}  // namespace
}  // namespace corecached::cold
