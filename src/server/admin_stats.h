#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/stat_list.h"

namespace corecached::server {

struct StatsSources;

// memcached's `stats settings`, `stats items`, `stats slabs` and `stats sizes`, with its field
// names and order (memcached 1.6.18 memcached.c process_stat_settings, items.c do_item_stats,
// slabs.c do_slabs_stats). Size classes are synthesized (core/size_classes.h); man/corecached.8
// "STATISTICS" says what each figure is here. Thread: any (atomics only).
[[nodiscard]] core::StatList SettingsStats(const StatsSources& s);
[[nodiscard]] core::StatList ItemsStats(const StatsSources& s);
[[nodiscard]] core::StatList SlabsStats(const StatsSources& s);
[[nodiscard]] core::StatList SizesStats(const StatsSources& s);
// The general `stats` reply: memcached's keys in memcached's order (taking our value where we have
// the key, memcached's idle value where we have no such figure), then corecached's own keys.
[[nodiscard]] core::StatList InMemcachedOrder(const core::StatList& ours);

// StatsBaseline implements `stats reset`: the counters it resets are remembered at reset time and
// subtracted when reported, so no thread's counter is ever written by another thread (the counters
// have one writer each). Gauges (curr_items, bytes, number, ...) are never reset, as in memcached.
//
// Owner: the Server. Thread: any (one mutex, held only while copying numbers).
class StatsBaseline {
 public:
  // Remembers every resettable counter of `stats`.
  void Record(const core::StatList& stats);
  // Subtracts the remembered values from the resettable counters of `stats`.
  void Apply(core::StatList* stats) const;

 private:
  static bool Resettable(const std::string& name);
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint64_t> base_;
};

}  // namespace corecached::server
