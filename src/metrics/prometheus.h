#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "metrics/snapshot.h"

namespace prometheus {
class Exposer;
struct MetricFamily;
}  // namespace prometheus

namespace corecached::metrics {

// MetricsBindError: metrics.listen could not be bound (start-up; main exits 71 like a bad port).
struct MetricsBindError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Converts a Snapshot to prometheus-cpp's families (what the exposer serializes).
[[nodiscard]] std::vector<prometheus::MetricFamily> ToMetricFamilies(const Snapshot& snapshot);

// The same, serialized as Prometheus text exposition format 0.0.4 (tests, debugging).
[[nodiscard]] std::string ToText(const Snapshot& snapshot);

// PrometheusExporter serves GET /metrics on `listen` ("host:port") with prometheus-cpp's pull
// exposer (CivetWeb). Nothing is counted here: each scrape calls `source`, which reads the
// per-thread counters as they are at that moment (issue #5: counting never slows the hot path).
//
// Owner: Server. Thread: constructed and destroyed on main (start-up and shutdown only); `source`
// runs on the exposer's HTTP threads, so it must read atomics only, and everything it reads must
// outlive this object.
class PrometheusExporter {
 public:
  using Source = std::function<Snapshot()>;

  // Binds and starts serving. Throws MetricsBindError naming the address if it cannot bind.
  PrometheusExporter(const std::string& listen, Source source);
  ~PrometheusExporter();
  PrometheusExporter(const PrometheusExporter&) = delete;
  PrometheusExporter& operator=(const PrometheusExporter&) = delete;

  // The TCP ports actually bound.
  [[nodiscard]] std::vector<int> Ports() const;

 private:
  class SnapshotCollectable;
  std::shared_ptr<SnapshotCollectable> collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace corecached::metrics
