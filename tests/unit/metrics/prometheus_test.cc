#include "metrics/prometheus.h"

#include <doctest/doctest.h>

#include <string>

#include "net/net_stats.h"

namespace corecached::metrics {
namespace {

TEST_CASE("ToText: counters and gauges with labels, HELP and TYPE") {
  Snapshot s;
  s.AddFamily("corecached_commands_total", "Commands.", MetricKind::kCounter)
      .Add(3, {{"command", "get"}});
  s.AddFamily("corecached_items", "Items.", MetricKind::kGauge).Add(7, {{"shard", "0"}});
  const std::string text = ToText(s);
  CHECK(text.find("# HELP corecached_commands_total Commands.\n") != std::string::npos);
  CHECK(text.find("# TYPE corecached_commands_total counter\n") != std::string::npos);
  CHECK(text.find("corecached_commands_total{command=\"get\"} 3\n") != std::string::npos);
  CHECK(text.find("# TYPE corecached_items gauge\n") != std::string::npos);
  CHECK(text.find("corecached_items{shard=\"0\"} 7\n") != std::string::npos);
}

TEST_CASE("ToText: histogram buckets, +Inf, sum and count") {
  Snapshot s;
  Sample sample;
  sample.labels = {{"family", "get"}};
  sample.histogram.buckets = {{0.001, 2}, {0.01, 5}};
  sample.histogram.count = 6;
  sample.histogram.sum = 0.25;
  s.AddFamily("lat_seconds", "Latency.", MetricKind::kHistogram).samples.push_back(sample);
  const std::string text = ToText(s);
  CHECK(text.find("# TYPE lat_seconds histogram\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{family=\"get\",le=\"0.001\"} 2\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{family=\"get\",le=\"0.01\"} 5\n") != std::string::npos);
  CHECK(text.find("lat_seconds_bucket{family=\"get\",le=\"+Inf\"} 6\n") != std::string::npos);
  CHECK(text.find("lat_seconds_count{family=\"get\"} 6\n") != std::string::npos);
  CHECK(text.find("lat_seconds_sum{family=\"get\"} 0.25\n") != std::string::npos);
}

TEST_CASE("LatencyHistogram: each sample lands in the first bucket whose bound holds it") {
  net::LatencyHistogram h;
  h.Record(std::chrono::microseconds(10));  // <= 10 us
  h.Record(std::chrono::microseconds(11));  // <= 25 us
  h.Record(std::chrono::seconds(5));        // +Inf
  h.Record(std::chrono::nanoseconds(-1));   // clock went back: counted as 0
  CHECK(h.buckets[0].Get() == 2);
  CHECK(h.buckets[1].Get() == 1);
  CHECK(h.buckets[net::kLatencyBoundsUs.size()].Get() == 1);
  CHECK(h.sum_ns.Get() == 10'000 + 11'000 + 5'000'000'000ULL);
}

TEST_CASE("FamilyOf: every op has a family") {
  CHECK(net::FamilyOf(core::Op::kGet) == net::CommandFamily::kGet);
  CHECK(net::FamilyOf(core::Op::kCas) == net::CommandFamily::kStore);
  CHECK(net::FamilyOf(core::Op::kAppend) == net::CommandFamily::kStore);
  CHECK(net::FamilyOf(core::Op::kDelete) == net::CommandFamily::kDelete);
  CHECK(net::FamilyOf(core::Op::kDecr) == net::CommandFamily::kArith);
  CHECK(net::FamilyOf(core::Op::kTouch) == net::CommandFamily::kTouch);
  CHECK(net::FamilyOf(core::Op::kFlushAll) == net::CommandFamily::kOther);
}

}  // namespace
}  // namespace corecached::metrics
