#include "config/validate.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "config/units.h"

namespace corecached::config {
namespace {

// memcached.c: "Item max size cannot be less than 1024 bytes." and "... higher than a gigabyte."
constexpr uint64_t kMinItemSize = kKiB;
constexpr uint64_t kMaxItemSize = kGiB;
// Threads, shards and connections beyond these are almost surely a typo; memcached warns above
// 64 threads and its eventfd setup fails long before 1000.
constexpr uint32_t kMaxThreads = 256;
constexpr uint32_t kMaxShards = 256;
// Cold-tier reader threads: each holds one LMDB reader slot (the environment has 126).
constexpr uint32_t kMaxColdReaders = 64;
constexpr uint32_t kMaxVerbosity = 3;  // -vvv is memcached's most verbose level
// listen(2) silently caps the backlog at net.core.somaxconn; above INT_MAX it is not an int.
constexpr uint32_t kMaxListenBacklog = 0x7fffffff;
// Everything below a 4 KiB page buys nothing and risks a reply never fitting.
constexpr uint64_t kMinConnectionOutput = 4 * kKiB;

using Check = std::optional<std::string> (*)(const Config&);

struct Rule {
  std::string_view key;
  Check check;
};

std::optional<std::string> Range(uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
           std::to_string(v);
  }
  return std::nullopt;
}

// 0 is "off" for both ports (TCP off needs a unix_socket: a cross rule).
std::optional<std::string> CheckPort(int32_t port) {
  if (port < -1 || port > 65535) {
    return "must be between -1 and 65535, got " + std::to_string(port);
  }
  return std::nullopt;
}

std::optional<std::string> CheckWatermark(double v) {
  if (!(v > 0.0 && v <= 1.0)) {
    return "must be above 0 and at most 1, got " + std::to_string(v);
  }
  return std::nullopt;
}

std::optional<std::string> CheckItemSize(const Config& c) {
  const uint64_t v = c.max_item_size_bytes;
  if (v < kMinItemSize) {
    return "must be at least 1k (1024 bytes), got " + FormatSize(v);
  }
  if (v > kMaxItemSize) {
    return "must be at most 1g, got " + FormatSize(v);
  }
  return std::nullopt;
}

// One rule per key; each returns the message for a bad value.
constexpr Rule kKeyRules[] = {
    {"port", [](const Config& c) { return CheckPort(c.port); }},
    {"udp_port", [](const Config& c) { return CheckPort(c.udp_port); }},
    {"listen",
     [](const Config& c) -> std::optional<std::string> {
       if (c.listen.empty()) {
         return "must not be empty";
       }
       return std::nullopt;
     }},
    {"listen_backlog",
     [](const Config& c) { return Range(c.listen_backlog, 0, kMaxListenBacklog); }},
    {"max_reqs_per_event",
     [](const Config& c) -> std::optional<std::string> {
       if (c.max_reqs_per_event == 0) {
         return std::string("Number of requests per event must be greater than 0");
       }
       return std::nullopt;
     }},
    {"memory_limit_mb", [](const Config& c) { return Range(c.memory_limit_mb, 1, 1u << 30); }},
    {"max_connections", [](const Config& c) { return Range(c.max_connections, 1, 1u << 20); }},
    {"max_item_size", CheckItemSize},
    {"network_threads", [](const Config& c) { return Range(c.network_threads, 1, kMaxThreads); }},
    {"shards", [](const Config& c) { return Range(c.shards, 0, kMaxShards); }},
    {"verbosity", [](const Config& c) { return Range(c.verbosity, 0, kMaxVerbosity); }},
    {"max_connection_output",
     [](const Config& c) -> std::optional<std::string> {
       if (c.max_connection_output_bytes < kMinConnectionOutput) {
         return "must be at least 4k, got " + FormatSize(c.max_connection_output_bytes);
       }
       return std::nullopt;
     }},
    {"metrics.listen",
     [](const Config& c) -> std::optional<std::string> {
       if (c.metrics.enabled && c.metrics.listen.find(':') == std::string::npos) {
         return "must be \"host:port\", got '" + c.metrics.listen + "'";
       }
       return std::nullopt;
     }},
    {"cold_tier.max_size",
     [](const Config& c) -> std::optional<std::string> {
       if (c.cold_tier.max_size_bytes < kMiB) {
         return "must be at least 1m, got " + FormatSize(c.cold_tier.max_size_bytes);
       }
       return std::nullopt;
     }},
    {"cold_tier.high_watermark",
     [](const Config& c) { return CheckWatermark(c.cold_tier.high_watermark); }},
    {"cold_tier.low_watermark",
     [](const Config& c) { return CheckWatermark(c.cold_tier.low_watermark); }},
    {"cold_tier.reader_threads",
     [](const Config& c) { return Range(c.cold_tier.reader_threads, 1, kMaxColdReaders); }},
    {"backpressure.max_queue_depth",
     [](const Config& c) { return Range(c.backpressure.max_queue_depth, 1, 1u << 20); }},
    {"tls.handshake_timeout_ms",
     [](const Config& c) { return Range(c.tls.handshake_timeout_ms, 1, 3'600'000); }},
    {"tls.max_handshakes_per_thread",
     [](const Config& c) { return Range(c.tls.max_handshakes_per_thread, 1, 1u << 20); }},
};

constexpr Rule kCrossRules[] = {
    {"port",
     [](const Config& c) -> std::optional<std::string> {
       if (c.port == 0 && c.unix_socket.empty()) {
         return std::string("0 turns TCP off, and no unix_socket (-s) is set: nothing to serve");
       }
       return std::nullopt;
     }},
    {"max_item_size",
     [](const Config& c) -> std::optional<std::string> {
       const uint64_t half = uint64_t{c.memory_limit_mb} * kMiB / 2;
       if (c.max_item_size_bytes > half) {
         return "cannot be higher than 1/2 of memory_limit_mb (" + FormatSize(half) + "), got " +
                FormatSize(c.max_item_size_bytes);
       }
       return std::nullopt;
     }},
    {"cold_tier.low_watermark",
     [](const Config& c) -> std::optional<std::string> {
       if (c.cold_tier.low_watermark >= c.cold_tier.high_watermark) {
         return "must be below cold_tier.high_watermark (" +
                std::to_string(c.cold_tier.high_watermark) + ")";
       }
       return std::nullopt;
     }},
    {"cold_tier.path",
     [](const Config& c) -> std::optional<std::string> {
       if (c.cold_tier.enabled && c.cold_tier.path.empty()) {
         return std::string("is required when cold_tier.enabled is true");
       }
       return std::nullopt;
     }},
    {"tls.chain_cert",
     [](const Config& c) -> std::optional<std::string> {
       if (c.tls.enabled && c.tls.chain_cert.empty()) {
         return std::string("is required when TLS is enabled (-Z; -o ssl_chain_cert=FILE)");
       }
       return std::nullopt;
     }},
    {"tls.enabled",
     [](const Config& c) -> std::optional<std::string> {
       if (c.tls.enabled && c.port == 0) {
         // memcached: "ERROR: You cannot enable SSL without a TCP port."
         return std::string("cannot enable TLS without a TCP port (port 0 turns TCP off)");
       }
       return std::nullopt;
     }},
    {"tls.allowed_subjects",
     [](const Config& c) -> std::optional<std::string> {
       if (!c.tls.allowed_subjects.empty() && c.tls.verify_mode < 2) {
         return std::string("needs tls.verify_mode 2 (require) or 3 (once)");
       }
       return std::nullopt;
     }},
};

template <std::size_t N>
void Apply(const Rule (&rules)[N], const Config& config, const KeyOrigins& origins) {
  for (const Rule& rule : rules) {
    std::optional<std::string> message = rule.check(config);
    if (!message) {
      continue;
    }
    auto it = origins.lines.find(rule.key);
    if (it == origins.lines.end()) {
      throw ConfigError("", 0, std::string(rule.key), *message);
    }
    throw ConfigError(origins.file, it->second, std::string(rule.key), *message);
  }
}

// Every -l entry ("host", "host:port", "[v6]:port") is a loopback address.
bool AllLoopback(const std::string& listen) {
  std::size_t start = 0;
  while (start <= listen.size()) {
    const std::size_t comma = std::min(listen.find(',', start), listen.size());
    std::string host = listen.substr(start, comma - start);
    if (host.starts_with('[')) {
      host = host.substr(1, host.find(']') - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
      host = host.substr(0, host.find(':'));
    }
    if (!host.empty() && host != "127.0.0.1" && host != "localhost" && host != "::1") {
      return false;
    }
    start = comma + 1;
  }
  return true;
}

}  // namespace

void ValidateKeys(const Config& config, const KeyOrigins& origins) {
  Apply(kKeyRules, config, origins);
}

void Validate(const Config& config, const KeyOrigins& origins) {
  Apply(kKeyRules, config, origins);
  Apply(kCrossRules, config, origins);
}

std::vector<std::string> Warnings(const Config& config) {
  std::vector<std::string> out;
  if (config.udp_port != 0) {
    out.push_back("udp_port: UDP is not supported; ignoring udp_port " +
                  std::to_string(config.udp_port) + " (serving TCP only)");
  }
  if (config.network_threads > 64) {
    // memcached prints the same advice above 64 threads.
    out.push_back(
        "network_threads: setting a high number of threads is not recommended; use the "
        "number of cores or less");
  }
  if (config.port != 0 && !AllLoopback(config.listen) && config.auth.file.empty()) {
    out.push_back("listen: serving on " + config.listen +
                  " with no authentication; make sure a firewall restricts access");
  }
  return out;
}

}  // namespace corecached::config
