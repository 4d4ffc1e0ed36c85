#include "server/module_options.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "core/protocol_limits.h"

namespace corecached::server {

uint32_t ShardCount(const config::Config& config) {
  // One shard per network thread (issue #10); config validation refuses a different `shards`.
  return std::max(1U, config.network_threads);
}

shard::ShardOptions ShardOptionsFor(const config::Config& config, uint32_t shard,
                                    uint32_t shard_count) {
  shard::ShardOptions options;
  options.store.memory_limit_bytes =
      static_cast<std::size_t>(config.memory_limit_mb) * config::kMiB / shard_count;
  options.store.max_item_size = static_cast<std::size_t>(config.max_item_size_bytes);
  // Shard s hands out s+1, s+1+S, s+1+2S, ...: unique across shards, never 0.
  options.store.cas_start = shard + 1;
  options.store.cas_step = shard_count;
  // One request message per peer thread per loop turn: a thread this far ahead of a stalled owner
  // sheds (kBusy) instead of queueing more.
  options.channel_capacity = 1024;
  options.backpressure.max_queue_depth = config.backpressure.max_queue_depth;
  options.backpressure.max_queue_delay_us =
      static_cast<int64_t>(config.backpressure.max_queue_delay_ms) * 1000;
  options.store.high_watermark = config.cold_tier.high_watermark;
  options.store.low_watermark = config.cold_tier.low_watermark;
  options.store.cold_read_retry = config.cold_tier.on_cold_read == config::OnColdRead::kRetry;
  options.store.evict_on_full = config.evict_on_full;
  options.store.cas_enabled = config.cas_enabled;
  options.store.shard_id = shard;
  options.store.shard_count = shard_count;
  return options;
}

std::shared_ptr<cold::ColdIo> OpenColdTier(const config::Config& config) {
  if (!config.cold_tier.enabled) {
    return nullptr;
  }
  cold::ColdIoOptions options;
  options.path = config.cold_tier.path;
  options.map_size_bytes = static_cast<std::size_t>(config.cold_tier.max_size_bytes);
  options.reader_threads = config.cold_tier.reader_threads;
  options.inline_loads = config.cold_tier.inline_reads;
  options.write_linger = cold::ColdIoOptions::kServerWriteLinger;
  cold::Expected<std::unique_ptr<cold::ColdIo>> io = cold::ColdIo::Open(options);
  if (!io) {
    // Never a failed start (issue #4): the server runs without the tier and evicts instead.
    const std::string line = "corecached: cold tier: cannot open " + options.path + " (" +
                             io.Error().message() + "): running without it, evicting instead\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    return nullptr;
  }
  return std::shared_ptr<cold::ColdIo>(std::move(*io));
}

net::ListenerOptions ListenerOptionsFor(const config::Config& config) {
  net::ListenerOptions options;
  options.address = config.listen;
  options.port = config.port;
  options.tls = config.tls.enabled;
  options.backlog = static_cast<int>(config.listen_backlog);
  options.unix_socket = config.unix_socket;
  options.unix_socket_mask = config.unix_socket_mask;
  return options;
}

net::TlsOptions TlsOptionsFor(const config::Config& config) {
  const config::TlsConfig& c = config.tls;
  net::TlsOptions options;
  options.enabled = c.enabled;
  options.chain_cert = c.chain_cert;
  options.key = c.key;
  options.key_format = static_cast<int>(c.key_format);
  options.ca_cert = c.ca_cert;
  options.ciphers = c.ciphers;
  options.verify_mode = static_cast<int>(c.verify_mode);
  options.min_version = static_cast<int>(c.min_version);
  options.session_cache = c.session_cache;
  options.kernel_tls = c.kernel_tls;
  options.wbuf_size_bytes = static_cast<std::size_t>(c.wbuf_size_bytes);
  options.allowed_subjects = c.allowed_subjects;
  options.handshake_timeout = std::chrono::milliseconds(c.handshake_timeout_ms);
  options.max_handshakes_per_thread = c.max_handshakes_per_thread;
  return options;
}

net::NetworkThreadOptions NetworkThreadOptionsFor(const config::Config& config) {
  net::NetworkThreadOptions options;
  options.inbox_capacity = static_cast<std::size_t>(config.max_connections) + 16;
  options.max_output_bytes = static_cast<std::size_t>(config.max_connection_output_bytes);
  options.slow_client_timeout = std::chrono::seconds(config.slow_client_timeout_s);
  options.auth_file = config.auth.file;
  return options;
}

core::LogSeverity LogSeverityFor(const config::Config& config) {
  auto level = static_cast<core::LogSeverity>(config.log_level);
  static_assert(static_cast<int>(config::LogLevel::kDebug) ==
                static_cast<int>(core::LogSeverity::kDebug));
  if (config.verbosity >= 2) {
    return core::LogSeverity::kDebug;
  }
  if (config.verbosity == 1) {
    return std::max(level, core::LogSeverity::kInfo);
  }
  return level;
}

proto::ParserOptions ParserOptionsFor(const config::Config& config) {
  proto::ParserOptions options;
  options.max_item_size = static_cast<std::size_t>(config.max_item_size_bytes);
  options.flush_enabled = config.flush_enabled;
  options.watch_enabled = config.watch_enabled;
  switch (config.protocol) {
    case config::Protocol::kAuto:
      options.binding = static_cast<uint8_t>(proto::Codec::Protocol::kUnknown);
      break;
    case config::Protocol::kAscii:
      options.binding = static_cast<uint8_t>(proto::Codec::Protocol::kText);
      break;
    case config::Protocol::kBinary:
      options.binding = static_cast<uint8_t>(proto::Codec::Protocol::kBinary);
      break;
  }
  return options;
}

std::size_t MaxInputBytes(const config::Config& config) {
  return static_cast<std::size_t>(config.max_item_size_bytes) + core::kMaxTextGetLineLength +
         std::size_t{64} * 1024;
}

}  // namespace corecached::server
