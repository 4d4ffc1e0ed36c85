#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace corecached::metrics {

// Snapshot is one scrape's worth of figures as plain data: metric families with their samples.
// server/stats_collector.cc builds it from the modules' *Stats structs (STYLE.md 3: modules never
// include metrics/); prometheus.cc turns it into exposition text. Names follow Prometheus'
// conventions (https://prometheus.io/docs/practices/naming/): a `corecached_` prefix, base units
// (seconds, bytes), `_total` on counters. Every name is listed in man/corecached.8 "METRICS".
//
// Thread: any (plain value type).

enum class MetricKind : uint8_t { kCounter, kGauge, kHistogram };

struct Label {
  std::string name;
  std::string value;
};

// Histogram buckets are cumulative, as the exposition format wants them; the +Inf bucket is
// `count` and is not listed in `buckets`.
struct HistogramValue {
  std::vector<std::pair<double, uint64_t>> buckets;  // (upper bound, cumulative count)
  uint64_t count = 0;
  double sum = 0;
};

struct Sample {
  std::vector<Label> labels;
  double value = 0;          // counters and gauges
  HistogramValue histogram;  // histograms
};

struct Family {
  std::string name;
  std::string help;
  MetricKind kind = MetricKind::kGauge;
  std::vector<Sample> samples;

  // Appends a counter or gauge sample.
  void Add(double value, std::vector<Label> labels = {}) {
    samples.push_back(Sample{std::move(labels), value, {}});
  }
};

struct Snapshot {
  std::vector<Family> families;

  // Starts a family; the reference stays valid until the next AddFamily.
  Family& AddFamily(std::string name, std::string help, MetricKind kind) {
    families.push_back(Family{std::move(name), std::move(help), kind, {}});
    return families.back();
  }
};

}  // namespace corecached::metrics
