#include "server/proxy_glue.h"

#include <string>
#include <utility>
#include <vector>

namespace corecached::server {

namespace {
std::size_t PoolIndex(const config::ProxyConfig& proxy, const std::string& name) {
  for (std::size_t i = 0; i < proxy.pools.size(); ++i) {
    if (proxy.pools[i].name == name) {
      return i;
    }
  }
  return 0;  // unreachable after LoadProxySection's checks
}

proxy::Distribution DistributionOf(const std::string& name) {
  if (name == "ketama_twemproxy") {
    return proxy::Distribution::kKetamaTwemproxy;
  }
  return name == "modula" ? proxy::Distribution::kModula : proxy::Distribution::kKetama;
}
}  // namespace

proxy::ProxyOptions ProxyOptionsFor(const config::Config& config) {
  const config::ProxyConfig& c = config.proxy;
  proxy::ProxyOptions o;
  for (const config::ProxyPoolConfig& p : c.pools) {
    proxy::PoolOptions pool;
    pool.name = p.name;
    for (const config::ProxyServerConfig& s : p.servers) {
      pool.servers.push_back(proxy::ServerAddress{s.host, s.port, s.weight, s.name});
    }
    pool.distribution = DistributionOf(p.distribution);
    pool.upstream.timeout = std::chrono::milliseconds(p.timeout_ms);
    pool.upstream.failure_limit = p.server_failure_limit;
    pool.upstream.retry_timeout = std::chrono::milliseconds(p.server_retry_timeout_ms);
    pool.upstream.connections_per_server = p.connections_per_server;
    o.pools.push_back(std::move(pool));
  }
  o.default_pool = PoolIndex(c, c.default_pool);
  for (const config::ProxyRouteConfig& r : c.routes) {
    proxy::RouteOptions route;
    route.prefix = r.prefix;
    route.pool = PoolIndex(c, r.pool);
    for (const std::string& m : r.mirror) {
      route.mirror.push_back(PoolIndex(c, m));
    }
    o.routes.push_back(std::move(route));
  }
  o.local_cache_enabled = c.local_cache_enabled;
  o.local_cache_ttl = std::chrono::milliseconds(c.local_cache_ttl_ms);
  o.local_cache_max_bytes = static_cast<std::size_t>(c.local_cache_max_bytes);
  o.max_in_flight_bytes = static_cast<std::size_t>(c.max_in_flight_bytes);
  return o;
}

void AppendProxyMetrics(const proxy::ProxyExecutorFactory& factory, metrics::Snapshot* snapshot) {
  using metrics::MetricKind;
  const std::vector<proxy::ProxyExecutorFactory::ServerRow> rows = factory.Figures();
  auto labels = [](const proxy::ProxyExecutorFactory::ServerRow& r) {
    return std::vector<metrics::Label>{{"pool", r.pool}, {"server", r.server}};
  };
  auto counter = [&](const char* name, const char* help, auto field, MetricKind kind) {
    metrics::Family& f = snapshot->AddFamily(name, help, kind);
    for (const auto& r : rows) {
      f.Add(static_cast<double>(field(r.figures)), labels(r));
    }
  };
  using F = proxy::ProxyExecutorFactory::ServerFigures;
  counter(
      "corecached_proxy_requests_total", "Requests sent to the upstream server.",
      [](const F& f) { return f.requests; }, MetricKind::kCounter);
  counter(
      "corecached_proxy_errors_total", "Upstream requests that failed (not timeouts).",
      [](const F& f) { return f.errors; }, MetricKind::kCounter);
  counter(
      "corecached_proxy_timeouts_total", "Upstream requests that ran past timeout_ms.",
      [](const F& f) { return f.timeouts; }, MetricKind::kCounter);
  counter(
      "corecached_proxy_ejections_total", "Times the server was ejected (per thread).",
      [](const F& f) { return f.ejections; }, MetricKind::kCounter);
  counter(
      "corecached_proxy_in_flight", "Requests sent and not yet answered.",
      [](const F& f) { return f.in_flight; }, MetricKind::kGauge);
  counter(
      "corecached_proxy_ejected_threads", "Network threads on which the server is ejected.",
      [](const F& f) { return f.ejected; }, MetricKind::kGauge);
  metrics::Family& h = snapshot->AddFamily("corecached_proxy_request_duration_seconds",
                                           "Upstream request latency.", MetricKind::kHistogram);
  for (const auto& r : rows) {
    metrics::Sample s;
    s.labels = labels(r);
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < proxy::kLatencyBoundsUs.size(); ++b) {
      cumulative += r.figures.buckets[b];
      s.histogram.buckets.emplace_back(static_cast<double>(proxy::kLatencyBoundsUs[b]) / 1e6,
                                       cumulative);
    }
    s.histogram.count = cumulative + r.figures.buckets.back();
    s.histogram.sum = static_cast<double>(r.figures.latency_sum_us) / 1e6;
    h.samples.push_back(std::move(s));
  }
}

}  // namespace corecached::server
