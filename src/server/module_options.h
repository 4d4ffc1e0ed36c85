#pragma once

#include <cstddef>
#include <cstdint>

#include "config/config.h"
#include "core/log.h"
#include "net/listener.h"
#include "net/network_thread.h"
#include "net/tls_context.h"
#include "proto/codec.h"
#include "shard/shard.h"

namespace corecached::server {

// The only place that knows both config::Config and the modules' Options (pelikan's setting.h).
// Thread: main, start-up only.
[[nodiscard]] uint32_t ShardCount(const config::Config& config);
[[nodiscard]] shard::ShardOptions ShardOptionsFor(const config::Config& config, uint32_t shard,
                                                  uint32_t shard_count);
// The cold tier's I/O thread and LMDB environment, shared by every shard's Store; null when the
// tier is disabled or cannot be opened (logged once; the server then evicts as memcached does).
[[nodiscard]] std::shared_ptr<cold::ColdIo> OpenColdTier(const config::Config& config);
[[nodiscard]] net::ListenerOptions ListenerOptionsFor(const config::Config& config);
[[nodiscard]] net::NetworkThreadOptions NetworkThreadOptionsFor(const config::Config& config);
[[nodiscard]] net::TlsOptions TlsOptionsFor(const config::Config& config);
// What `version` (and `stats` version) reports: memcached's version first, because clients and
// tools parse it to pick features (memccapable, for one, expects 1.6 behaviour only from a 1.6
// server), then ours: "1.6.18-corecached-0.1.0".
inline constexpr const char* kProtocolVersion = "1.6.18-corecached-" CORECACHED_VERSION;

// The log severity from log_level, raised by verbosity: -v (1) logs at least info, -vv and more
// log debug.
[[nodiscard]] core::LogSeverity LogSeverityFor(const config::Config& config);

// What each connection's Codec needs: -I, -F and -B.
[[nodiscard]] proto::ParserOptions ParserOptionsFor(const config::Config& config);

// Input a connection may buffer: the largest value, its request line and a binary header.
[[nodiscard]] std::size_t MaxInputBytes(const config::Config& config);

}  // namespace corecached::server
