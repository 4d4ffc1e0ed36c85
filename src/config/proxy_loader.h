#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "config/config.h"

namespace corecached::config {

// Reads the `proxy:` section (issue #13) into *out and checks it whole: every pool has at least
// one well-formed server ("host:port[:weight] [name]"), distributions are known, default_pool and
// every route's pool and mirror name a pool. Throws ConfigError with the offending key
// ("proxy.pools.main.servers[1]") and its line. `line` is the line of the `proxy:` key.
// Thread: main (start-up and reload).
void LoadProxySection(const std::string& file, int line, const YAML::Node& node, ProxyConfig* out);

// The section as YAML that LoadProxySection reads back to the same ProxyConfig ("" when the
// section is absent); for --print-yaml. Thread: any.
std::string RenderProxyYaml(const ProxyConfig& proxy);

}  // namespace corecached::config
