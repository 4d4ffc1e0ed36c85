#include "config/validate.h"

#include <doctest/doctest.h>

#include <string>

namespace corecached::config {
namespace {

// Runs Validate expecting a ConfigError; returns it.
ConfigError ValidateError(const Config& c, const KeyOrigins& origins = {}) {
  try {
    Validate(c, origins);
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("Validate accepted the config");
  return ConfigError("", 0, "", "");
}

TEST_CASE("Validate: the defaults are valid and warn about nothing") {
  CHECK_NOTHROW(Validate(Config{}));
  CHECK(Warnings(Config{}).empty());
}

TEST_CASE("Validate: max_item_size at most half the memory limit, like memcached") {
  Config c;
  c.memory_limit_mb = 2;
  c.max_item_size_bytes = kMiB;
  CHECK_NOTHROW(Validate(c));
  c.max_item_size_bytes = kMiB + 1;
  ConfigError e = ValidateError(c);
  CHECK(e.key == "max_item_size");
  CHECK(e.message.find("1/2 of memory_limit_mb") != std::string::npos);
  c.memory_limit_mb = 1;  // memcached -m 1 fails the same way with the default -I 1m
  c.max_item_size_bytes = kMiB;
  CHECK(ValidateError(c).key == "max_item_size");
  CHECK_NOTHROW(ValidateKeys(c));  // the per-key checks alone accept it
}

TEST_CASE("Validate: item size bounds 1k..1g") {
  Config c;
  c.memory_limit_mb = 4096;
  c.max_item_size_bytes = 1023;
  CHECK(ValidateError(c).message.find("at least 1k") != std::string::npos);
  c.max_item_size_bytes = 1024;
  CHECK_NOTHROW(Validate(c));
  c.max_item_size_bytes = kGiB;
  CHECK_NOTHROW(Validate(c));
  c.max_item_size_bytes = kGiB + 1;
  CHECK(ValidateError(c).message.find("at most 1g") != std::string::npos);
}

TEST_CASE("Validate: ports, threads, shards, connections") {
  struct Case {
    void (*set)(Config&);
    const char* key;
  };
  const Case cases[] = {
      {[](Config& c) { c.port = 0; }, "port"},
      {[](Config& c) { c.port = 65536; }, "port"},
      {[](Config& c) { c.port = -2; }, "port"},
      {[](Config& c) { c.udp_port = -2; }, "udp_port"},
      {[](Config& c) { c.network_threads = 0; }, "network_threads"},
      {[](Config& c) { c.network_threads = 257; }, "network_threads"},
      {[](Config& c) { c.shards = 257; }, "shards"},
      {[](Config& c) { c.max_connections = 0; }, "max_connections"},
      {[](Config& c) { c.memory_limit_mb = 0; }, "memory_limit_mb"},
      {[](Config& c) { c.verbosity = 4; }, "verbosity"},
      {[](Config& c) { c.max_reqs_per_event = 0; }, "max_reqs_per_event"},
      {[](Config& c) { c.listen.clear(); }, "listen"},
      {[](Config& c) { c.cold_tier.max_size_bytes = 1000; }, "cold_tier.max_size"},
      {[](Config& c) { c.cold_tier.reader_threads = 0; }, "cold_tier.reader_threads"},
      {[](Config& c) { c.cold_tier.reader_threads = 65; }, "cold_tier.reader_threads"},
  };
  for (const Case& k : cases) {
    Config c;
    k.set(c);
    CAPTURE(k.key);
    CHECK(ValidateError(c).key == k.key);
  }
  Config ok;
  ok.port = -1;
  ok.udp_port = 0;
  ok.network_threads = 256;
  ok.shards = 256;
  ok.cold_tier.reader_threads = 64;
  CHECK_NOTHROW(Validate(ok));
  ok.cold_tier.reader_threads = 1;
  ok.port = 65535;
  ok.shards = 0;
  CHECK_NOTHROW(Validate(ok));
  ok.port = 0;  // no TCP: fine with a unix socket, and only then
  ok.unix_socket = "/tmp/x.sock";
  CHECK_NOTHROW(Validate(ok));
}

TEST_CASE("Warnings: listen on other than loopback, entry by entry") {
  Config c;
  c.listen = "127.0.0.1,127.0.0.1:22122,[::1]:22123,localhost";
  CHECK(Warnings(c).empty());
  c.listen = "127.0.0.1,10.0.0.1:22122";
  REQUIRE(Warnings(c).size() == 1);
  CHECK(Warnings(c)[0].find("listen: serving on 127.0.0.1,10.0.0.1:22122") == 0);
  c.port = 0;  // no TCP: the unix socket only
  c.unix_socket = "/tmp/x.sock";
  CHECK(Warnings(c).empty());
}

TEST_CASE("Validate: watermarks 0 < low < high <= 1") {
  Config c;
  c.cold_tier.low_watermark = 0.9;
  c.cold_tier.high_watermark = 0.9;
  CHECK(ValidateError(c).key == "cold_tier.low_watermark");
  c.cold_tier.low_watermark = 0.95;
  CHECK(ValidateError(c).message.find("below cold_tier.high_watermark") != std::string::npos);
  c.cold_tier.low_watermark = 0.1;
  c.cold_tier.high_watermark = 1.0;
  CHECK_NOTHROW(Validate(c));
  c.cold_tier.high_watermark = 1.01;
  CHECK(ValidateError(c).key == "cold_tier.high_watermark");
}

TEST_CASE("Validate: the cold tier needs a path") {
  Config c;
  c.cold_tier.enabled = true;
  CHECK(ValidateError(c).key == "cold_tier.path");
  c.cold_tier.path = "/var/lib/corecached";
  CHECK_NOTHROW(Validate(c));
}

TEST_CASE("Validate: errors carry the file and line from KeyOrigins") {
  Config c;
  c.shards = 999;
  KeyOrigins origins{"/etc/corecached/corecached.yaml", {{"shards", 12}}};
  const ConfigError e = ValidateError(c, origins);
  CHECK(e.line == 12);
  CHECK(std::string(e.what()) ==
        "/etc/corecached/corecached.yaml:12: shards: must be between 0 and 256, got 999");
  origins.lines.clear();  // set by a flag: no file, no line
  CHECK(std::string(ValidateError(c, origins).what()) ==
        "shards: must be between 0 and 256, got 999");
}

TEST_CASE("Warnings: UDP and many threads") {
  Config c;
  c.udp_port = 11211;
  c.network_threads = 100;
  const auto w = Warnings(c);
  REQUIRE(w.size() == 2);
  CHECK(w[0].find("UDP is not supported") != std::string::npos);
  CHECK(w[1].find("network_threads") != std::string::npos);
  c = Config{};
  c.listen = "0.0.0.0";
  REQUIRE(Warnings(c).size() == 1);
  CHECK(Warnings(c)[0].find("listen") == 0);
}

}  // namespace
}  // namespace corecached::config
