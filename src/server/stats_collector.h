#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "config/config.h"
#include "core/runtime_settings.h"
#include "core/size_classes.h"
#include "core/stat_list.h"
#include "core/watch_log.h"
#include "metrics/snapshot.h"
#include "net/net_stats.h"
#include "net/network_thread.h"
#include "net/prefix_stats.h"
#include "net/tls_context.h"
#include "shard/shard.h"

namespace corecached::server {

// What `stats` reads. Every figure is an atomic written by its owning thread (shards, network
// threads, the listener), so collecting is lock-free and never touches a shard's data.
class StatsBaseline;

struct StatsSources {
  const config::Config* config = nullptr;
  std::span<const shard::Shard* const> shards;
  std::span<const net::NetworkThread* const> threads;
  const net::ConnectionGate* gate = nullptr;
  const net::TlsContext* tls = nullptr;  // -Z; null without TLS
  int64_t started_seconds = 0;
  int64_t now_seconds = 0;
  int port = 0;
  // Live values that SIGHUP may change (the Config above is the start-up one).
  uint32_t max_connections = 0;
  config::LogLevel log_level = config::LogLevel::kInfo;
  // What admin commands change (verbosity, cache_memlimit, ...), and the size classes items are
  // reported in (memcached's -f and -n).
  core::RuntimeSettings* runtime = nullptr;
  const core::SizeClasses* classes = nullptr;
  double growth_factor = 1.25;
  uint32_t chunk_size = 48;
  // `stats reset` records here; every reply subtracts it. Null: no reset support.
  StatsBaseline* baseline = nullptr;
  net::PrefixStats* prefix_stats = nullptr;  // `stats detail dump`; cleared by `stats reset`
  const core::WatchHub* watch = nullptr;     // `watch`: memcached's log_* counters
};

// Builds the reply to `stats <group>` with memcached 1.6's field names and order for the fields we
// have ("" = general stats, "settings", "items", "slabs", "sizes"; "reset" and "detail on|off|dump"
// act and answer an empty list). An unknown group yields nullopt.
// Thread: any.
[[nodiscard]] std::optional<core::StatList> CollectStats(const StatsSources& sources,
                                                         std::string_view group);

// Builds one metrics scrape: the same counters with Prometheus names (listed in man/corecached.8
// "METRICS"), per-shard figures labelled shard="N", and the per-thread latency histograms folded.
// Thread: any (the exposer's HTTP thread).
[[nodiscard]] metrics::Snapshot CollectSnapshot(const StatsSources& sources);

}  // namespace corecached::server
