#include "config/diff.h"

#include <cstdio>
#include <functional>
#include <string_view>
#include <utility>

#include "config/proxy_loader.h"
#include "config/units.h"

namespace corecached::config {

namespace {

std::string Str(const std::string& v) { return v; }
std::string Str(bool v) { return v ? "true" : "false"; }
std::string Str(uint32_t v) { return std::to_string(v); }
std::string Str(int32_t v) { return std::to_string(v); }
std::string Str(uint64_t v) { return std::to_string(v); }
std::string Str(LogLevel v) { return ToString(v); }
std::string Str(OnColdRead v) { return ToString(v); }
std::string Str(Protocol v) { return ToString(v); }
std::string Str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// A YAML flow sequence of double-quoted strings: ["CN=a", "CN=b,O=x"].
std::string FlowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) {
    out += out.size() > 1 ? ", \"" : "\"";
    for (char ch : item) {
      if (ch == '"' || ch == '\\') {
        out.push_back('\\');
      }
      out.push_back(ch);
    }
    out += "\"";
  }
  return out + "]";
}

// Keys whose rendering is already YAML (a list), not a scalar to quote.
bool IsList(std::string_view key) { return key == "tls.allowed_subjects"; }

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
      {"unix_socket", [](const Config& c) { return Str(c.unix_socket); }},
      {"unix_socket_mask", [](const Config& c) { return FormatOctalMask(c.unix_socket_mask); }},
      {"listen_backlog", [](const Config& c) { return Str(c.listen_backlog); }},
      {"protocol", [](const Config& c) { return Str(c.protocol); }},
      {"memory_limit_mb", [](const Config& c) { return Str(c.memory_limit_mb); }},
      {"max_connections", [](const Config& c) { return Str(c.max_connections); }},
      {"max_item_size", [](const Config& c) { return Str(c.max_item_size_bytes); }},
      {"network_threads", [](const Config& c) { return Str(c.network_threads); }},
      {"shards", [](const Config& c) { return Str(c.shards); }},
      {"enable_shutdown", [](const Config& c) { return Str(c.enable_shutdown); }},
      {"verbosity", [](const Config& c) { return Str(c.verbosity); }},
      {"idle_timeout_s", [](const Config& c) { return Str(c.idle_timeout_s); }},
      {"max_reqs_per_event", [](const Config& c) { return Str(c.max_reqs_per_event); }},
      {"evict_on_full", [](const Config& c) { return Str(c.evict_on_full); }},
      {"cas_enabled", [](const Config& c) { return Str(c.cas_enabled); }},
      {"flush_enabled", [](const Config& c) { return Str(c.flush_enabled); }},
      {"watch_enabled", [](const Config& c) { return Str(c.watch_enabled); }},
      {"lock_memory", [](const Config& c) { return Str(c.lock_memory); }},
      {"daemonize", [](const Config& c) { return Str(c.daemonize); }},
      {"pid_file", [](const Config& c) { return Str(c.pid_file); }},
      {"user", [](const Config& c) { return Str(c.user); }},
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
      {"cold_tier.inline_reads", [](const Config& c) { return Str(c.cold_tier.inline_reads); }},
      {"backpressure.max_queue_depth",
       [](const Config& c) { return Str(c.backpressure.max_queue_depth); }},
      {"backpressure.max_queue_delay_ms",
       [](const Config& c) { return Str(c.backpressure.max_queue_delay_ms); }},
      {"auth.file", [](const Config& c) { return Str(c.auth.file); }},
      {"tls.enabled", [](const Config& c) { return Str(c.tls.enabled); }},
      {"tls.chain_cert", [](const Config& c) { return Str(c.tls.chain_cert); }},
      {"tls.key", [](const Config& c) { return Str(c.tls.key); }},
      {"tls.key_format", [](const Config& c) { return Str(c.tls.key_format); }},
      {"tls.ca_cert", [](const Config& c) { return Str(c.tls.ca_cert); }},
      {"tls.ciphers", [](const Config& c) { return Str(c.tls.ciphers); }},
      {"tls.verify_mode", [](const Config& c) { return Str(c.tls.verify_mode); }},
      {"tls.min_version", [](const Config& c) { return Str(c.tls.min_version); }},
      {"tls.session_cache", [](const Config& c) { return Str(c.tls.session_cache); }},
      {"tls.kernel_tls", [](const Config& c) { return Str(c.tls.kernel_tls); }},
      {"tls.wbuf_size", [](const Config& c) { return Str(c.tls.wbuf_size_bytes); }},
      {"tls.allowed_subjects", [](const Config& c) { return FlowList(c.tls.allowed_subjects); }},
      {"tls.handshake_timeout_ms", [](const Config& c) { return Str(c.tls.handshake_timeout_ms); }},
      {"tls.max_handshakes_per_thread",
       [](const Config& c) { return Str(c.tls.max_handshakes_per_thread); }},
  };
  return kKeys;
}

// A YAML scalar: plain when it is unambiguous, else double-quoted with \\ and \" escaped.
std::string YamlScalar(const std::string& v) {
  bool plain = !v.empty() && v.front() != '-' && v.front() != '.';
  for (char ch : v) {
    const bool safe = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '/' || ch == '-';
    plain = plain && safe;
  }
  bool numeric = !v.empty() && v.find_first_not_of("0123456789.-") == std::string::npos;
  if (plain || numeric) {
    return v;
  }
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
    }
    out.push_back(ch);
  }
  return out + "\"";
}

}  // namespace

std::string RenderYaml(const Config& config) {
  std::string out =
      "# corecached.yaml: every key, in conf/corecached.yaml's order (corecached.yaml(5))\n";
  std::string section;
  for (const auto& [key, render] : Keys()) {
    std::string name = key;
    std::string indent;
    const std::size_t dot = name.find('.');
    if (dot != std::string::npos) {
      if (name.substr(0, dot) != section) {
        section = name.substr(0, dot);
        out += section + ":\n";
      }
      name = name.substr(dot + 1);
      indent = "  ";
    }
    const std::string value = render(config);
    out += indent + name + ": " + (IsList(key) ? value : YamlScalar(value)) + "\n";
  }
  return out + RenderProxyYaml(config.proxy);
}

std::vector<KeyChange> ChangedKeys(const Config& before, const Config& after) {
  std::vector<KeyChange> out;
  for (const auto& [key, render] : Keys()) {
    std::string b = render(before);
    std::string a = render(after);
    if (b != a) {
      out.push_back({key, std::move(b), std::move(a)});
    }
  }
  // The proxy section is one key for SIGHUP: none of it can change at run time.
  if (std::string b = Str(before.proxy), a = Str(after.proxy); b != a) {
    out.push_back({"proxy", std::move(b), std::move(a)});
  }
  return out;
}

}  // namespace corecached::config
