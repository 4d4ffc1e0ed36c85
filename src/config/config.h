#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace corecached::config {

// Plain data mirroring conf/corecached.yaml, one field per key, with the key's default.
// Every key is documented in conf/corecached.yaml and man/corecached.yaml.5 (STYLE.md 10.12);
// a change here changes both. Sizes are held in bytes and durations in the unit in their name.
//
// Thread: any (plain value type). Built once at start-up (and again on SIGHUP), then copied into
// each module's Options by server/module_options.cc.

inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;

// What a shard does when a read needs a value that lives in the cold tier.
enum class OnColdRead : uint8_t {
  kWait,   // "wait": the request waits for the load (the connection's later requests queue behind
           // it)
  kRetry,  // "retry": answer a miss-like busy reply at once and load in the background
};

// Which protocols a connection may speak (memcached -B). kAuto detects it from the first byte.
enum class Protocol : uint8_t { kAuto, kAscii, kBinary };

// Minimum severity the server logs. -v raises it (see Config::verbosity).
enum class LogLevel : uint8_t { kError, kWarn, kInfo, kDebug };

// metrics: the Prometheus pull endpoint (GET /metrics).
struct MetricsConfig {
  bool enabled = false;                   // metrics.enabled
  std::string listen = "127.0.0.1:9150";  // metrics.listen: "host:port" of the HTTP exposer
};

// cold_tier: values evicted from RAM are written to an LMDB file instead of dropped.
struct ColdTierConfig {
  bool enabled = false;            // cold_tier.enabled (--cold-tier-path also enables it)
  std::string path;                // cold_tier.path: directory for the LMDB files; required if on
  uint64_t max_size_bytes = kGiB;  // cold_tier.max_size: "1g"; the LMDB map size
  double high_watermark = 0.97;    // cold_tier.high_watermark: start trimming above this fill
  double low_watermark = 0.94;     // cold_tier.low_watermark: trim down to this fill
  OnColdRead on_cold_read = OnColdRead::kWait;  // cold_tier.on_cold_read: "wait" | "retry"
  uint32_t reader_threads = 2;  // cold_tier.reader_threads: threads running loads (1..64)
  bool inline_reads = true;     // cold_tier.inline_reads: read values already in RAM on the loop
};

// auth: memcached 1.6's authentication (-Y). Empty = off.
struct AuthConfig {
  std::string file;  // auth.file (-Y): "user:password" lines; re-read on SIGHUP
};

// backpressure: bounds on the work queued from network threads to one shard.
struct BackpressureConfig {
  uint32_t max_queue_depth = 4096;  // backpressure.max_queue_depth: batches per shard channel
  // backpressure.max_queue_delay_ms: shed (kBusy) once the oldest batch waited this long; 0 = off
  uint32_t max_queue_delay_ms = 100;
};

// proxy: proxy mode (issue #13). Present = corecached forwards every key command to the pools'
// upstream memcached servers instead of its own shards. Loaded by proxy_loader.cc.
struct ProxyServerConfig {  // "host:port[:weight] [name]"
  std::string host;
  uint16_t port = 11211;
  uint32_t weight = 1;
  std::string name;  // nutcracker's optional server name (ketama_twemproxy hashes it)
};
struct ProxyPoolConfig {  // proxy.pools.<name>
  std::string name;
  std::vector<ProxyServerConfig> servers;     // servers: at least one
  std::string distribution = "ketama";        // distribution: ketama | ketama_twemproxy | modula
  uint32_t timeout_ms = 250;                  // timeout_ms: per request to a server
  uint32_t server_failure_limit = 2;          // consecutive failures before ejection; 0 = never
  uint32_t server_retry_timeout_ms = 30'000;  // how long an ejected server stays out
  uint32_t connections_per_server = 2;        // per network thread, 1 .. 64
};
struct ProxyRouteConfig {  // proxy.routes[i]: first match wins
  std::string prefix;
  std::string pool;
  std::vector<std::string> mirror;  // pools that also receive writes, asynchronously
};
struct ProxyConfig {
  bool enabled = false;  // the section is present
  std::vector<ProxyPoolConfig> pools;
  std::string default_pool;  // proxy.default_pool: required when there is more than one pool
  std::vector<ProxyRouteConfig> routes;
  bool local_cache_enabled = false;            // proxy.local_cache.enabled
  uint32_t local_cache_ttl_ms = 1000;          // proxy.local_cache.ttl_ms
  uint64_t local_cache_max_bytes = 64 * kMiB;  // proxy.local_cache.max_size
  uint64_t max_in_flight_bytes = 64 * kMiB;    // proxy.max_in_flight: per network thread
};

// tls: memcached's -Z and -o ssl_* options (issue #12). The flags set the same keys.
struct TlsConfig {
  bool enabled = false;      // tls.enabled (-Z)
  std::string chain_cert;    // tls.chain_cert (ssl_chain_cert): PEM chain; required if enabled
  std::string key;           // tls.key (ssl_key): private key; empty = in chain_cert
  uint32_t key_format = 1;   // tls.key_format (ssl_keyformat): 1 PEM, 2 DER
  std::string ca_cert;       // tls.ca_cert (ssl_ca_cert): PEM file of accepted client CAs
  std::string ciphers;       // tls.ciphers (ssl_ciphers): OpenSSL cipher list; "" = default
  uint32_t verify_mode = 0;  // tls.verify_mode (ssl_verify_mode): 0 none 1 request 2 require 3 once
  uint32_t min_version = 2;  // tls.min_version (ssl_min_version): 0..3 = tlsv1.0..tlsv1.3
  bool session_cache = false;            // tls.session_cache (ssl_session_cache)
  bool kernel_tls = false;               // tls.kernel_tls (ssl_kernel_tls)
  uint64_t wbuf_size_bytes = 16 * kKiB;  // tls.wbuf_size (ssl_wbuf_size, in KiB on the flag)
  // tls.allowed_subjects: client certificate subjects (RFC 2253) allowed; empty = any verified
  std::vector<std::string> allowed_subjects;
  uint32_t handshake_timeout_ms = 10'000;   // tls.handshake_timeout_ms: abandon slower ones
  uint32_t max_handshakes_per_thread = 64;  // tls.max_handshakes_per_thread: shed past it
};

struct Config {
  // listen (-l): addresses to bind, comma-separated; each "host", "host:port" or "[v6]:port".
  // Repeated -l flags are joined with commas, as memcached does. memcached's default is any.
  std::string listen = "127.0.0.1";
  int32_t port = 11211;     // port (-p): TCP port; -1 = ephemeral (tests); 0 = no TCP (unix_socket)
  int32_t udp_port = 0;     // udp_port (-U): accepted, but UDP is not served (warning)
  std::string unix_socket;  // unix_socket (-s): path of a unix socket; "" = none
  uint32_t unix_socket_mask = 0700;     // unix_socket_mask (-a): its permissions, octal
  uint32_t listen_backlog = 1024;       // listen_backlog (-b): listen(2) backlog of each socket
  Protocol protocol = Protocol::kAuto;  // protocol (-B): auto | ascii | binary
  uint32_t memory_limit_mb = 64;    // memory_limit_mb (-m): item memory, MiB, all shards together
  uint32_t max_connections = 1024;  // max_connections (-c)
  uint64_t max_item_size_bytes = kMiB;  // max_item_size (-I): "1m"; 1k .. 1g, <= memory limit / 2
  uint32_t network_threads = 4;         // network_threads (-t): 1 .. 256
  uint32_t shards = 0;                  // shards (--shards): 0 = one per CPU core; at most 256
  bool enable_shutdown = false;         // enable_shutdown (-A): allow the `shutdown` command
  uint32_t verbosity = 0;               // verbosity (-v, -vv, -vvv): 0 .. 3
  uint32_t idle_timeout_s = 0;  // idle_timeout_s (-o idle_timeout=N): close idle conns; 0 = off
  // max_reqs_per_event (-R): requests of one connection served per turn before the others get
  // theirs. memcached's default is 20; corecached batches up to 256 (one shard hop per turn).
  uint32_t max_reqs_per_event = 256;
  bool evict_on_full = true;  // evict_on_full (-M sets false): else "out of memory" on a full cache
  bool cas_enabled = true;    // cas_enabled (-C sets false): gets returns cas 0, cas never matches
  bool flush_enabled = true;  // flush_enabled (-F sets false): flush_all is refused
  bool watch_enabled = true;  // watch_enabled (-W sets false): `watch` is refused
  bool lock_memory = false;   // lock_memory (-k): mlockall(2) at start-up; a warning if it fails
  bool daemonize = false;     // daemonize (-d): fork into the background once listening
  std::string pid_file;       // pid_file (-P): written at start-up, removed at exit; "" = none
  std::string user;           // user (-u): drop to this user after binding (when run as root)
  uint64_t max_connection_output_bytes = 4 * kMiB;  // max_connection_output: "4m" of unsent replies
  LogLevel log_level = LogLevel::kInfo;             // log_level: error | warn | info | debug
  // slow_client_timeout_s: drop a client that accepts no byte of its replies for this long.
  uint32_t slow_client_timeout_s = 30;

  MetricsConfig metrics;
  ColdTierConfig cold_tier;
  BackpressureConfig backpressure;
  AuthConfig auth;
  TlsConfig tls;
  ProxyConfig proxy;
};

// ConfigError is what start-up throws for a bad file, flag or value (STYLE.md 6.6). main catches
// it, prints "corecached: " + what() as one line and exits 2.
//
// what() is "<file>:<line>: <key>: <message>", leaving out the parts that are unknown:
//   "/etc/corecached/corecached.yaml:12: memory_limit_mb: must be >= 1"
//   "--port: 'abc' is not an integer"      (a flag: no file, no line)
struct ConfigError : std::runtime_error {
  // line is 1-based; 0 = no line. key is the dotted YAML key ("cold_tier.path") or the flag.
  ConfigError(std::string file_name, int line_number, std::string key_name, std::string text)
      : std::runtime_error(Format(file_name, line_number, key_name, text)),
        file(std::move(file_name)),
        line(line_number),
        key(std::move(key_name)),
        message(std::move(text)) {}

  std::string file;
  int line = 0;
  std::string key;
  std::string message;  // the bare message, without file, line or key

 private:
  static std::string Format(const std::string& f, int l, const std::string& k,
                            const std::string& m) {
    std::string out;
    if (!f.empty()) {
      out += f + (l > 0 ? ":" + std::to_string(l) : std::string()) + ": ";
    }
    if (!k.empty()) {
      out += k + ": ";
    }
    return out + m;
  }
};

// Names for the enums as they are written in YAML ("wait", "info").
[[nodiscard]] inline const char* ToString(OnColdRead value) {
  return value == OnColdRead::kWait ? "wait" : "retry";
}
[[nodiscard]] inline const char* ToString(Protocol value) {
  switch (value) {
    case Protocol::kAuto:
      return "auto";
    case Protocol::kAscii:
      return "ascii";
    case Protocol::kBinary:
      return "binary";
  }
  return "auto";
}
[[nodiscard]] inline const char* ToString(LogLevel value) {
  switch (value) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

}  // namespace corecached::config
