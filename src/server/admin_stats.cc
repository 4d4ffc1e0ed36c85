#include "server/admin_stats.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <string_view>
#include <utility>

#include "core/size_classes.h"
#include "server/stats_collector.h"

namespace corecached::server {

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;

std::string Fixed(double value, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, value);
  return buf;
}

std::string YesNo(bool value) { return value ? "yes" : "no"; }

// Sums one ClassStats counter of class `id` over every shard.
template <typename Field>
uint64_t SumClass(const StatsSources& s, std::size_t id, Field field) {
  uint64_t total = 0;
  for (const shard::Shard* shard : s.shards) {
    total += (shard->Stats().classes[id].*field).Get();
  }
  return total;
}

// Seconds since the least recently used item of any shard was last accessed (one LRU per shard:
// the same figure for every class).
uint64_t OldestAge(const StatsSources& s) {
  uint64_t oldest = 0;
  for (const shard::Shard* shard : s.shards) {
    const uint64_t t = shard->Stats().oldest_item_time.Get();
    if (t != 0 && (oldest == 0 || t < oldest)) {
      oldest = t;
    }
  }
  const auto now = static_cast<uint64_t>(s.now_seconds);
  return oldest == 0 || oldest > now ? 0 : now - oldest;
}

void AddMemcachedSettingsHead(const StatsSources& s, core::StatList* out) {
  const config::Config& c = *s.config;
  const core::RuntimeSettings& r = *s.runtime;
  out->emplace_back("maxbytes", std::to_string(r.maxbytes.load(kRelaxed)));
  out->emplace_back("maxconns", std::to_string(s.max_connections));
  out->emplace_back("tcpport", std::to_string(s.port));
  out->emplace_back("udpport", std::to_string(c.udp_port));
  out->emplace_back("inter", c.listen);
  out->emplace_back("verbosity", std::to_string(r.verbosity.load(kRelaxed)));
  out->emplace_back("oldest", "0");
  out->emplace_back("evictions", "on");
  out->emplace_back("domain_socket", "NULL");
  out->emplace_back("umask", "700");
  out->emplace_back("shutdown_command", YesNo(c.enable_shutdown));
  out->emplace_back("growth_factor", Fixed(s.growth_factor, 2));
  out->emplace_back("chunk_size", std::to_string(s.chunk_size));
  out->emplace_back("num_threads", std::to_string(c.network_threads));
  out->emplace_back("num_threads_per_udp", std::to_string(c.network_threads));
  out->emplace_back("stat_key_prefix", ":");
  out->emplace_back("detail_enabled", YesNo(r.detail_enabled.load(kRelaxed)));
  out->emplace_back("reqs_per_event", "20");
  out->emplace_back("cas_enabled", "yes");
  out->emplace_back("tcp_backlog", "1024");
  out->emplace_back("binding_protocol", "auto-negotiate");
  out->emplace_back("auth_enabled_sasl", YesNo(!c.auth.file.empty()));
  out->emplace_back("auth_enabled_ascii", YesNo(!c.auth.file.empty()));
  out->emplace_back("item_size_max", std::to_string(c.max_item_size_bytes));
  out->emplace_back("maxconns_fast", "yes");
  out->emplace_back("hashpower_init", "0");
  out->emplace_back("slab_reassign", "yes");
  out->emplace_back("slab_automove", std::to_string(r.slab_automove.load(kRelaxed)));
  out->emplace_back("slab_automove_ratio", Fixed(r.slab_automove_ratio.load(kRelaxed), 2));
  out->emplace_back("slab_automove_window", "30");
  out->emplace_back("slab_chunk_max", std::to_string(core::SizeClasses::kChunkMaxBytes));
}

void AddMemcachedSettingsTail(const StatsSources& s, core::StatList* out) {
  const core::RuntimeSettings& r = *s.runtime;
  out->emplace_back("lru_crawler", YesNo(r.lru_crawler.load(kRelaxed)));
  out->emplace_back("lru_crawler_sleep", std::to_string(r.lru_crawler_sleep_us.load(kRelaxed)));
  out->emplace_back("lru_crawler_tocrawl", std::to_string(r.lru_crawler_tocrawl.load(kRelaxed)));
  out->emplace_back("tail_repair_time", "0");
  out->emplace_back("flush_enabled", "yes");
  out->emplace_back("dump_enabled", "yes");
  out->emplace_back("hash_algorithm", "xxh3");  // ours; memcached's default is murmur3
  out->emplace_back("lru_maintainer_thread", "yes");
  out->emplace_back("lru_segmented", YesNo(r.lru_segmented.load(kRelaxed)));
  out->emplace_back("hot_lru_pct", std::to_string(r.hot_lru_pct.load(kRelaxed)));
  out->emplace_back("warm_lru_pct", std::to_string(r.warm_lru_pct.load(kRelaxed)));
  out->emplace_back("hot_max_factor", Fixed(r.hot_max_factor.load(kRelaxed), 2));
  out->emplace_back("warm_max_factor", Fixed(r.warm_max_factor.load(kRelaxed), 2));
  out->emplace_back("temp_lru", YesNo(r.temp_lru.load(kRelaxed)));
  out->emplace_back("temporary_ttl", std::to_string(r.temporary_ttl.load(kRelaxed)));
  out->emplace_back("idle_timeout", std::to_string(s.config->idle_timeout_s));
  out->emplace_back("watcher_logbuf_size", "262144");
  out->emplace_back("worker_logbuf_size", "65536");
  out->emplace_back("read_buf_mem_limit", "0");
  out->emplace_back("track_sizes", "no");
  out->emplace_back("inline_ascii_response", "no");
}

// memcached's extstore and TLS settings: Debian's build prints them with these defaults. corecached
// has neither (its cold tier has settings of its own, listed after these).
void AddMemcachedSettingsExtstoreTls(core::StatList* out) {
  static constexpr std::pair<std::string_view, std::string_view> kDefaults[] = {
      {"ext_item_size", "512"},     {"ext_item_age", "4294967295"},
      {"ext_low_ttl", "0"},         {"ext_recache_rate", "2000"},
      {"ext_wbuf_size", "4194304"}, {"ext_compact_under", "0"},
      {"ext_drop_under", "0"},      {"ext_max_sleep", "1000000"},
      {"ext_max_frag", "0.80"},     {"slab_automove_freeratio", "0.010"},
      {"ext_drop_unread", "no"},    {"ssl_enabled", "no"},
      {"ssl_chain_cert", "(null)"}, {"ssl_key", "(null)"},
      {"ssl_verify_mode", "0"},     {"ssl_keyformat", "1"},
      {"ssl_ciphers", "NULL"},      {"ssl_ca_cert", "NULL"},
      {"ssl_wbuf_size", "16384"},   {"ssl_session_cache", "no"},
      {"ssl_kernel_tls", "no"},     {"ssl_min_version", "tlsv1.2"},
      {"num_napi_ids", "(null)"},   {"memory_file", "(null)"},
  };
  for (const auto& [name, value] : kDefaults) {
    out->emplace_back(std::string(name), std::string(value));
  }
}

void AddClassItems(const StatsSources& s, std::size_t id, uint64_t age, core::StatList* out) {
  using C = shard::ClassStats;
  const std::string prefix = "items:" + std::to_string(id) + ":";
  const uint64_t number = SumClass(s, id, &C::number);
  auto add = [&](const char* name, uint64_t value) {
    out->emplace_back(prefix + name, std::to_string(value));
  };
  // One LRU per shard, no hot/warm/cold segments: every item counts as cold (memcached's flat
  // mode reports its items the same way).
  add("number", number);
  add("number_hot", 0);
  add("number_warm", 0);
  add("number_cold", number);
  add("age_hot", 0);
  add("age_warm", 0);
  add("age", age);
  add("mem_requested", SumClass(s, id, &C::mem_requested));
  add("evicted", SumClass(s, id, &C::evicted));
  add("evicted_nonzero", SumClass(s, id, &C::evicted_nonzero));
  add("evicted_time", 0);
  add("outofmemory", 0);
  add("tailrepairs", 0);
  add("reclaimed", SumClass(s, id, &C::reclaimed));
  add("expired_unfetched", SumClass(s, id, &C::expired_unfetched));
  add("evicted_unfetched", SumClass(s, id, &C::evicted_unfetched));
  add("evicted_active", 0);
  add("crawler_reclaimed", SumClass(s, id, &C::crawler_reclaimed));
  for (const char* zero :
       {"crawler_items_checked", "lrutail_reflocked", "moves_to_cold", "moves_to_warm",
        "moves_within_lru", "direct_reclaims", "hits_to_hot", "hits_to_warm"}) {
    add(zero, 0);
  }
  add("hits_to_cold", SumClass(s, id, &C::get_hits) + SumClass(s, id, &C::touch_hits));
  add("hits_to_temp", 0);
}

// memcached 1.6.18's general `stats` keys in its order, with the value it prints when corecached
// has no such figure (no slab mover, no crawler or LRU maintainer threads, no log watchers here).
constexpr std::pair<std::string_view, std::string_view> kGeneralOrder[] = {
    {"pid", ""},
    {"uptime", ""},
    {"time", ""},
    {"version", ""},
    {"libevent", ""},
    {"pointer_size", ""},
    {"rusage_user", ""},
    {"rusage_system", ""},
    {"max_connections", ""},
    {"curr_connections", ""},
    {"total_connections", ""},
    {"rejected_connections", ""},
    {"connection_structures", ""},
    {"response_obj_oom", "0"},
    {"response_obj_count", "0"},
    {"response_obj_bytes", "0"},
    {"read_buf_count", "0"},
    {"read_buf_bytes", "0"},
    {"read_buf_bytes_free", "0"},
    {"read_buf_oom", "0"},
    {"reserved_fds", "20"},
    {"cmd_get", ""},
    {"cmd_set", ""},
    {"cmd_flush", ""},
    {"cmd_touch", ""},
    {"cmd_meta", "0"},
    {"get_hits", ""},
    {"get_misses", ""},
    {"get_expired", ""},
    {"get_flushed", ""},
    {"delete_misses", ""},
    {"delete_hits", ""},
    {"incr_misses", ""},
    {"incr_hits", ""},
    {"decr_misses", ""},
    {"decr_hits", ""},
    {"cas_misses", ""},
    {"cas_hits", ""},
    {"cas_badval", ""},
    {"touch_hits", ""},
    {"touch_misses", ""},
    {"store_too_large", ""},
    {"store_no_memory", ""},
    {"auth_cmds", ""},
    {"auth_errors", ""},
    {"bytes_read", ""},
    {"bytes_written", ""},
    {"limit_maxbytes", ""},
    {"accepting_conns", ""},
    {"listen_disabled_num", "0"},
    {"time_in_listen_disabled_us", "0"},
    {"threads", ""},
    {"conn_yields", ""},
    {"hash_power_level", ""},
    {"hash_bytes", ""},
    {"hash_is_expanding", ""},
    {"slab_reassign_rescues", "0"},
    {"slab_reassign_chunk_rescues", "0"},
    {"slab_reassign_evictions_nomem", "0"},
    {"slab_reassign_inline_reclaim", "0"},
    {"slab_reassign_busy_items", "0"},
    {"slab_reassign_busy_deletes", "0"},
    {"slab_reassign_running", "0"},
    {"slabs_moved", "0"},
    {"lru_crawler_running", "0"},
    {"lru_crawler_starts", "0"},
    {"lru_maintainer_juggles", "0"},
    {"malloc_fails", "0"},
    {"log_worker_dropped", "0"},
    {"log_worker_written", "0"},
    {"log_watcher_skipped", "0"},
    {"log_watcher_sent", "0"},
    {"log_watchers", "0"},
    {"unexpected_napi_ids", "0"},
    {"round_robin_fallback", "0"},
    {"bytes", ""},
    {"curr_items", ""},
    {"total_items", ""},
    {"slab_global_page_pool", "0"},
    {"expired_unfetched", ""},
    {"evicted_unfetched", ""},
    {"evicted_active", "0"},
    {"evictions", ""},
    {"reclaimed", ""},
    {"crawler_reclaimed", ""},
    {"crawler_items_checked", "0"},
    {"lrutail_reflocked", "0"},
    {"moves_to_cold", "0"},
    {"moves_to_warm", "0"},
    {"moves_within_lru", "0"},
    {"direct_reclaims", "0"},
    {"lru_bumps_dropped", "0"},
};

}  // namespace

core::StatList InMemcachedOrder(const core::StatList& ours) {
  std::unordered_map<std::string, std::string> values(ours.begin(), ours.end());
  core::StatList out;
  out.reserve(ours.size() + std::size(kGeneralOrder));
  for (const auto& [name, fallback] : kGeneralOrder) {
    auto it = values.find(std::string(name));
    if (it != values.end()) {
      out.emplace_back(it->first, it->second);
      values.erase(it);
    } else if (!fallback.empty()) {
      out.emplace_back(std::string(name), std::string(fallback));
    }
  }
  for (const auto& [name, value] : ours) {  // ours after memcached's, in our order
    if (values.count(name) != 0) {
      out.emplace_back(name, value);
    }
  }
  return out;
}

core::StatList SettingsStats(const StatsSources& s) {
  core::StatList out;
  AddMemcachedSettingsHead(s, &out);
  AddMemcachedSettingsTail(s, &out);
  AddMemcachedSettingsExtstoreTls(&out);
  return out;
}

core::StatList ItemsStats(const StatsSources& s) {
  core::StatList out;
  const uint64_t age = OldestAge(s);
  for (std::size_t id = 1; id <= s.classes->Count(); ++id) {
    if (SumClass(s, id, &shard::ClassStats::number) != 0) {
      AddClassItems(s, id, age, &out);
    }
  }
  return out;
}

core::StatList SlabsStats(const StatsSources& s) {
  using C = shard::ClassStats;
  core::StatList out;
  uint64_t active = 0;
  uint64_t malloced = 0;
  for (std::size_t id = 1; id <= s.classes->Count(); ++id) {
    const uint64_t used = SumClass(s, id, &C::number);
    if (used == 0) {
      continue;
    }
    // Pages and chunks are what memcached's slabs would need for these items.
    const uint64_t per_page = s.classes->PerPage(id);
    const uint64_t pages = (used + per_page - 1) / per_page;
    const std::string prefix = std::to_string(id) + ":";
    auto add = [&](const char* name, uint64_t value) {
      out.emplace_back(prefix + name, std::to_string(value));
    };
    add("chunk_size", s.classes->ChunkBytes(id));
    add("chunks_per_page", per_page);
    add("total_pages", pages);
    add("total_chunks", pages * per_page);
    add("used_chunks", used);
    add("free_chunks", pages * per_page - used);
    add("free_chunks_end", 0);
    add("get_hits", SumClass(s, id, &C::get_hits));
    add("cmd_set", SumClass(s, id, &C::cmd_set));
    add("delete_hits", SumClass(s, id, &C::delete_hits));
    add("incr_hits", SumClass(s, id, &C::incr_hits));
    add("decr_hits", SumClass(s, id, &C::decr_hits));
    add("cas_hits", SumClass(s, id, &C::cas_hits));
    add("cas_badval", SumClass(s, id, &C::cas_badval));
    add("touch_hits", SumClass(s, id, &C::touch_hits));
    ++active;
    malloced += pages * core::SizeClasses::kPageBytes;
  }
  out.emplace_back("active_slabs", std::to_string(active));
  out.emplace_back("total_malloced", std::to_string(malloced));
  return out;
}

core::StatList SizesStats(const StatsSources&) {
  // memcached without -o track_sizes (its default) answers this one line.
  return {{"sizes_status", "disabled"}};
}

bool StatsBaseline::Resettable(const std::string& name) {
  static constexpr std::string_view kCounters[] = {"cmd_get",           "cmd_set",
                                                   "cmd_flush",         "cmd_touch",
                                                   "get_hits",          "get_misses",
                                                   "get_expired",       "get_flushed",
                                                   "delete_misses",     "delete_hits",
                                                   "incr_misses",       "incr_hits",
                                                   "decr_misses",       "decr_hits",
                                                   "cas_misses",        "cas_hits",
                                                   "cas_badval",        "touch_hits",
                                                   "touch_misses",      "auth_cmds",
                                                   "auth_errors",       "bytes_read",
                                                   "bytes_written",     "total_items",
                                                   "total_connections", "rejected_connections",
                                                   "evictions",         "reclaimed",
                                                   "expired_unfetched", "evicted_unfetched",
                                                   "idle_kicks",        "evicted",
                                                   "evicted_nonzero",   "hits_to_cold",
                                                   "shed_requests"};
  const std::size_t colon = name.rfind(':');
  const std::string_view base = colon == std::string::npos
                                    ? std::string_view(name)
                                    : std::string_view(name).substr(colon + 1);
  return std::find(std::begin(kCounters), std::end(kCounters), base) != std::end(kCounters);
}

void StatsBaseline::Record(const core::StatList& stats) {
  std::lock_guard lock(mu_);
  for (const auto& [name, value] : stats) {
    uint64_t n = 0;
    if (Resettable(name) &&
        std::from_chars(value.data(), value.data() + value.size(), n).ec == std::errc()) {
      base_[name] = n;
    }
  }
}

void StatsBaseline::Apply(core::StatList* stats) const {
  std::lock_guard lock(mu_);
  if (base_.empty()) {
    return;
  }
  for (auto& [name, value] : *stats) {
    auto it = base_.find(name);
    uint64_t n = 0;
    if (it != base_.end() &&
        std::from_chars(value.data(), value.data() + value.size(), n).ec == std::errc()) {
      value = std::to_string(n >= it->second ? n - it->second : n);
    }
  }
}

}  // namespace corecached::server
