#pragma once

// The Store with a real cold tier (LMDB in a temp directory), for unit tests. ColdIo runs without
// its thread, so each test decides when the I/O happens and in which order completions meet
// commands. Shared by tests/unit/cold/cold_tier_store_test.cc and
// tests/unit/shard/store_cold_test.cc.

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include "cold/cold_io.h"
#include "core/clock.h"
#include "shard/store.h"
#include "test_commands.h"

namespace corecached::test {

constexpr int64_t kStart = 1'700'000'000;

inline std::string ValueFor(int i) { return std::string(20000, static_cast<char>('a' + i % 26)); }

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cold_store_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

// max_batch: requests per RunQueued round (the writer's round size).
inline std::shared_ptr<cold::ColdIo> OpenIo(
    const std::string& path, std::size_t max_queued = 16384, bool inline_loads = false,
    std::size_t max_batch = cold::ColdIoOptions{}.max_batch) {
  cold::ColdIoOptions options;
  options.max_batch = max_batch;
  options.path = path;
  options.map_size_bytes = 64 << 20;
  options.run_thread = false;
  options.max_queued = max_queued;
  options.inline_loads = inline_loads;
  auto io = cold::ColdIo::Open(options);
  REQUIRE(io);
  return std::shared_ptr<cold::ColdIo>(std::move(*io));
}

inline shard::StoreOptions ColdOptions(std::shared_ptr<cold::ColdIo> io) {
  shard::StoreOptions options;
  options.memory_limit_bytes = 1 << 20;
  options.cold = std::move(io);
  return options;
}

struct ColdFixture {
  // batch_loads: as the server's shards, loads wait for SubmitColdLoads (RunIo calls it first,
  // as a loop turn ends before the thread waits).
  explicit ColdFixture(std::shared_ptr<cold::ColdIo> shared_io, int64_t start = kStart,
                       bool batch_loads = false)
      : io(shared_io), clock(start), store(ColdOptions(std::move(shared_io)), clock, start) {
    store.AttachCold(nullptr, batch_loads);
  }
  // With options of the test's own (options.cold set, e.g. from ColdOptions).
  explicit ColdFixture(shard::StoreOptions options, int64_t start = kStart)
      : io(options.cold), clock(start), store(std::move(options), clock, start) {
    store.AttachCold(nullptr, false);
  }
  std::shared_ptr<cold::ColdIo> io;
  core::ManualClock clock;
  shard::Store store;

  void RunIo() {
    store.SubmitColdLoads();
    while (io->RunQueued() != 0) {
    }
    store.PollCold();
  }
  // As a shard's waiting fiber does: run again after each round of I/O.
  core::Result Run(const core::Command& cmd) {
    core::Result r;
    for (int i = 0; i < 100; ++i) {
      r = store.Execute(cmd);
      CHECK(store.MemoryUsedBytes() <= store.MemoryLimitBytes());
      if (!store.MustWait(r)) {
        return r;
      }
      RunIo();
    }
    return r;
  }
  void Fill(int n) {
    for (int i = 0; i < n; ++i) {
      CHECK(Run(Cmd(core::Op::kSet, "k" + std::to_string(i), ValueFor(i))).outcome ==
            core::Outcome::kStored);
    }
    RunIo();
  }
  std::string Value(const std::string& key) {
    core::Result r = Run(Cmd(core::Op::kGet, key));
    return r.outcome == core::Outcome::kHit ? r.value : "<miss>";
  }
};

}  // namespace corecached::test
