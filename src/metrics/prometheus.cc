#include "metrics/prometheus.h"

#include <prometheus/collectable.h>
#include <prometheus/exposer.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <exception>
#include <limits>
#include <utility>

namespace corecached::metrics {

namespace {

prometheus::MetricType TypeOf(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return prometheus::MetricType::Counter;
    case MetricKind::kGauge:
      return prometheus::MetricType::Gauge;
    case MetricKind::kHistogram:
      return prometheus::MetricType::Histogram;
  }
  return prometheus::MetricType::Untyped;
}

prometheus::ClientMetric ToClientMetric(MetricKind kind, const Sample& sample) {
  prometheus::ClientMetric metric;
  for (const Label& label : sample.labels) {
    metric.label.push_back({label.name, label.value});
  }
  switch (kind) {
    case MetricKind::kCounter:
      metric.counter.value = sample.value;
      break;
    case MetricKind::kGauge:
      metric.gauge.value = sample.value;
      break;
    case MetricKind::kHistogram:
      metric.histogram.sample_count = sample.histogram.count;
      metric.histogram.sample_sum = sample.histogram.sum;
      for (const auto& [bound, cumulative] : sample.histogram.buckets) {
        metric.histogram.bucket.push_back({cumulative, bound});
      }
      // prometheus-cpp writes the +Inf bucket from the last entry it is given.
      metric.histogram.bucket.push_back(
          {sample.histogram.count, std::numeric_limits<double>::infinity()});
      break;
  }
  return metric;
}

}  // namespace

std::vector<prometheus::MetricFamily> ToMetricFamilies(const Snapshot& snapshot) {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(snapshot.families.size());
  for (const Family& family : snapshot.families) {
    prometheus::MetricFamily f;
    f.name = family.name;
    f.help = family.help;
    f.type = TypeOf(family.kind);
    for (const Sample& sample : family.samples) {
      f.metric.push_back(ToClientMetric(family.kind, sample));
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string ToText(const Snapshot& snapshot) {
  return prometheus::TextSerializer().Serialize(ToMetricFamilies(snapshot));
}

class PrometheusExporter::SnapshotCollectable : public prometheus::Collectable {
 public:
  explicit SnapshotCollectable(Source source) : source_(std::move(source)) {}
  [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override {
    return ToMetricFamilies(source_());
  }

 private:
  Source source_;
};

PrometheusExporter::PrometheusExporter(const std::string& listen, Source source)
    : collectable_(std::make_shared<SnapshotCollectable>(std::move(source))) {
  try {
    // One HTTP thread: scrapes are rare and each is cheap.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    throw MetricsBindError("metrics.listen " + listen + ": cannot bind: " + e.what());
  }
  exposer_->RegisterCollectable(collectable_);
}

PrometheusExporter::~PrometheusExporter() {
  // Stop the HTTP threads before the collectable (and what its source reads) goes away.
  exposer_.reset();
}

std::vector<int> PrometheusExporter::Ports() const { return exposer_->GetListeningPorts(); }

}  // namespace corecached::metrics
