#include "server/stats_collector.h"

#include <event2/event.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <string>
#include <tuple>
#include <utility>

#include "config/units.h"
#include "server/admin_stats.h"
#include "server/module_options.h"

namespace corecached::server {

namespace {

std::string Rusage(const timeval& tv) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

std::string FormatRatio(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", value);
  return buf;
}

// Sums one ShardStats counter over every shard.
template <typename Field>
uint64_t SumShards(const StatsSources& s, Field field) {
  uint64_t total = 0;
  for (const shard::Shard* shard : s.shards) {
    total += (shard->Stats().*field).Get();
  }
  return total;
}

template <typename Field>
uint64_t SumThreads(const StatsSources& s, Field field) {
  uint64_t total = 0;
  for (const net::NetworkThread* thread : s.threads) {
    total += (thread->Stats().*field).Get();
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
  out->emplace_back("libevent", event_get_version());
  out->emplace_back("pointer_size", std::to_string(sizeof(void*) * 8));
  out->emplace_back("rusage_user", Rusage(usage.ru_utime));
  out->emplace_back("rusage_system", Rusage(usage.ru_stime));
  out->emplace_back("max_connections", std::to_string(s.max_connections));
  out->emplace_back("curr_connections", std::to_string(s.gate->open.load()));
  out->emplace_back("total_connections", std::to_string(s.gate->accepted.load()));
  out->emplace_back("rejected_connections", std::to_string(s.gate->rejected.load()));
  out->emplace_back("connection_structures", std::to_string(s.gate->open.load()));
}

void AddCommands(const StatsSources& s, core::StatList* out) {
  using S = shard::ShardStats;
  const std::pair<const char*, core::RelaxedCounter S::*> fields[] = {
      {"cmd_get", &S::cmd_get},
      {"cmd_set", &S::cmd_set},
      {"cmd_flush", &S::cmd_flush},
      {"cmd_touch", &S::cmd_touch},
      {"get_hits", &S::get_hits},
      {"get_misses", &S::get_misses},
      {"get_expired", &S::get_expired},
      {"get_flushed", &S::get_flushed},
      {"delete_misses", &S::delete_misses},
      {"delete_hits", &S::delete_hits},
      {"incr_misses", &S::incr_misses},
      {"incr_hits", &S::incr_hits},
      {"decr_misses", &S::decr_misses},
      {"decr_hits", &S::decr_hits},
      {"cas_misses", &S::cas_misses},
      {"cas_hits", &S::cas_hits},
      {"cas_badval", &S::cas_badval},
      {"touch_hits", &S::touch_hits},
      {"touch_misses", &S::touch_misses},
      {"store_too_large", &S::store_too_large},
      {"store_no_memory", &S::store_no_memory},
  };
  for (const auto& [name, field] : fields) {
    uint64_t value = SumShards(s, field);
    if (field == &S::store_too_large) {
      value += SumThreads(s, &net::NetStats::store_too_large);  // refused by the parser
    }
    out->emplace_back(name, std::to_string(value));
  }
}

// Backpressure (issue #6): sheds in total, then each shard's queue depth and sheds.
void AddBackpressure(const StatsSources& s, core::StatList* out) {
  uint64_t shed = 0;
  for (const shard::Shard* shard : s.shards) {
    shed += shard->ShedRequests();
  }
  out->emplace_back("shed_requests", std::to_string(shed));
  for (const shard::Shard* shard : s.shards) {
    const std::string prefix = "shard_" + std::to_string(shard->Id()) + "_";
    out->emplace_back(prefix + "queue_depth", std::to_string(shard->QueueDepth()));
    out->emplace_back(prefix + "shed_requests", std::to_string(shard->ShedRequests()));
  }
}

void AddTraffic(const StatsSources& s, core::StatList* out) {
  using N = net::NetStats;
  // memcached: -Y text auth and binary SASL both count here.
  out->emplace_back("auth_cmds", std::to_string(SumThreads(s, &N::auth_cmds)));
  out->emplace_back("auth_errors", std::to_string(SumThreads(s, &N::auth_errors)));
  out->emplace_back("bytes_read", std::to_string(SumThreads(s, &N::bytes_read)));
  out->emplace_back("bytes_written", std::to_string(SumThreads(s, &N::bytes_written)));
  out->emplace_back("limit_maxbytes",
                    std::to_string(s.runtime->maxbytes.load(std::memory_order_relaxed)));
  out->emplace_back("accepting_conns", "1");
  out->emplace_back("threads", std::to_string(s.config->network_threads));
  out->emplace_back("conn_yields", std::to_string(SumThreads(s, &N::conn_yields)));
  if (s.watch != nullptr) {
    const core::WatchHub::Counters w = s.watch->Stats();
    out->emplace_back("log_worker_dropped", std::to_string(w.worker_dropped));
    out->emplace_back("log_worker_written", std::to_string(w.worker_written));
    out->emplace_back("log_watcher_skipped", std::to_string(w.watcher_skipped));
    out->emplace_back("log_watcher_sent", std::to_string(w.watcher_sent));
    out->emplace_back("log_watchers", std::to_string(w.watchers));
  }
  // One table per shard: the power of two of their buckets together, their bytes.
  const uint64_t hash_bytes = SumShards(s, &shard::ShardStats::hash_bytes);
  out->emplace_back("hash_power_level",
                    std::to_string(std::bit_width(hash_bytes / sizeof(void*)) - 1));
  out->emplace_back("hash_bytes", std::to_string(hash_bytes));
  out->emplace_back("hash_is_expanding",
                    SumShards(s, &shard::ShardStats::hash_is_expanding) != 0 ? "1" : "0");
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
  out->emplace_back("crawler_reclaimed", std::to_string(SumShards(s, &S::crawler_reclaimed)));
  // Cold tier (issue #4); all 0 when it is disabled.
  const std::pair<const char*, core::RelaxedCounter S::*> cold[] = {
      {"cold_items", &S::cold_items},
      {"cold_bytes", &S::cold_bytes},
      {"cold_evictions_to_disk", &S::evictions_to_disk},
      {"cold_clean_demotions", &S::cold_clean_demotions},
      {"cold_reads", &S::cold_reads},
      {"cold_promotions", &S::cold_promotions},
      {"cold_disk_errors", &S::cold_disk_errors},
      {"cold_load_wait_us", &S::cold_load_wait_us},
      {"cold_load_batches", &S::cold_load_batches},
      {"cold_reads_inline", &S::cold_reads_inline},
      {"cold_writes_pending", &S::cold_writes_pending},
  };
  for (const auto& [name, field] : cold) {
    out->emplace_back(name, std::to_string(SumShards(s, field)));
  }
}

// memcached's ssl_* settings, printed with or without -Z, in memcached's order and forms.
void AddTlsSettings(const StatsSources& s, core::StatList* out) {
  const config::TlsConfig& t = s.config->tls;
  auto or_null = [](const std::string& v) { return v.empty() ? std::string("NULL") : v; };
  out->emplace_back("ssl_enabled", t.enabled ? "yes" : "no");
  out->emplace_back("ssl_chain_cert", or_null(t.chain_cert));
  out->emplace_back("ssl_key", or_null(t.key));
  out->emplace_back("ssl_verify_mode",
                    std::to_string(net::VerifyModeBits(static_cast<int>(t.verify_mode))));
  out->emplace_back("ssl_keyformat", std::to_string(t.key_format));
  out->emplace_back("ssl_ciphers", or_null(t.ciphers));
  out->emplace_back("ssl_ca_cert", or_null(t.ca_cert));
  out->emplace_back("ssl_wbuf_size", std::to_string(t.wbuf_size_bytes));
  out->emplace_back("ssl_session_cache", t.session_cache ? "yes" : "no");
  out->emplace_back("ssl_kernel_tls", t.kernel_tls ? "yes" : "no");
  out->emplace_back("ssl_min_version", net::MinVersionName(static_cast<int>(t.min_version)));
}

// memcached's TLS stats (only with -Z, as memcached), then ours.
void AddTlsStats(const StatsSources& s, core::StatList* out) {
  if (s.tls == nullptr) {
    return;
  }
  const net::TlsStats& t = s.tls->Stats();
  if (s.config->tls.session_cache) {
    out->emplace_back("ssl_new_sessions", std::to_string(t.new_sessions.load()));
  }
  out->emplace_back("ssl_handshake_errors", std::to_string(t.handshake_errors.load()));
  out->emplace_back("time_since_server_cert_refresh", std::to_string(s.tls->SecondsSinceRefresh()));
  out->emplace_back("ssl_handshakes", std::to_string(t.handshakes.load()));
  out->emplace_back("ssl_handshake_timeouts", std::to_string(t.handshake_timeouts.load()));
  out->emplace_back("ssl_handshakes_shed", std::to_string(t.handshakes_shed.load()));
  out->emplace_back("ssl_subject_rejects", std::to_string(t.subject_rejects.load()));
  out->emplace_back("ssl_connections_tlsv1_2", std::to_string(t.tls12.load()));
  out->emplace_back("ssl_connections_tlsv1_3", std::to_string(t.tls13.load()));
  out->emplace_back("ssl_cert_refreshes", std::to_string(t.refreshes.load()));
  out->emplace_back("ssl_cert_refresh_errors", std::to_string(t.refresh_errors.load()));
}

// Our keys that memcached has no field for, named after their YAML keys ('.' -> '_').
void AddCorecachedSettings(const StatsSources& s, core::StatList* out) {
  const config::Config& c = *s.config;
  out->emplace_back("log_level", config::ToString(s.log_level));
  out->emplace_back("max_connection_output", std::to_string(c.max_connection_output_bytes));
  out->emplace_back("slow_client_timeout", std::to_string(c.slow_client_timeout_s));
  out->emplace_back("metrics_enabled", c.metrics.enabled ? "yes" : "no");
  out->emplace_back("metrics_listen", c.metrics.listen);
  out->emplace_back("cold_tier_enabled", c.cold_tier.enabled ? "yes" : "no");
  out->emplace_back("cold_tier_path", c.cold_tier.path);
  out->emplace_back("cold_tier_max_size", std::to_string(c.cold_tier.max_size_bytes));
  out->emplace_back("cold_tier_high_watermark", FormatRatio(c.cold_tier.high_watermark));
  out->emplace_back("cold_tier_low_watermark", FormatRatio(c.cold_tier.low_watermark));
  out->emplace_back("cold_tier_on_cold_read", config::ToString(c.cold_tier.on_cold_read));
  out->emplace_back("cold_tier_reader_threads", std::to_string(c.cold_tier.reader_threads));
  out->emplace_back("cold_tier_inline_reads", c.cold_tier.inline_reads ? "yes" : "no");
  out->emplace_back("backpressure_max_queue_depth", std::to_string(c.backpressure.max_queue_depth));
  out->emplace_back("backpressure_max_queue_delay_ms",
                    std::to_string(c.backpressure.max_queue_delay_ms));
  // auth.file serves both: memcached's -Y (text) and -S (binary SASL PLAIN).
  out->emplace_back("auth_enabled_sasl", c.auth.file.empty() ? "no" : "yes");
  out->emplace_back("auth_enabled_ascii", c.auth.file.empty() ? "no" : "yes");
}

// memcached's keys in its order, then ours.
core::StatList Settings(const StatsSources& s) {
  const config::Config& c = *s.config;
  // The settings corecached has, by memcached's names; the rest keep memcached's defaults.
  core::StatList real;
  real.emplace_back("evictions", c.evict_on_full ? "on" : "off");
  real.emplace_back("domain_socket", c.unix_socket.empty() ? "NULL" : c.unix_socket);
  real.emplace_back("umask", config::FormatOctalMask(c.unix_socket_mask).substr(1));
  real.emplace_back("reqs_per_event", std::to_string(c.max_reqs_per_event));
  real.emplace_back("cas_enabled", c.cas_enabled ? "yes" : "no");
  real.emplace_back("tcp_backlog", std::to_string(c.listen_backlog));
  real.emplace_back("binding_protocol", c.protocol == config::Protocol::kAuto
                                            ? "auto-negotiate"
                                            : config::ToString(c.protocol));
  real.emplace_back("flush_enabled", c.flush_enabled ? "yes" : "no");
  AddTlsSettings(s, &real);
  core::StatList out = SettingsStats(s);
  for (auto& [name, value] : out) {
    for (const auto& [real_name, real_value] : real) {
      if (name == real_name) {
        value = real_value;
      }
    }
  }
  out.emplace_back("num_shards", std::to_string(s.shards.size()));
  AddCorecachedSettings(s, &out);
  return out;
}

core::StatList General(const StatsSources& sources) {
  core::StatList out;
  AddProcess(sources, &out);
  AddCommands(sources, &out);
  AddTraffic(sources, &out);
  AddTlsStats(sources, &out);
  AddItems(sources, &out);
  return InMemcachedOrder(out);
}

// `stats reset`: every counter memcached resets (general, per class) starts again from 0.
void Reset(const StatsSources& sources) {
  if (sources.baseline == nullptr) {
    return;
  }
  core::StatList all = General(sources);
  for (core::StatList part : {ItemsStats(sources), SlabsStats(sources)}) {
    all.insert(all.end(), part.begin(), part.end());
  }
  // Counters already reported relative to an earlier reset are recorded absolute.
  sources.baseline->Record(all);
  if (sources.prefix_stats != nullptr) {
    sources.prefix_stats->Clear();  // memcached's stats_reset clears the prefix table too
  }
}

std::optional<core::StatList> Group(const StatsSources& sources, std::string_view group) {
  if (group.empty()) {
    return General(sources);
  }
  if (group == "settings") {
    return Settings(sources);
  }
  if (group == "items") {
    return ItemsStats(sources);
  }
  if (group == "slabs") {
    return SlabsStats(sources);
  }
  if (group == "sizes") {
    return SizesStats(sources);
  }
  return std::nullopt;
}

}  // namespace

std::optional<core::StatList> CollectStats(const StatsSources& sources, std::string_view group) {
  if (group == "reset") {
    Reset(sources);
    return core::StatList{};
  }
  if (group == "detail on" || group == "detail off") {
    sources.runtime->detail_enabled.store(group == "detail on", std::memory_order_relaxed);
    return core::StatList{};
  }
  if (group == "detail dump") {
    return sources.prefix_stats != nullptr ? sources.prefix_stats->Dump() : core::StatList{};
  }
  std::optional<core::StatList> out = Group(sources, group);
  if (out && sources.baseline != nullptr) {
    sources.baseline->Apply(&*out);
  }
  return out;
}

namespace {

using metrics::Family;
using metrics::MetricKind;
using metrics::Snapshot;

metrics::Label ShardLabel(const shard::Shard* shard) {
  return {"shard", std::to_string(shard->Id())};
}

double AsDouble(uint64_t v) { return static_cast<double>(v); }

// corecached_commands_total{command} and corecached_command_results_total{command,result}.
void AddCommandMetrics(const StatsSources& s, Snapshot* out) {
  using S = shard::ShardStats;
  const std::pair<const char*, core::RelaxedCounter S::*> commands[] = {
      {"get", &S::cmd_get},
      {"set", &S::cmd_set},
      {"touch", &S::cmd_touch},
      {"flush_all", &S::cmd_flush}};
  Family& cmds =
      out->AddFamily("corecached_commands_total",
                     "Commands executed, by command (memcached cmd_*).", MetricKind::kCounter);
  for (const auto& [name, field] : commands) {
    cmds.Add(AsDouble(SumShards(s, field)), {{"command", name}});
  }
  struct Result {
    const char* command;
    const char* result;
    core::RelaxedCounter S::*field;
  };
  const Result results[] = {
      {"get", "hit", &S::get_hits},         {"get", "miss", &S::get_misses},
      {"get", "expired", &S::get_expired},  {"get", "flushed", &S::get_flushed},
      {"delete", "hit", &S::delete_hits},   {"delete", "miss", &S::delete_misses},
      {"incr", "hit", &S::incr_hits},       {"incr", "miss", &S::incr_misses},
      {"decr", "hit", &S::decr_hits},       {"decr", "miss", &S::decr_misses},
      {"cas", "stored", &S::cas_hits},      {"cas", "exists", &S::cas_badval},
      {"cas", "not_found", &S::cas_misses}, {"touch", "hit", &S::touch_hits},
      {"touch", "miss", &S::touch_misses},
  };
  Family& res = out->AddFamily(
      "corecached_command_results_total",
      "Command outcomes by command and result; get expired/flushed are misses counted again.",
      MetricKind::kCounter);
  for (const Result& r : results) {
    res.Add(AsDouble(SumShards(s, r.field)), {{"command", r.command}, {"result", r.result}});
  }
}

void AddNetMetrics(const StatsSources& s, Snapshot* out) {
  using N = net::NetStats;
  const std::tuple<const char*, const char*, core::RelaxedCounter N::*> counters[] = {
      {"corecached_read_bytes_total", "Bytes read from clients.", &N::bytes_read},
      {"corecached_written_bytes_total", "Bytes written to clients.", &N::bytes_written},
      {"corecached_idle_kicks_total", "Connections closed by idle_timeout_s.", &N::idle_kicks},
      {"corecached_conn_yields_total",
       "Rounds cut at the per-round request limit with requests still pending.", &N::conn_yields},
      {"corecached_auth_commands_total", "Credentials checked (text login, binary SASL).",
       &N::auth_cmds},
      {"corecached_auth_errors_total", "Credentials refused.", &N::auth_errors},
  };
  for (const auto& [name, help, field] : counters) {
    out->AddFamily(name, help, MetricKind::kCounter).Add(AsDouble(SumThreads(s, field)));
  }
  out->AddFamily("corecached_connections", "Open client connections.", MetricKind::kGauge)
      .Add(static_cast<double>(s.gate->open.load()));
  out->AddFamily("corecached_connections_total", "Client connections accepted.",
                 MetricKind::kCounter)
      .Add(AsDouble(s.gate->accepted.load()));
  out->AddFamily("corecached_connections_rejected_total",
                 "Connections refused because max_connections were open.", MetricKind::kCounter)
      .Add(AsDouble(s.gate->rejected.load()));
  out->AddFamily("corecached_max_connections", "The connection limit (max_connections).",
                 MetricKind::kGauge)
      .Add(s.max_connections);
}

// Per-shard figures, labelled shard="N".
void AddShardMetrics(const StatsSources& s, Snapshot* out) {
  using S = shard::ShardStats;
  const std::tuple<const char*, const char*, MetricKind, core::RelaxedCounter S::*> fields[] = {
      {"corecached_items", "Items stored.", MetricKind::kGauge, &S::curr_items},
      {"corecached_item_bytes", "Bytes of the stored items.", MetricKind::kGauge, &S::bytes},
      {"corecached_items_total", "Items ever stored.", MetricKind::kCounter, &S::total_items},
      {"corecached_evictions_total", "Live items evicted to make room.", MetricKind::kCounter,
       &S::evictions},
      {"corecached_reclaimed_total", "Expired or flushed items freed.", MetricKind::kCounter,
       &S::reclaimed},
  };
  for (const auto& [name, help, kind, field] : fields) {
    Family& f = out->AddFamily(name, help, kind);
    for (const shard::Shard* shard : s.shards) {
      f.Add(AsDouble((shard->Stats().*field).Get()), {ShardLabel(shard)});
    }
  }
  Family& shed = out->AddFamily("corecached_requests_shed_total",
                                "Requests answered busy by backpressure instead of queued.",
                                MetricKind::kCounter);
  for (const shard::Shard* shard : s.shards) {
    shed.Add(AsDouble(shard->ShedRequests()), {ShardLabel(shard)});
  }
  Family& depth = out->AddFamily(
      "corecached_queue_depth",
      "Cross-thread request messages queued for the shard, not yet executed.", MetricKind::kGauge);
  for (const shard::Shard* shard : s.shards) {
    depth.Add(static_cast<double>(shard->QueueDepth()), {ShardLabel(shard)});
  }
}

// Folds every network thread's latency buckets into one cumulative histogram per family.
void AddLatencyMetrics(const StatsSources& s, Snapshot* out) {
  static constexpr const char* kFamilyNames[net::kCommandFamilies] = {"get",   "store", "delete",
                                                                      "arith", "touch", "other"};
  Family& f = out->AddFamily(
      "corecached_request_duration_seconds",
      "Time from submitting a round of requests to the shards until every reply is back, by "
      "the command family of the round's first keyed command.",
      MetricKind::kHistogram);
  for (std::size_t fam = 0; fam < net::kCommandFamilies; ++fam) {
    metrics::Sample sample;
    sample.labels.push_back({"family", kFamilyNames[fam]});
    uint64_t cumulative = 0;
    uint64_t sum_ns = 0;
    for (std::size_t b = 0; b <= net::kLatencyBoundsUs.size(); ++b) {
      for (const net::NetworkThread* thread : s.threads) {
        cumulative += thread->Stats().latency[fam].buckets[b].Get();
      }
      if (b < net::kLatencyBoundsUs.size()) {
        sample.histogram.buckets.emplace_back(AsDouble(net::kLatencyBoundsUs[b]) / 1e6, cumulative);
      }
    }
    for (const net::NetworkThread* thread : s.threads) {
      sum_ns += thread->Stats().latency[fam].sum_ns.Get();
    }
    sample.histogram.count = cumulative;
    sample.histogram.sum = AsDouble(sum_ns) / 1e9;
    f.samples.push_back(std::move(sample));
  }
}

void AddProcessMetrics(const StatsSources& s, Snapshot* out) {
  out->AddFamily("corecached_uptime_seconds", "Seconds since the server started.",
                 MetricKind::kGauge)
      .Add(static_cast<double>(s.now_seconds - s.started_seconds));
  out->AddFamily("corecached_memory_limit_bytes", "Item memory limit, all shards together.",
                 MetricKind::kGauge)
      .Add(AsDouble(static_cast<uint64_t>(s.config->memory_limit_mb) * config::kMiB));
  out->AddFamily("corecached_shards", "Shards (store threads).", MetricKind::kGauge)
      .Add(static_cast<double>(s.shards.size()));
}

// TLS (-Z): handshakes by outcome, connections by protocol version, certificate reloads.
void AddTlsMetrics(const StatsSources& s, Snapshot* out) {
  if (s.tls == nullptr) {
    return;
  }
  const net::TlsStats& t = s.tls->Stats();
  Family& hs = out->AddFamily(
      "corecached_tls_handshakes_total",
      "TLS handshakes by result: ok, error (failed: bad client, bad certificate, timeout), "
      "timeout (also counted as error), shed (too many in progress), subject_rejected.",
      MetricKind::kCounter);
  hs.Add(AsDouble(t.handshakes.load()), {{"result", "ok"}});
  hs.Add(AsDouble(t.handshake_errors.load()), {{"result", "error"}});
  hs.Add(AsDouble(t.handshake_timeouts.load()), {{"result", "timeout"}});
  hs.Add(AsDouble(t.handshakes_shed.load()), {{"result", "shed"}});
  hs.Add(AsDouble(t.subject_rejects.load()), {{"result", "subject_rejected"}});
  Family& versions = out->AddFamily("corecached_tls_connections_total",
                                    "TLS connections by protocol version.", MetricKind::kCounter);
  versions.Add(AsDouble(t.tls12.load()), {{"version", "TLSv1.2"}});
  versions.Add(AsDouble(t.tls13.load()), {{"version", "TLSv1.3"}});
  versions.Add(AsDouble(t.tls_other.load()), {{"version", "other"}});
  out->AddFamily("corecached_tls_new_sessions_total",
                 "TLS sessions added to the session cache (ssl_session_cache).",
                 MetricKind::kCounter)
      .Add(AsDouble(t.new_sessions.load()));
  Family& refresh = out->AddFamily("corecached_tls_cert_reloads_total",
                                   "Certificate reloads (refresh_certs, SIGHUP) by result.",
                                   MetricKind::kCounter);
  refresh.Add(AsDouble(t.refreshes.load()), {{"result", "ok"}});
  refresh.Add(AsDouble(t.refresh_errors.load()), {{"result", "error"}});
  out->AddFamily("corecached_tls_cert_age_seconds",
                 "Seconds since the certificates were last loaded.", MetricKind::kGauge)
      .Add(static_cast<double>(s.tls->SecondsSinceRefresh()));
}

}  // namespace

metrics::Snapshot CollectSnapshot(const StatsSources& sources) {
  metrics::Snapshot out;
  AddCommandMetrics(sources, &out);
  AddNetMetrics(sources, &out);
  AddShardMetrics(sources, &out);
  AddLatencyMetrics(sources, &out);
  AddProcessMetrics(sources, &out);
  AddTlsMetrics(sources, &out);
  return out;
}

}  // namespace corecached::server
