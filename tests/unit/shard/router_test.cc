#include "shard/router.h"

#include <doctest/doctest.h>

#include <atomic>
#include <boost/fiber/all.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../test_commands.h"
#include "core/clock.h"
#include "runtime/event_base.h"
#include "runtime/fiber_scheduler.h"
#include "shard/shard.h"

namespace corecached::shard {
namespace {

ShardOptions SmallShard() {
  ShardOptions options;
  options.store.memory_limit_bytes = 16 << 20;
  options.store.max_item_size = 1 << 20;
  options.channel_capacity = 64;
  // These tests check delivery, not shedding (backpressure_test.cc does that): under TSan's
  // slowdown the default 100 ms delay bound would shed some batches with kBusy.
  options.backpressure.max_queue_depth = 0;
  options.backpressure.max_queue_delay_us = 0;
  return options;
}

// One "network thread": a LoopScheduler and `fibers` fibers, each with its own Router, doing
// `rounds` set-then-multi-get rounds. Counts every wrong answer in `errors`.
void ProducerThread(std::vector<Shard*> shards, std::size_t producer, int fibers, int rounds,
                    std::atomic<int>* errors) {
  runtime::EventBasePtr base = runtime::NewEventBase();
  runtime::Waker waker;
  boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(base.get(), &waker);
  std::vector<boost::fibers::fiber> running;
  for (int f = 0; f < fibers; ++f) {
    running.emplace_back([&, f] {
      Router router(shards, producer);
      for (int r = 0; r < rounds; ++r) {
        std::string key =
            "p" + std::to_string(producer) + "f" + std::to_string(f) + "r" + std::to_string(r);
        Router::Slot set = router.Add(test::Cmd(core::Op::kSet, key, "v" + key));
        router.ExecuteRound();
        if (router.ResultAt(set).outcome != core::Outcome::kStored) {
          errors->fetch_add(1);
        }
        router.Reset();
        // A multi-key get across shards comes back in key order.
        Router::Slot miss = router.Add(test::Cmd(core::Op::kGet, key + "-missing"));
        Router::Slot hit = router.Add(test::Cmd(core::Op::kGet, key));
        router.ExecuteRound();
        if (router.ResultAt(miss).outcome != core::Outcome::kMiss ||
            router.ResultAt(hit).outcome != core::Outcome::kHit ||
            router.ResultAt(hit).value != "v" + key) {
          errors->fetch_add(1);
        }
        router.Reset();
      }
    });
  }
  for (auto& fiber : running) {
    fiber.join();
  }
}

}  // namespace

TEST_CASE("Router: fibers on two network threads round-trip through two shards") {
  core::ManualClock clock;
  Shard s0(0, SmallShard(), 2, clock, 0);
  Shard s1(1, SmallShard(), 2, clock, 0);
  s0.Start();
  s1.Start();
  std::vector<Shard*> shards{&s0, &s1};
  std::atomic<int> errors{0};
  // Bounded: 2 threads x 8 fibers x 300 rounds x 2 hops. Shards fall asleep between rounds often,
  // so a lost wake-up would hang here (meson's timeout) rather than pass.
  std::thread t0(ProducerThread, shards, 0, 8, 300, &errors);
  std::thread t1(ProducerThread, shards, 1, 8, 300, &errors);
  t0.join();
  t1.join();
  CHECK(errors.load() == 0);
  CHECK(s0.Stats().curr_items.Get() + s1.Stats().curr_items.Get() == 2 * 8 * 300);
  // Keys spread over both shards.
  CHECK(s0.Stats().curr_items.Get() > 0);
  CHECK(s1.Stats().curr_items.Get() > 0);
  s0.Stop();
  s1.Stop();
}

TEST_CASE("Router: flush_all broadcasts to every shard") {
  core::ManualClock clock;
  Shard s0(0, SmallShard(), 1, clock, 0);
  Shard s1(1, SmallShard(), 1, clock, 0);
  s0.Start();
  s1.Start();
  std::vector<Shard*> shards{&s0, &s1};
  std::thread t([&] {
    runtime::EventBasePtr base = runtime::NewEventBase();
    runtime::Waker waker;
    boost::fibers::use_scheduling_algorithm<runtime::LoopScheduler>(base.get(), &waker);
    boost::fibers::fiber([&] {
      Router router(shards, 0);
      for (int i = 0; i < 50; ++i) {
        router.Add(test::Cmd(core::Op::kSet, "k" + std::to_string(i), "v"));
      }
      router.ExecuteRound();
      router.Reset();
      std::vector<Router::Slot> slots;
      router.Broadcast(test::Cmd(core::Op::kFlushAll, ""), &slots);
      CHECK(slots.size() == 2);
      router.ExecuteRound();
      for (Router::Slot slot : slots) {
        CHECK(router.ResultAt(slot).outcome == core::Outcome::kOk);
      }
      router.Reset();
      Router::Slot get = router.Add(test::Cmd(core::Op::kGet, "k7"));
      router.ExecuteRound();
      CHECK(router.ResultAt(get).outcome == core::Outcome::kMiss);
    }).join();
  });
  t.join();
  s0.Stop();
  s1.Stop();
}

}  // namespace corecached::shard
