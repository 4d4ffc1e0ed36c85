#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "proxy/ring.h"
#include "proxy/upstream.h"

namespace corecached::proxy {

// What the proxy module needs from the `proxy:` section (server/module_options.cc maps it).
struct PoolOptions {
  std::string name;
  std::vector<ServerAddress> servers;
  Distribution distribution = Distribution::kKetama;
  UpstreamOptions upstream;
};

// First match wins; a key no route matches goes to ProxyOptions::default_pool.
struct RouteOptions {
  std::string prefix;
  std::size_t pool = 0;             // index into ProxyOptions::pools
  std::vector<std::size_t> mirror;  // pools that also receive writes, asynchronously
};

struct ProxyOptions {
  std::vector<PoolOptions> pools;
  std::size_t default_pool = 0;
  std::vector<RouteOptions> routes;
  bool local_cache_enabled = false;
  std::chrono::milliseconds local_cache_ttl{1000};
  // Bound on the local cache's keys + values (all threads together).
  std::size_t local_cache_max_bytes = std::size_t{64} * 1024 * 1024;
  // Bound on request bytes sent upstream and not yet answered, per network thread. Past it new
  // requests are shed with kBusy (SERVER_ERROR busy, retry in N ms) instead of queued.
  std::size_t max_in_flight_bytes = std::size_t{64} * 1024 * 1024;
};

}  // namespace corecached::proxy
