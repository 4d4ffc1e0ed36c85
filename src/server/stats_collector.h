#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "config/config.h"
#include "core/stat_list.h"
#include "metrics/snapshot.h"
#include "net/net_stats.h"
#include "net/network_thread.h"
#include "net/tls_context.h"
#include "shard/shard.h"

namespace corecached::server {

// What `stats` reads. Every figure is an atomic written by its owning thread (shards, network
// threads, the listener), so collecting is lock-free and never touches a shard's data.
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
  uint32_t verbosity = 0;
  config::LogLevel log_level = config::LogLevel::kInfo;
};

// Builds the reply to `stats <group>` with memcached 1.6's field names and order for the fields we
// have ("" = general stats, "settings"). An unknown group yields nullopt.
// Thread: any.
[[nodiscard]] std::optional<core::StatList> CollectStats(const StatsSources& sources,
                                                         std::string_view group);

// Builds one metrics scrape: the same counters with Prometheus names (listed in man/corecached.8
// "METRICS"), per-shard figures labelled shard="N", and the per-thread latency histograms folded.
// Thread: any (the exposer's HTTP thread).
[[nodiscard]] metrics::Snapshot CollectSnapshot(const StatsSources& sources);

}  // namespace corecached::server
