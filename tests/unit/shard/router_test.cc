#include "shard/router.h"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/fiber/all.hpp>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../test_commands.h"
#include "core/clock.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"
#include "shard/shard.h"

// The per-turn cross-thread exchange (issue #10) with real threads: each std::thread plays a
// network thread hosting one Shard (its hook in the scheduler, its exchange fiber running), and
// its fibers play connections with a Router each. Every loop is bounded; a lost wake-up hangs the
// test until meson's timeout instead of passing. Built and run in the TSan stage
// (tests/run_all.sh, suite `threads`).

namespace corecached::shard {
namespace {

ShardOptions SmallShard() {
  ShardOptions options;
  options.store.memory_limit_bytes = 16 << 20;
  options.store.max_item_size = 1 << 20;
  options.channel_capacity = 64;
  // These tests check delivery, not shedding (backpressure_test.cc does that): under TSan's
  // slowdown the default 100 ms delay bound would shed some commands with kBusy.
  options.backpressure.max_queue_depth = 0;
  options.backpressure.max_queue_delay_us = 0;
  return options;
}

// N shards wired together as the Server wires them.
struct Cluster {
  explicit Cluster(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      shards.push_back(std::make_unique<Shard>(static_cast<ShardId>(i), SmallShard(), n, clock, 0));
      ptrs.push_back(shards.back().get());
    }
    live.store(n);
    for (auto& s : shards) {
      s->Connect(ptrs, &live);
    }
  }
  core::ManualClock clock;
  std::atomic<std::size_t> live{0};
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<Shard*> ptrs;
};

// One "network thread": hosts shard `t`, runs `fibers` connection fibers with `body`, then drains
// the way NetworkThread does (ConnectionsDrained, join the exchange fiber).
void HostThread(Cluster* cluster, std::size_t t, int fibers,
                const std::function<void(Router&, int fiber)>& body) {
  Shard* home = cluster->ptrs[t];
  runtime::EventBasePtr base = runtime::NewEventBase();
  boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(
      base.get(), home->Wake(), std::chrono::microseconds(0), home);
  boost::fibers::fiber exchange([home] { home->Run(); });
  std::vector<boost::fibers::fiber> running;
  for (int f = 0; f < fibers; ++f) {
    running.emplace_back([&, f] {
      Router router(home, cluster->ptrs.size());
      body(router, f);
    });
  }
  for (auto& fiber : running) {
    fiber.join();
  }
  home->ConnectionsDrained();
  exchange.join();
}

}  // namespace

TEST_CASE("Router: fibers on three threads set and multi-get keys of every shard") {
  Cluster cluster(3);
  std::atomic<int> errors{0};
  constexpr int kFibers = 6;
  constexpr int kRounds = 150;
  auto body = [&](std::size_t t) {
    return [&, t](Router& router, int f) {
      for (int r = 0; r < kRounds; ++r) {
        // Keys of this round spread over all shards: some run inline, some travel.
        std::vector<std::string> keys;
        for (int k = 0; k < 4; ++k) {
          keys.push_back("t" + std::to_string(t) + "f" + std::to_string(f) + "r" +
                         std::to_string(r) + "k" + std::to_string(k));
        }
        std::vector<Router::Slot> sets;
        for (const std::string& key : keys) {
          sets.push_back(router.Add(test::Cmd(core::Op::kSet, key, "v" + key)));
        }
        router.ExecuteRound();
        for (Router::Slot slot : sets) {
          errors.fetch_add(router.ResultAt(slot).outcome == core::Outcome::kStored ? 0 : 1);
        }
        router.Reset();
        // A multi-key get comes back in key order, a miss in the middle.
        std::vector<Router::Slot> gets;
        for (const std::string& key : keys) {
          gets.push_back(router.Add(test::Cmd(core::Op::kGet, key)));
        }
        Router::Slot miss = router.Add(test::Cmd(core::Op::kGet, keys[0] + "-missing"));
        router.ExecuteRound();
        for (std::size_t i = 0; i < keys.size(); ++i) {
          const core::Result& got = router.ResultAt(gets[i]);
          errors.fetch_add(got.outcome == core::Outcome::kHit && got.value == "v" + keys[i] ? 0
                                                                                            : 1);
        }
        errors.fetch_add(router.ResultAt(miss).outcome == core::Outcome::kMiss ? 0 : 1);
        router.Reset();
      }
    };
  };
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 3; ++t) {
    threads.emplace_back(HostThread, &cluster, t, kFibers, body(t));
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(errors.load() == 0);
  uint64_t items = 0;
  for (auto& s : cluster.shards) {
    CHECK(s->Stats().curr_items.Get() > 0);  // keys spread over every shard
    items += s->Stats().curr_items.Get();
    CHECK(s->QueueDepth() == 0);
  }
  CHECK(items == 3 * kFibers * kRounds * 4);
}

TEST_CASE("Router: flush_all broadcasts to every shard, across threads") {
  Cluster cluster(2);
  std::atomic<int> errors{0};
  std::atomic<int> phase{0};
  // Thread 0 stores and flushes; thread 1 only hosts its shard (and waits for thread 0's turns).
  std::thread t0(HostThread, &cluster, 0, 1, [&](Router& router, int) {
    for (int i = 0; i < 50; ++i) {
      router.Add(test::Cmd(core::Op::kSet, "k" + std::to_string(i), "v"));
    }
    router.ExecuteRound();
    router.Reset();
    std::vector<Router::Slot> slots;
    router.Broadcast(test::Cmd(core::Op::kFlushAll, ""), &slots);
    errors.fetch_add(slots.size() == 2 ? 0 : 1);
    router.ExecuteRound();
    for (Router::Slot slot : slots) {
      errors.fetch_add(router.ResultAt(slot).outcome == core::Outcome::kOk ? 0 : 1);
    }
    router.Reset();
    std::vector<Router::Slot> gets;
    for (int i = 0; i < 50; ++i) {
      gets.push_back(router.Add(test::Cmd(core::Op::kGet, "k" + std::to_string(i))));
    }
    router.ExecuteRound();
    for (Router::Slot slot : gets) {  // every key on both shards is gone
      errors.fetch_add(router.ResultAt(slot).outcome == core::Outcome::kMiss ? 0 : 1);
    }
    phase.store(1);
  });
  std::thread t1(HostThread, &cluster, 1, 0, [](Router&, int) {});
  t0.join();
  t1.join();
  CHECK(errors.load() == 0);
  CHECK(phase.load() == 1);
  CHECK(cluster.shards[0]->Stats().curr_items.Get() == 0);
  CHECK(cluster.shards[1]->Stats().curr_items.Get() == 0);
}

}  // namespace corecached::shard
