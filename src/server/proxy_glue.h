#pragma once

#include "config/config.h"
#include "metrics/snapshot.h"
#include "proxy/proxy_executor.h"
#include "proxy/proxy_options.h"

namespace corecached::server {

// config::ProxyConfig -> proxy::ProxyOptions (pool and route names become indexes). REQUIRES: the
// config passed LoadProxySection's checks. Thread: main, start-up.
proxy::ProxyOptions ProxyOptionsFor(const config::Config& config);

// Per upstream server: corecached_proxy_{requests,errors,timeouts,ejections}_total,
// corecached_proxy_in_flight, corecached_proxy_ejected and the
// corecached_proxy_request_duration_seconds histogram, labelled pool and server.
// Thread: any (the factory's figures are atomics).
void AppendProxyMetrics(const proxy::ProxyExecutorFactory& factory, metrics::Snapshot* snapshot);

}  // namespace corecached::server
