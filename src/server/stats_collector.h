#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "config/config.h"
#include "core/stat_list.h"
#include "net/net_stats.h"
#include "net/network_thread.h"
#include "shard/shard.h"

namespace corecached::server {

// What `stats` reads. Every figure is an atomic written by its owning thread (shards, network
// threads, the listener), so collecting is lock-free and never touches a shard's data.
struct StatsSources {
  const config::Config* config = nullptr;
  std::span<const shard::Shard* const> shards;
  std::span<const net::NetworkThread* const> threads;
  const net::ConnectionGate* gate = nullptr;
  int64_t started_seconds = 0;
  int64_t now_seconds = 0;
  int port = 0;
};

// Builds the reply to `stats <group>` with memcached 1.6's field names and order for the fields we
// have ("" = general stats, "settings"). An unknown group yields nullopt.
// Thread: any.
[[nodiscard]] std::optional<core::StatList> CollectStats(const StatsSources& sources, std::string_view group);

}  // namespace corecached::server
