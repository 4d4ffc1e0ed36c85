#include "server/stats_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "server/module_options.h"

namespace corecached::server {

namespace {

std::string Rusage(const timeval& tv) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

// Sums one ShardStats counter over every shard.
template <typename Field>
uint64_t SumShards(const StatsSources& s, Field field) {
  uint64_t total = 0;
  for (const shard::Shard* shard : s.shards) {
    total += (shard->stats().*field).Get();
  }
  return total;
}

template <typename Field>
uint64_t SumThreads(const StatsSources& s, Field field) {
  uint64_t total = 0;
  for (const net::NetworkThread* thread : s.threads) {
    total += (thread->stats().*field).Get();
  }
  return total;
}

void AddProcess(const StatsSources& s, core::StatList* out) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  out->emplace_back("pid", std::to_string(getpid()));
  out->emplace_back("uptime", std::to_string(s.now_seconds - s.started_seconds));
  out->emplace_back("time", std::to_string(s.now_seconds));
  out->emplace_back("version", kProtocolVersion);
  out->emplace_back("pointer_size", std::to_string(sizeof(void*) * 8));
  out->emplace_back("rusage_user", Rusage(usage.ru_utime));
  out->emplace_back("rusage_system", Rusage(usage.ru_stime));
  out->emplace_back("max_connections", std::to_string(s.config->max_connections));
  out->emplace_back("curr_connections", std::to_string(s.gate->open.load()));
  out->emplace_back("total_connections", std::to_string(s.gate->accepted.load()));
  out->emplace_back("rejected_connections", std::to_string(s.gate->rejected.load()));
}

void AddCommands(const StatsSources& s, core::StatList* out) {
  using S = shard::ShardStats;
  const std::pair<const char*, core::RelaxedCounter S::*> fields[] = {
      {"cmd_get", &S::cmd_get},           {"cmd_set", &S::cmd_set},
      {"cmd_flush", &S::cmd_flush},       {"cmd_touch", &S::cmd_touch},
      {"get_hits", &S::get_hits},         {"get_misses", &S::get_misses},
      {"get_expired", &S::get_expired},   {"get_flushed", &S::get_flushed},
      {"delete_misses", &S::delete_misses}, {"delete_hits", &S::delete_hits},
      {"incr_misses", &S::incr_misses},   {"incr_hits", &S::incr_hits},
      {"decr_misses", &S::decr_misses},   {"decr_hits", &S::decr_hits},
      {"cas_misses", &S::cas_misses},     {"cas_hits", &S::cas_hits},
      {"cas_badval", &S::cas_badval},     {"touch_hits", &S::touch_hits},
      {"touch_misses", &S::touch_misses},
  };
  for (const auto& [name, field] : fields) {
    out->emplace_back(name, std::to_string(SumShards(s, field)));
  }
}

// Backpressure (issue #6): sheds in total, then each shard's queue depth and sheds.
void AddBackpressure(const StatsSources& s, core::StatList* out) {
  uint64_t shed = 0;
  for (const shard::Shard* shard : s.shards) {
    shed += shard->shed_requests();
  }
  out->emplace_back("shed_requests", std::to_string(shed));
  for (const shard::Shard* shard : s.shards) {
    const std::string prefix = "shard_" + std::to_string(shard->id()) + "_";
    out->emplace_back(prefix + "queue_depth", std::to_string(shard->QueueDepth()));
    out->emplace_back(prefix + "shed_requests", std::to_string(shard->shed_requests()));
  }
}

void AddTraffic(const StatsSources& s, core::StatList* out) {
  using N = net::NetStats;
  out->emplace_back("bytes_read", std::to_string(SumThreads(s, &N::bytes_read)));
  out->emplace_back("bytes_written", std::to_string(SumThreads(s, &N::bytes_written)));
  out->emplace_back("limit_maxbytes",
                    std::to_string(static_cast<uint64_t>(s.config->memory_limit_mb) * config::kMiB));
  out->emplace_back("accepting_conns", "1");
  out->emplace_back("threads", std::to_string(s.config->network_threads));
  out->emplace_back("conn_yields", std::to_string(SumThreads(s, &N::conn_yields)));
  out->emplace_back("idle_kicks", std::to_string(SumThreads(s, &N::idle_kicks)));
  out->emplace_back("shards", std::to_string(s.shards.size()));
  AddBackpressure(s, out);
}

void AddItems(const StatsSources& s, core::StatList* out) {
  using S = shard::ShardStats;
  out->emplace_back("bytes", std::to_string(SumShards(s, &S::bytes)));
  out->emplace_back("curr_items", std::to_string(SumShards(s, &S::curr_items)));
  out->emplace_back("total_items", std::to_string(SumShards(s, &S::total_items)));
  out->emplace_back("expired_unfetched", std::to_string(SumShards(s, &S::expired_unfetched)));
  out->emplace_back("evicted_unfetched", std::to_string(SumShards(s, &S::evicted_unfetched)));
  out->emplace_back("evictions", std::to_string(SumShards(s, &S::evictions)));
  out->emplace_back("reclaimed", std::to_string(SumShards(s, &S::reclaimed)));
}

core::StatList Settings(const StatsSources& s) {
  const config::Config& c = *s.config;
  core::StatList out;
  out.emplace_back("maxbytes", std::to_string(static_cast<uint64_t>(c.memory_limit_mb) * config::kMiB));
  out.emplace_back("maxconns", std::to_string(c.max_connections));
  out.emplace_back("tcpport", std::to_string(s.port));
  out.emplace_back("udpport", std::to_string(c.udp_port));
  out.emplace_back("inter", c.listen);
  out.emplace_back("verbosity", std::to_string(c.verbosity));
  out.emplace_back("evictions", "on");
  out.emplace_back("shutdown_command", c.enable_shutdown ? "yes" : "no");
  out.emplace_back("num_threads", std::to_string(c.network_threads));
  out.emplace_back("cas_enabled", "yes");
  out.emplace_back("tcp_backlog", "1024");
  out.emplace_back("binding_protocol", "auto-negotiate");
  out.emplace_back("item_size_max", std::to_string(c.max_item_size_bytes));
  out.emplace_back("idle_timeout", std::to_string(c.idle_timeout_s));
  out.emplace_back("num_shards", std::to_string(s.shards.size()));
  return out;
}

}  // namespace

std::optional<core::StatList> CollectStats(const StatsSources& sources, std::string_view group) {
  if (group == "settings") {
    return Settings(sources);
  }
  if (!group.empty()) {
    return std::nullopt;
  }
  core::StatList out;
  AddProcess(sources, &out);
  AddCommands(sources, &out);
  AddTraffic(sources, &out);
  AddItems(sources, &out);
  return out;
}

}  // namespace corecached::server
