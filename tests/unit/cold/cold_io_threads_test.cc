// The Store with a real cold tier AND the real cold I/O threads (ColdIo run_thread = true: the
// writer and a pool of three readers, so loads complete out of order with the writes), for the
// TSan stage (suite 'threads'). Two "shard" threads, each owning one Store, share one ColdIo (as
// the server's shards do); a third thread reads the counters as `stats` does. Each shard thread
// runs bounded random set/get/append/touch/delete cycles over a key set several times its memory
// limit, so values keep going to LMDB and coming back while the I/O thread runs, and checks that
// every value read is the latest one written (a model kept per thread). Then both stores flush
// (shutdown), are destroyed, and new stores rebuild from the same ColdIo while it runs: every
// unexpired key reads back its latest value.
//
// Waiting works as the shard's does: the wake function (on the I/O thread) signals the shard
// thread, which runs PollCold and executes the command again; each wait is a bounded slice.
// Shard 1 batches its loads as the server's shards do (issue #14: gathered, then submitted as one
// batch before the thread waits, as at a loop turn's end); shard 0 submits each load at once.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../test_commands.h"
#include "cold/cold_io.h"
#include "shard/store.h"

namespace corecached::shard {
namespace {

using core::Command;
using core::Op;
using core::Outcome;
using core::Result;

constexpr int64_t kStart = 1'700'000'000;
constexpr uint32_t kShards = 2;
constexpr int kKeysPerShard = 300;
// Per shard: 300 keys of 1..6 KiB (~1 MB) through 192 KiB: most values live on disk.
constexpr std::size_t kMemoryLimit = 192 * 1024;
constexpr int kOpsPerShard = 12000;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cold_io_threads_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

using test::Cmd;

// Keys that belong to shard `shard` of kShards, as the router (and RebuildFromCold) assign them.
std::vector<std::string> KeysOf(uint32_t shard) {
  std::vector<std::string> keys;
  for (int i = 0; static_cast<int>(keys.size()) < kKeysPerShard; ++i) {
    std::string key = "key:" + std::to_string(i);
    if (core::KeyHash::Of(key).ShardBits() % kShards == shard) {
      keys.push_back(std::move(key));
    }
  }
  return keys;
}

// A value that names its key and version, so a stale or foreign value can never look right.
std::string ValueFor(const std::string& key, uint64_t version, std::size_t size) {
  std::string head = key + "#" + std::to_string(version) + ":";
  std::string value;
  value.reserve(size);
  while (value.size() < size) {
    value += head;
  }
  value.resize(size);
  return value;
}

// The shard's eventfd + sleeping flag, reduced to a condition variable.
struct Wakeup {
  std::mutex mu;
  std::condition_variable cv;
  bool pending = false;
  void Wake() {
    {
      std::lock_guard<std::mutex> lock(mu);
      pending = true;
    }
    cv.notify_one();
  }
  void WaitSlice() {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(20), [this] { return pending; });
    pending = false;
  }
};

struct ShardSim {
  ShardSim(uint32_t shard, std::shared_ptr<cold::ColdIo> io, int64_t now) : id(shard), clock(now) {
    StoreOptions options;
    options.memory_limit_bytes = kMemoryLimit;
    options.cold = std::move(io);
    options.shard_id = shard;
    options.shard_count = kShards;
    options.cas_start = shard + 1;
    options.cas_step = kShards;
    store = std::make_unique<Store>(options, clock, kStart);
    store->AttachCold([this] { wakeup.Wake(); }, /*batch_loads=*/shard == 1);
  }

  // As Shard::ResumeCold: execute again after each round of cold progress, a bounded number of
  // times. Returns nullopt (and records a failure) when the bound is hit.
  std::optional<Result> Run(const Command& cmd) {
    for (int waits = 0; waits < 1000; ++waits) {
      Result r = store->Execute(cmd);
      if (store->MemoryUsedBytes() > store->MemoryLimitBytes()) {
        ++over_limit;
      }
      if (!store->MustWait(r)) {
        return r;
      }
      store->SubmitColdLoads();  // the turn's end
      wakeup.WaitSlice();
      store->PollCold();
    }
    ++stuck;
    return std::nullopt;
  }

  // Flush for shutdown, as Shard::FlushCold (bounded).
  bool Flush() {
    for (int i = 0; i < 3000; ++i) {
      store->SubmitColdLoads();
      store->PollCold();
      if (store->FlushStep()) {
        return true;
      }
      wakeup.WaitSlice();
    }
    return false;
  }

  uint32_t id;
  core::ManualClock clock;
  Wakeup wakeup;
  std::unique_ptr<Store> store;
  // Failures, counted on the shard thread and checked on the main thread after join.
  int stuck = 0;
  int over_limit = 0;
  int wrong_values = 0;
  int unexpected_misses = 0;
  int misses_after_eviction = 0;
  int hits = 0;
  std::string first_error;
};

// The latest value of each key as the client knows it (nullopt: absent). Owned by one thread.
using Model = std::map<std::string, std::optional<std::string>>;
// Keys whose latest store has a 3-second TTL: expired after the restart (5 seconds later), so the
// new stores drop their records at start-up (erases submitted while the I/O thread runs).
using Expiring = std::map<std::string, bool>;

void CheckRead(ShardSim& s, Model& model, const std::string& key, const Result& r) {
  const std::optional<std::string>& want = model[key];
  if (r.outcome == Outcome::kHit) {
    if (!want || r.value != *want) {
      if (s.wrong_values++ == 0) {
        s.first_error = "shard " + std::to_string(s.id) + ": " + key + " read " +
                        r.value.substr(0, 40) + " want " + (want ? want->substr(0, 40) : "<miss>");
      }
    } else {
      ++s.hits;
    }
    return;
  }
  if (r.outcome != Outcome::kMiss) {
    if (s.wrong_values++ == 0) {
      s.first_error = "shard " + std::to_string(s.id) + ": " + key + " outcome " +
                      std::to_string(static_cast<int>(r.outcome));
    }
    return;
  }
  if (want) {
    // Data is dropped only when counted as an eviction (promotion making room, a full tier).
    if (s.store->Stats().evictions.Get() == 0) {
      ++s.unexpected_misses;
    } else {
      ++s.misses_after_eviction;
    }
    model[key].reset();
  }
}

// One shard thread's workload: `ops` random commands over `keys`, checking every read.
void Workload(ShardSim& s, const std::vector<std::string>& keys, Model& model, Expiring& expiring,
              uint64_t seed, int ops) {
  std::mt19937_64 rnd(seed);
  uint64_t version = seed << 20;
  for (int op = 0; op < ops; ++op) {
    const std::string& key = keys[rnd() % keys.size()];
    const unsigned kind = static_cast<unsigned>(rnd() % 100);
    if (kind < 40) {  // set (overwrites of hot, writing and cold items alike)
      std::string value = ValueFor(key, ++version, 1024 + rnd() % (5 * 1024));
      Command set = Cmd(Op::kSet, key, value);
      set.exptime = rnd() % 10 == 0 ? 3 : 0;
      std::optional<Result> r = s.Run(set);
      if (r && r->outcome == Outcome::kStored) {
        model[key] = std::move(value);
        expiring[key] = set.exptime != 0;
      }
    } else if (kind < 80) {  // get (loads cold values, promotes them)
      std::optional<Result> r = s.Run(Cmd(Op::kGet, key));
      if (r) {
        CheckRead(s, model, key, *r);
      }
    } else if (kind < 88) {  // delete (erases records, races loads and write-backs)
      std::optional<Result> r = s.Run(Cmd(Op::kDelete, key));
      if (r) {
        model[key].reset();
      }
    } else if (kind < 94) {  // append (needs the value: a load when cold)
      const std::string tail = "+" + std::to_string(++version);
      std::optional<Result> r = s.Run(Cmd(Op::kAppend, key, tail));
      if (r && r->outcome == Outcome::kStored) {
        if (!model[key]) {
          if (s.wrong_values++ == 0) {
            s.first_error = "append stored on an absent key " + key;
          }
        } else {
          *model[key] += tail;
        }
      } else if (r && r->outcome == Outcome::kNotStored && model[key]) {
        // Only an eviction may have dropped it.
        if (s.store->Stats().evictions.Get() == 0) {
          ++s.unexpected_misses;
        }
        model[key].reset();
      }
    } else {  // touch: a cold record's exptime is rewritten on disk (never expires here)
      Command touch = Cmd(Op::kTouch, key);
      touch.exptime = 0;
      std::optional<Result> r = s.Run(touch);
      if (r && r->outcome == Outcome::kTouched) {
        expiring[key] = false;
      }
    }
    // The dispatcher polls between batches.
    if (op % 8 == 0) {
      s.store->PollCold();
    }
  }
}

std::shared_ptr<cold::ColdIo> OpenIo(const std::string& path) {
  cold::ColdIoOptions options;
  options.path = path;
  options.map_size_bytes = std::size_t{256} << 20;
  options.run_thread = true;
  options.reader_threads = 3;
  // Small enough that bursts of write-back fill it: refused submissions are part of the test.
  options.max_queued = 256;
  options.max_batch = 32;
  auto io = cold::ColdIo::Open(options);
  REQUIRE(io);
  return std::shared_ptr<cold::ColdIo>(std::move(*io));
}

void CheckShard(const ShardSim& s) {
  INFO("shard " << s.id << ": " << s.first_error);
  CHECK(s.stuck == 0);
  CHECK(s.over_limit == 0);
  CHECK(s.wrong_values == 0);
  CHECK(s.unexpected_misses == 0);
}

TEST_CASE("cold tier, real I/O thread: two shards' cycles through LMDB read the latest values") {
  TempDir dir;
  std::shared_ptr<cold::ColdIo> io = OpenIo(dir.path);
  std::vector<std::vector<std::string>> keys;
  std::vector<Model> models(kShards);
  std::vector<Expiring> expiring(kShards);
  for (uint32_t id = 0; id < kShards; ++id) {
    keys.push_back(KeysOf(id));
  }

  std::vector<std::unique_ptr<ShardSim>> shards;
  for (uint32_t id = 0; id < kShards; ++id) {
    shards.push_back(std::make_unique<ShardSim>(id, io, kStart));
  }
  // A stats reader, as the server's stats collector (atomics only).
  std::atomic<bool> done{false};
  std::thread stats_reader([&] {
    uint64_t sum = 0;
    while (!done.load()) {
      for (const auto& s : shards) {
        const ShardStats& st = s->store->Stats();
        sum += st.cold_items.Get() + st.cold_reads.Get() + st.evictions_to_disk.Get() +
               st.cold_writes_pending.Get();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    (void)sum;
  });

  // Phase 1: cycles.
  {
    std::vector<std::thread> threads;
    for (uint32_t id = 0; id < kShards; ++id) {
      threads.emplace_back([&, id] {
        Workload(*shards[id], keys[id], models[id], expiring[id], 1000 + id, kOpsPerShard);
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
  }
  uint64_t to_disk = 0;
  uint64_t promotions = 0;
  for (const auto& s : shards) {
    CheckShard(*s);
    to_disk += s->store->Stats().evictions_to_disk.Get();
    promotions += s->store->Stats().cold_promotions.Get();
    MESSAGE("shard " << s->id << ": hits " << s->hits << ", to disk "
                     << s->store->Stats().evictions_to_disk.Get() << ", cold reads "
                     << s->store->Stats().cold_reads.Get() << ", promotions "
                     << s->store->Stats().cold_promotions.Get() << ", evictions "
                     << s->store->Stats().evictions.Get() << ", misses after eviction "
                     << s->misses_after_eviction);
  }
  CHECK(to_disk > 500);  // the cycles really went through the tier
  CHECK(promotions > 200);
  uint64_t loads = 0;
  for (uint64_t n : io->LoadsPerReader()) {
    MESSAGE("reader loads " << n);
    loads += n;
  }
  CHECK(loads >= promotions);  // every promotion was a load run by the pool

  // Phase 2: shutdown flush on the shard threads, while the I/O thread runs.
  {
    std::vector<std::thread> threads;
    std::vector<int> flushed(kShards, 0);
    for (uint32_t id = 0; id < kShards; ++id) {
      threads.emplace_back([&, id] { flushed[id] = shards[id]->Flush() ? 1 : 0; });
    }
    for (std::thread& t : threads) {
      t.join();
    }
    for (uint32_t id = 0; id < kShards; ++id) {
      CHECK(flushed[id] == 1);
    }
  }
  done.store(true);
  stats_reader.join();
  shards.clear();  // detaches from the I/O thread
  std::size_t expired = 0;
  for (uint32_t id = 0; id < kShards; ++id) {
    for (const auto& [key, ttl] : expiring[id]) {
      if (ttl && models[id][key]) {
        models[id][key].reset();
        ++expired;
      }
    }
  }
  CHECK(expired > 0);

  // Phase 3: restart on the same, running, ColdIo. The new stores attach one after the other
  // while the I/O thread may still deliver the first one's start-up erases.
  for (uint32_t id = 0; id < kShards; ++id) {
    shards.push_back(std::make_unique<ShardSim>(id, io, kStart + 5));
  }
  {
    std::vector<std::thread> threads;
    for (uint32_t id = 0; id < kShards; ++id) {
      threads.emplace_back([&, id] {
        ShardSim& s = *shards[id];
        for (const std::string& key : keys[id]) {
          std::optional<Result> r = s.Run(Cmd(Op::kGet, key));
          if (r) {
            CheckRead(s, models[id], key, *r);
          }
        }
        // More cycles on the restored store.
        Workload(s, keys[id], models[id], expiring[id], 2000 + id, kOpsPerShard / 3);
      });
    }
    for (std::thread& t : threads) {
      t.join();
    }
  }
  for (const auto& s : shards) {
    CheckShard(*s);
  }
  shards.clear();
}

}  // namespace
}  // namespace corecached::shard
