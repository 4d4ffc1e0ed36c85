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
      {"tls.allowed_subjects",
       [](const Config& c) {
         std::string joined;
         for (const std::string& s : c.tls.allowed_subjects) {
           joined += (joined.empty() ? "" : "; ") + s;
         }
         return joined;
       }},
      {"tls.handshake_timeout_ms", [](const Config& c) { return Str(c.tls.handshake_timeout_ms); }},
      {"tls.max_handshakes_per_thread",
       [](const Config& c) { return Str(c.tls.max_handshakes_per_thread); }},
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
