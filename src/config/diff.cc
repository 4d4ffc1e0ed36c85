#include "config/diff.h"

#include <cstdio>
#include <functional>
#include <utility>

namespace corecached::config {

namespace {

std::string Str(const std::string& v) { return v; }
std::string Str(bool v) { return v ? "true" : "false"; }
std::string Str(uint32_t v) { return std::to_string(v); }
std::string Str(int32_t v) { return std::to_string(v); }
std::string Str(uint64_t v) { return std::to_string(v); }
std::string Str(LogLevel v) { return ToString(v); }
std::string Str(OnColdRead v) { return ToString(v); }
std::string Str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// The whole proxy section as one value: it cannot change at run time, so SIGHUP only needs to
// know that it did (and logs it as one key that needs a restart).
std::string Str(const ProxyConfig& p) {
  std::string s = Str(p.enabled) + " default=" + p.default_pool;
  for (const ProxyPoolConfig& pool : p.pools) {
    s += " pool=" + pool.name + "/" + pool.distribution + "/" + Str(pool.timeout_ms) + "/" +
         Str(pool.server_failure_limit) + "/" + Str(pool.server_retry_timeout_ms) + "/" +
         Str(pool.connections_per_server);
    for (const ProxyServerConfig& server : pool.servers) {
      s += "," + server.host + ":" + std::to_string(server.port) + ":" + Str(server.weight) + ":" +
           server.name;
    }
  }
  for (const ProxyRouteConfig& route : p.routes) {
    s += " route=" + route.prefix + "->" + route.pool;
    for (const std::string& m : route.mirror) {
      s += "+" + m;
    }
  }
  return s + " cache=" + Str(p.local_cache_enabled) + "/" + Str(p.local_cache_ttl_ms) + "/" +
         Str(p.local_cache_max_bytes) + " in_flight=" + Str(p.max_in_flight_bytes);
}

using Render = std::function<std::string(const Config&)>;

// Every key, in conf/corecached.yaml's order. A key added to Config belongs here too.
const std::vector<std::pair<const char*, Render>>& Keys() {
  static const std::vector<std::pair<const char*, Render>> kKeys = {
      {"listen", [](const Config& c) { return Str(c.listen); }},
      {"port", [](const Config& c) { return Str(c.port); }},
      {"udp_port", [](const Config& c) { return Str(c.udp_port); }},
      {"memory_limit_mb", [](const Config& c) { return Str(c.memory_limit_mb); }},
      {"max_connections", [](const Config& c) { return Str(c.max_connections); }},
      {"max_item_size", [](const Config& c) { return Str(c.max_item_size_bytes); }},
      {"network_threads", [](const Config& c) { return Str(c.network_threads); }},
      {"shards", [](const Config& c) { return Str(c.shards); }},
      {"enable_shutdown", [](const Config& c) { return Str(c.enable_shutdown); }},
      {"verbosity", [](const Config& c) { return Str(c.verbosity); }},
      {"idle_timeout_s", [](const Config& c) { return Str(c.idle_timeout_s); }},
      {"max_connection_output", [](const Config& c) { return Str(c.max_connection_output_bytes); }},
      {"slow_client_timeout_s", [](const Config& c) { return Str(c.slow_client_timeout_s); }},
      {"log_level", [](const Config& c) { return Str(c.log_level); }},
      {"metrics.enabled", [](const Config& c) { return Str(c.metrics.enabled); }},
      {"metrics.listen", [](const Config& c) { return Str(c.metrics.listen); }},
      {"cold_tier.enabled", [](const Config& c) { return Str(c.cold_tier.enabled); }},
      {"cold_tier.path", [](const Config& c) { return Str(c.cold_tier.path); }},
      {"cold_tier.max_size", [](const Config& c) { return Str(c.cold_tier.max_size_bytes); }},
      {"cold_tier.high_watermark", [](const Config& c) { return Str(c.cold_tier.high_watermark); }},
      {"cold_tier.low_watermark", [](const Config& c) { return Str(c.cold_tier.low_watermark); }},
      {"cold_tier.on_cold_read", [](const Config& c) { return Str(c.cold_tier.on_cold_read); }},
      {"cold_tier.reader_threads", [](const Config& c) { return Str(c.cold_tier.reader_threads); }},
      {"backpressure.max_queue_depth",
       [](const Config& c) { return Str(c.backpressure.max_queue_depth); }},
      {"backpressure.max_queue_delay_ms",
       [](const Config& c) { return Str(c.backpressure.max_queue_delay_ms); }},
      {"auth.file", [](const Config& c) { return Str(c.auth.file); }},
      {"proxy", [](const Config& c) { return Str(c.proxy); }},
  };
  return kKeys;
}

}  // namespace

std::vector<KeyChange> ChangedKeys(const Config& before, const Config& after) {
  std::vector<KeyChange> out;
  for (const auto& [key, render] : Keys()) {
    std::string b = render(before);
    std::string a = render(after);
    if (b != a) {
      out.push_back({key, std::move(b), std::move(a)});
    }
  }
  return out;
}

}  // namespace corecached::config
