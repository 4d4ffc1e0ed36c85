#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "core/stat_list.h"
#include "proto/request.h"

namespace corecached::net {

// PrefixStats: memcached's `stats detail` (memcached.c stats_prefix_*): per key prefix (the key up
// to its first ':', memcached's default -D), the gets, hits, sets and deletes seen while
// `stats detail on` is in effect. Keys without ':' are not counted, as in memcached.
//
// Owner: the Server; outlives the sessions. Thread: any (one mutex, held only to add numbers; only
// taken at all while detail is on, which costs the request path that lock, as in memcached).
class PrefixStats {
 public:
  // At most this many prefixes are kept (memcached keeps them all); later new ones are not counted.
  static constexpr std::size_t kMaxPrefixes = 4096;
  static constexpr char kDelimiter = ':';

  // Counts one executed text/meta/binary request's keys.
  void Record(const proto::Request& req, std::span<const core::Result> results);
  // "stats detail dump" rows: (prefix, "get N hit N set N del N"), sorted by prefix.
  [[nodiscard]] core::StatList Dump() const;
  void Clear();

 private:
  struct Counts {
    uint64_t get = 0;
    uint64_t hit = 0;
    uint64_t set = 0;
    uint64_t del = 0;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, Counts> by_prefix_;
};

}  // namespace corecached::net
