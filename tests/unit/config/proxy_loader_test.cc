#include "config/proxy_loader.h"

#include <doctest/doctest.h>

#include <string>

#include "config/yaml_loader.h"

namespace corecached::config {
namespace {

// The error for `yaml`, or "" when it loads.
std::string ErrorOf(const std::string& yaml) {
  try {
    (void)LoadConfigString(yaml, "t.yaml");
  } catch (const ConfigError& e) {
    return std::string(e.what());
  }
  return "";
}

TEST_CASE("proxy section: pools, servers, routes, local cache") {
  LoadedConfig c = LoadConfigString(
      "proxy:\n"
      "  pools:\n"
      "    main:\n"
      "      servers: [\"10.0.0.1:11211\", \"10.0.0.2:11212:2\", \"h:1 alpha\"]\n"
      "      distribution: ketama_twemproxy\n"
      "      timeout_ms: 100\n"
      "      server_failure_limit: 0\n"
      "      server_retry_timeout_ms: 500\n"
      "      connections_per_server: 4\n"
      "    dr:\n"
      "      servers: [\"10.1.0.1:11211\"]\n"
      "  default_pool: main\n"
      "  routes:\n"
      "    - {prefix: \"s:\", pool: main, mirror: [dr]}\n"
      "  max_in_flight: 1m\n"
      "  local_cache: {enabled: true, ttl_ms: 50, max_size: 2m}\n",
      "t.yaml");
  const ProxyConfig& p = c.config.proxy;
  REQUIRE(p.enabled);
  REQUIRE(p.pools.size() == 2);
  CHECK(p.pools[0].name == "main");
  REQUIRE(p.pools[0].servers.size() == 3);
  CHECK(p.pools[0].servers[1].host == "10.0.0.2");
  CHECK(p.pools[0].servers[1].port == 11212);
  CHECK(p.pools[0].servers[1].weight == 2);
  CHECK(p.pools[0].servers[2].name == "alpha");
  CHECK(p.pools[0].distribution == "ketama_twemproxy");
  CHECK(p.pools[0].timeout_ms == 100);
  CHECK(p.pools[0].server_failure_limit == 0);
  CHECK(p.pools[0].server_retry_timeout_ms == 500);
  CHECK(p.pools[0].connections_per_server == 4);
  REQUIRE(p.routes.size() == 1);
  CHECK(p.routes[0].prefix == "s:");
  CHECK(p.routes[0].mirror == std::vector<std::string>{"dr"});
  CHECK(p.max_in_flight_bytes == 1024 * 1024);
  CHECK(p.local_cache_enabled);
  CHECK(p.local_cache_ttl_ms == 50);
  CHECK(p.local_cache_max_bytes == 2 * 1024 * 1024);
}

TEST_CASE("proxy section: RenderProxyYaml reads back to the same section") {
  const std::string yaml =
      "proxy:\n  pools:\n    main:\n      servers: [\"a:1\", \"b:2:3 named\"]\n"
      "      distribution: modula\n    dr:\n      servers: [\"c:3\"]\n  default_pool: main\n"
      "  routes:\n    - {prefix: \"x\\\"y\", pool: main, mirror: [dr]}\n"
      "  local_cache: {enabled: true, ttl_ms: 7}\n";
  const ProxyConfig first = LoadConfigString(yaml, "t").config.proxy;
  const std::string rendered = RenderProxyYaml(first);
  const ProxyConfig second = LoadConfigString(rendered, "t").config.proxy;
  CHECK(RenderProxyYaml(second) == rendered);
  REQUIRE(second.routes.size() == 1);
  CHECK(second.routes[0].prefix == "x\"y");
  CHECK(second.pools[0].servers[1].name == "named");
  CHECK(second.local_cache_ttl_ms == 7);
  CHECK(RenderProxyYaml(ProxyConfig{}).empty());
}

TEST_CASE("proxy section: one pool is the default pool") {
  LoadedConfig c = LoadConfigString("proxy:\n  pools:\n    only:\n      servers: [\"h:1\"]\n", "t");
  CHECK(c.config.proxy.default_pool == "only");
  CHECK_FALSE(LoadConfigString("port: 1\n", "t").config.proxy.enabled);
}

TEST_CASE("proxy section: errors name the key and its line") {
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h\"]\n") ==
        "t.yaml:4: proxy.pools.m.servers[0]: expected \"host:port[:weight] [name]\", got 'h'");
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:0\"]\n")
            .find("t.yaml:4: proxy.pools.m.servers[0]:") == 0);
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:1:x\"]\n")
            .find("t.yaml:4: proxy.pools.m.servers[0]:") == 0);
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: []\n") ==
        "t.yaml:3: proxy.pools.m.servers: a pool needs at least one server");
  CHECK(ErrorOf("proxy:\n  pools: {}\n") == "t.yaml:1: proxy.pools: at least one pool is required");
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:1\"]\n  default_pool: x\n") ==
        "t.yaml:5: proxy.default_pool: unknown pool 'x'");
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:1\"]\n  routes:\n"
                "    - prefix: a\n      pool: nope\n") ==
        "t.yaml:7: proxy.routes[0].pool: unknown pool 'nope'");
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:1\"]\n  bogus: 1\n") ==
        "t.yaml:5: proxy.bogus: unknown key");
  CHECK(ErrorOf("proxy: 3\n") == "t.yaml:1: proxy: expected a mapping of proxy.* keys");
  CHECK(ErrorOf("proxy:\n  pools:\n    m:\n      servers: [\"h:1\"]\n      "
                "connections_per_server: 0\n")
            .find("t.yaml:5: proxy.pools.m.connections_per_server: must be between 1 and 64") == 0);
}

}  // namespace
}  // namespace corecached::config
