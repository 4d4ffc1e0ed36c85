#include "core/watch_log.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

namespace corecached::core {

namespace {
// Renders the key and the gid only, so the tests can see order and filtering.
void Format(const WatchEvent& e, std::string_view key, std::string* out) {
  *out += std::string(key) + ":" + std::to_string(e.gid) + "\n";
}

std::size_t CollectOnce(WatchHub* hub) {
  const std::atomic<bool> running{true};
  return hub->Collect(&Format, "skipped=", running);
}
}  // namespace

TEST_CASE("WatchRing: whole records in order, refused whole when full, wrapping") {
  WatchRing ring(16);
  CHECK(ring.Push("abcd", "efgh"));
  CHECK(ring.Push("ijkl", ""));
  CHECK_FALSE(ring.Push("mnopq", ""));  // 12 used, 4 free: refused, nothing written
  std::string out;
  CHECK(ring.PopAll(&out) == 12);
  CHECK(out == "abcdefghijkl");
  for (int i = 0; i < 10; ++i) {  // crosses the end of the buffer many times
    CHECK(ring.Push("0123456", "89"));
    out.clear();
    ring.PopAll(&out);
    CHECK(out == "012345689");
  }
  CHECK(ring.Free() == 16);
}

TEST_CASE("WatchHub: nothing is wanted without watchers; streams follow the watchers") {
  WatchHub hub;
  CHECK(hub.Streams() == 0);
  WatchHub::Watcher* a = hub.AddWatcher(kWatchFetchers);
  WatchHub::Watcher* b = hub.AddWatcher(kWatchMutations | kWatchEvictions);
  CHECK(hub.Wants(kWatchFetchers));
  CHECK(hub.Wants(kWatchEvictions));
  CHECK_FALSE(hub.Wants(kWatchConnEvents));
  hub.RemoveWatcher(a);
  CHECK_FALSE(hub.Wants(kWatchFetchers));
  hub.RemoveWatcher(b);
  CHECK(hub.Streams() == 0);
  CHECK(hub.Stats().watchers == 0);
}

TEST_CASE("WatchHub: at most 20 watchers, as memcached") {
  WatchHub hub;
  WatchHub::Watcher* watchers[WatchHub::kMaxWatchers];
  for (auto& w : watchers) {
    w = hub.AddWatcher(kWatchFetchers);
    REQUIRE(w != nullptr);
  }
  CHECK(hub.AddWatcher(kWatchFetchers) == nullptr);
  hub.RemoveWatcher(watchers[3]);
  CHECK(hub.AddWatcher(kWatchFetchers) != nullptr);
}

TEST_CASE("WatchHub: each watcher gets its streams, only events after it attached") {
  WatchHub hub;
  hub.Log(kWatchFetchers, WatchEvent{}, "before");  // no watcher: dropped by the collector
  WatchHub::Watcher* fetch = hub.AddWatcher(kWatchFetchers);
  hub.Log(kWatchFetchers, WatchEvent{}, "get1");
  WatchHub::Watcher* both = hub.AddWatcher(kWatchFetchers | kWatchMutations);
  hub.Log(kWatchMutations, WatchEvent{}, "set1");
  hub.Log(kWatchFetchers, WatchEvent{}, "get2");
  CHECK(CollectOnce(&hub) == 4);
  std::string a;
  std::string b;
  hub.Take(fetch, &a);
  hub.Take(both, &b);
  CHECK(a == "get1:2\nget2:4\n");
  CHECK(b == "set1:3\nget2:4\n");
  CHECK(hub.Stats().watcher_sent == 4);
}

TEST_CASE("WatchHub: a slow watcher skips lines and is told how many") {
  WatchHub hub;
  WatchHub::Watcher* w = hub.AddWatcher(kWatchFetchers);
  const std::string key(200, 'k');
  // 256 KiB of watcher ring holds about 1260 lines of 208 bytes; thread rings hold 64 KiB, so
  // log and collect in rounds.
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 100; ++i) {
      hub.Log(kWatchFetchers, WatchEvent{}, key);
    }
    CollectOnce(&hub);
  }
  const uint64_t skipped = hub.Stats().watcher_skipped;
  CHECK(skipped > 0);
  std::string out;
  hub.Take(w, &out);  // the watcher catches up
  hub.Log(kWatchFetchers, WatchEvent{}, "next");
  CollectOnce(&hub);
  out.clear();
  hub.Take(w, &out);
  CHECK(out.rfind("skipped=" + std::to_string(skipped) + "\n", 0) == 0);
  CHECK(out.find("next:") != std::string::npos);
}

TEST_CASE("WatchHub: a full thread ring drops events and counts them") {
  WatchHub hub;
  hub.AddWatcher(kWatchFetchers);
  const std::string key(250, 'k');
  for (int i = 0; i < 1000; ++i) {  // 1000 x ~350 bytes > 64 KiB
    hub.Log(kWatchFetchers, WatchEvent{}, key);
  }
  const WatchHub::Counters c = hub.Stats();
  CHECK(c.worker_dropped > 0);
  CHECK(c.worker_written + c.worker_dropped == 1000);
}

TEST_CASE("WatchHub: events from several threads reach the watcher") {
  WatchHub hub;
  WatchHub::Watcher* w = hub.AddWatcher(kWatchMutations);
  constexpr int kPerThread = 100;
  std::thread t1([&] {
    for (int i = 0; i < kPerThread; ++i) {
      hub.Log(kWatchMutations, WatchEvent{}, "one");
    }
  });
  std::thread t2([&] {
    for (int i = 0; i < kPerThread; ++i) {
      hub.Log(kWatchMutations, WatchEvent{}, "two");
    }
  });
  t1.join();
  t2.join();
  CHECK(CollectOnce(&hub) == 2 * kPerThread);
  std::string out;
  hub.Take(w, &out);
  CHECK(std::count(out.begin(), out.end(), '\n') == 2 * kPerThread);
}

TEST_CASE("WatchHub: the collector drains while threads log (lock-free rings, TSan)") {
  WatchHub hub;
  WatchHub::Watcher* w = hub.AddWatcher(kWatchFetchers);
  constexpr int kPerThread = 2000;
  std::atomic<bool> running{true};
  std::atomic<int> done{0};
  std::string out;
  std::thread collector([&] {
    for (int pass = 0; pass < 10'000'000 && done.load() < 2; ++pass) {  // bounded
      hub.Collect(&Format, "skipped=", running);
      hub.Take(w, &out);
    }
    hub.Collect(&Format, "skipped=", running);  // what was logged after the last pass
    hub.Take(w, &out);
  });
  auto produce = [&](const char* key) {
    for (int i = 0; i < kPerThread; ++i) {
      hub.Log(kWatchFetchers, WatchEvent{}, key);
    }
    done.fetch_add(1);
  };
  std::thread p1(produce, "one");
  std::thread p2(produce, "two");
  p1.join();
  p2.join();
  collector.join();
  const WatchHub::Counters c = hub.Stats();
  CHECK(c.worker_written + c.worker_dropped == 2 * kPerThread);
  CHECK(c.worker_written > 0);
  std::size_t lines = 0;
  std::size_t pos = 0;
  for (std::size_t end = out.find('\n'); end != std::string::npos; end = out.find('\n', pos)) {
    if (out.compare(pos, 8, "skipped=") != 0) {
      ++lines;
    }
    pos = end + 1;
  }
  CHECK(lines == c.watcher_sent);
  CHECK(c.watcher_sent == c.worker_written);  // 256 KiB of watcher ring: nothing skipped
}

}  // namespace corecached::core
