#pragma once

#include <atomic>
#include <cstdint>

namespace corecached::core {

// RuntimeSettings: the memcached settings that admin commands change while the server runs
// (verbosity, cache_memlimit, lru_crawler, slabs automove, lru tune/mode/temp_ttl, stats detail),
// as `stats settings` reports them. Most have no effect on corecached beyond that report: it has
// no slab mover, no segmented LRU and no crawler thread (man/corecached.8 "ADMIN COMMANDS" says
// which do what). Defaults are memcached 1.6.18's.
//
// Owner: the Server; outlives every network thread. Thread: any (atomics only, relaxed: each field
// stands alone, readers need no order between them).
struct RuntimeSettings {
  std::atomic<uint64_t> maxbytes{64ULL * 1024 * 1024};  // -m, then cache_memlimit
  std::atomic<uint32_t> verbosity{0};                   // -v, verbosity, SIGHUP
  std::atomic<bool> lru_crawler{true};
  std::atomic<uint32_t> lru_crawler_sleep_us{100};
  std::atomic<uint32_t> lru_crawler_tocrawl{0};
  std::atomic<uint32_t> slab_automove{1};
  std::atomic<double> slab_automove_ratio{0.8};
  std::atomic<uint32_t> hot_lru_pct{20};
  std::atomic<uint32_t> warm_lru_pct{40};
  std::atomic<double> hot_max_factor{0.2};
  std::atomic<double> warm_max_factor{2.0};
  std::atomic<bool> lru_segmented{true};
  std::atomic<bool> temp_lru{false};
  std::atomic<int64_t> temporary_ttl{61};
  std::atomic<bool> detail_enabled{false};
};

}  // namespace corecached::core
