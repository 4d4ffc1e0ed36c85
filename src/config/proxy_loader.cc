#include "config/proxy_loader.h"

#include <charconv>
#include <limits>
#include <set>

#include "config/units.h"

namespace corecached::config {
namespace {

class ProxyLoader {
 public:
  ProxyLoader(const std::string& file, ProxyConfig* out) : file_(file), out_(out) {}

  [[noreturn]] void Fail(const YAML::Node& at, const std::string& key,
                         const std::string& message) const {
    throw ConfigError(file_, at.Mark().line + 1, key, message);
  }

  void Load(const YAML::Node& node, int line) {
    if (!node.IsMap()) {
      throw ConfigError(file_, line, "proxy", "expected a mapping of proxy.* keys");
    }
    out_->enabled = true;
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const std::string key = "proxy." + name;
      if (name == "pools") {
        LoadPools(entry.first, entry.second);
      } else if (name == "default_pool") {
        out_->default_pool = Scalar(entry.second, key);
        default_line_ = entry.first;
      } else if (name == "routes") {
        routes_node_ = entry.second;
        has_routes_ = true;
      } else if (name == "local_cache") {
        LoadLocalCache(entry.second);
      } else if (name == "max_in_flight") {
        out_->max_in_flight_bytes = Size(entry.second, key);
      } else {
        Fail(entry.first, key, "unknown key");
      }
    }
    if (out_->pools.empty()) {
      throw ConfigError(file_, line, "proxy.pools", "at least one pool is required");
    }
    CheckDefaultPool(line);
    if (has_routes_) {
      LoadRoutes(routes_node_);
    }
  }

 private:
  std::string Scalar(const YAML::Node& n, const std::string& key) const {
    if (!n.IsScalar()) {
      Fail(n, key, "expected a string");
    }
    return n.Scalar();
  }

  uint32_t Uint(const YAML::Node& n, const std::string& key, int64_t lo, int64_t hi) const {
    Parsed<int64_t> v = ParseInt(Scalar(n, key));
    if (!v.Ok()) {
      Fail(n, key, v.error);
    }
    if (v.value < lo || v.value > hi) {
      Fail(n, key,
           "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
               std::to_string(v.value));
    }
    return static_cast<uint32_t>(v.value);
  }

  uint64_t Size(const YAML::Node& n, const std::string& key) const {
    Parsed<uint64_t> v = ParseSize(Scalar(n, key));
    if (!v.Ok()) {
      Fail(n, key, v.error);
    }
    return v.value;
  }

  bool Bool(const YAML::Node& n, const std::string& key) const {
    bool v = false;
    if (!YAML::convert<bool>::decode(n, v)) {
      Fail(n, key, "expected true or false");
    }
    return v;
  }

  void LoadPools(const YAML::Node& key_node, const YAML::Node& pools) {
    if (!pools.IsMap()) {
      Fail(key_node, "proxy.pools", "expected a mapping of pool names");
    }
    for (const auto& entry : pools) {
      ProxyPoolConfig pool;
      pool.name = entry.first.Scalar();
      LoadPool(entry.first, entry.second, &pool);
      out_->pools.push_back(std::move(pool));
    }
  }

  void LoadPool(const YAML::Node& key_node, const YAML::Node& node, ProxyPoolConfig* pool) {
    const std::string prefix = "proxy.pools." + pool->name;
    if (!node.IsMap()) {
      Fail(key_node, prefix, "expected a mapping of pool keys");
    }
    bool has_servers = false;
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const std::string key = std::string(prefix).append(".").append(name);
      const YAML::Node& v = entry.second;
      if (name == "servers") {
        has_servers = true;
        LoadServers(entry.first, v, key, pool);
      } else if (name == "distribution") {
        pool->distribution = Scalar(v, key);
        if (pool->distribution != "ketama" && pool->distribution != "ketama_twemproxy" &&
            pool->distribution != "modula") {
          Fail(v, key,
               "must be ketama, ketama_twemproxy or modula; got '" + pool->distribution + "'");
        }
      } else if (name == "timeout_ms") {
        pool->timeout_ms = Uint(v, key, 1, 3'600'000);
      } else if (name == "server_failure_limit") {
        pool->server_failure_limit = Uint(v, key, 0, 1'000'000);
      } else if (name == "server_retry_timeout_ms") {
        pool->server_retry_timeout_ms = Uint(v, key, 1, 86'400'000);
      } else if (name == "connections_per_server") {
        pool->connections_per_server = Uint(v, key, 1, 64);
      } else {
        Fail(entry.first, key, "unknown key");
      }
    }
    if (!has_servers || pool->servers.empty()) {
      Fail(key_node, prefix + ".servers", "a pool needs at least one server");
    }
  }

  void LoadServers(const YAML::Node& key_node, const YAML::Node& list, const std::string& key,
                   ProxyPoolConfig* pool) {
    if (!list.IsSequence()) {
      Fail(key_node, key, "expected a list of \"host:port[:weight]\"");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string item_key = key + "[" + std::to_string(i) + "]";
      pool->servers.push_back(ParseServer(list[i], item_key));
    }
  }

  // "host:port[:weight] [name]" (nutcracker's server line).
  ProxyServerConfig ParseServer(const YAML::Node& n, const std::string& key) const {
    const std::string text = Scalar(n, key);
    ProxyServerConfig s;
    std::string addr = text;
    if (std::size_t sp = text.find(' '); sp != std::string::npos) {
      addr = text.substr(0, sp);
      s.name = text.substr(sp + 1);
    }
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t colon = addr.find(':'); colon != std::string::npos;
         colon = addr.find(':', start)) {
      parts.push_back(addr.substr(start, colon - start));
      start = colon + 1;
    }
    parts.push_back(addr.substr(start));
    auto number = [](const std::string& p, uint64_t lo, uint64_t hi, uint64_t* v) {
      auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), *v);
      return ec == std::errc() && ptr == p.data() + p.size() && *v >= lo && *v <= hi;
    };
    uint64_t port = 0;
    uint64_t weight = 1;
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() ||
        !number(parts[1], 1, 65535, &port) ||
        (parts.size() == 3 && !number(parts[2], 1, 1'000'000, &weight)) ||
        s.name.find(' ') != std::string::npos) {
      Fail(n, key, "expected \"host:port[:weight] [name]\", got '" + text + "'");
    }
    s.host = parts[0];
    s.port = static_cast<uint16_t>(port);
    s.weight = static_cast<uint32_t>(weight);
    return s;
  }

  bool HasPool(const std::string& name) const {
    for (const ProxyPoolConfig& p : out_->pools) {
      if (p.name == name) {
        return true;
      }
    }
    return false;
  }

  void CheckDefaultPool(int line) {
    if (out_->default_pool.empty()) {
      if (out_->pools.size() > 1) {
        throw ConfigError(file_, line, "proxy.default_pool",
                          "required when there is more than one pool");
      }
      out_->default_pool = out_->pools.front().name;
      return;
    }
    if (!HasPool(out_->default_pool)) {
      Fail(default_line_, "proxy.default_pool", "unknown pool '" + out_->default_pool + "'");
    }
  }

  void LoadRoutes(const YAML::Node& list) {
    if (!list.IsSequence()) {
      Fail(list, "proxy.routes", "expected a list of {prefix, pool, mirror}");
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string key = "proxy.routes[" + std::to_string(i) + "]";
      const YAML::Node& r = list[i];
      if (!r.IsMap()) {
        Fail(r, key, "expected a mapping with prefix and pool");
      }
      ProxyRouteConfig route;
      for (const auto& entry : r) {
        LoadRouteKey(entry.first, entry.second, key + "." + entry.first.Scalar(), &route);
      }
      if (route.pool.empty()) {
        Fail(r, key + ".pool", "a route needs a pool");
      }
      out_->routes.push_back(std::move(route));
    }
  }

  void LoadRouteKey(const YAML::Node& k, const YAML::Node& v, const std::string& key,
                    ProxyRouteConfig* route) {
    const std::string& name = k.Scalar();
    if (name == "prefix") {
      route->prefix = Scalar(v, key);
    } else if (name == "pool") {
      route->pool = Scalar(v, key);
      if (!HasPool(route->pool)) {
        Fail(v, key, "unknown pool '" + route->pool + "'");
      }
    } else if (name == "mirror") {
      if (!v.IsSequence()) {
        Fail(v, key, "expected a list of pool names");
      }
      for (const auto& m : v) {
        std::string pool = Scalar(m, key);
        if (!HasPool(pool)) {
          Fail(m, key, "unknown pool '" + pool + "'");
        }
        route->mirror.push_back(std::move(pool));
      }
    } else {
      Fail(k, key, "unknown key");
    }
  }

  void LoadLocalCache(const YAML::Node& node) {
    if (!node.IsMap()) {
      Fail(node, "proxy.local_cache", "expected a mapping of local_cache keys");
    }
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      const std::string key = "proxy.local_cache." + name;
      if (name == "enabled") {
        out_->local_cache_enabled = Bool(entry.second, key);
      } else if (name == "ttl_ms") {
        out_->local_cache_ttl_ms = Uint(entry.second, key, 1, 86'400'000);
      } else if (name == "max_size") {
        out_->local_cache_max_bytes = Size(entry.second, key);
      } else {
        Fail(entry.first, key, "unknown key");
      }
    }
  }

  const std::string& file_;
  ProxyConfig* out_;
  YAML::Node default_line_;
  YAML::Node routes_node_;
  bool has_routes_ = false;
};

}  // namespace

namespace {
std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') {
      out.push_back('\\');
    }
    out.push_back(ch);
  }
  return out.append("\"");
}

void RenderPool(const ProxyPoolConfig& pool, std::string* out) {
  out->append("    ").append(Quoted(pool.name)).append(":\n      servers: [");
  for (std::size_t i = 0; i < pool.servers.size(); ++i) {
    const ProxyServerConfig& s = pool.servers[i];
    std::string spec = s.host + ":" + std::to_string(s.port) + ":" + std::to_string(s.weight);
    if (!s.name.empty()) {
      spec.append(" ").append(s.name);
    }
    out->append(i == 0 ? "" : ", ").append(Quoted(spec));
  }
  out->append("]\n      distribution: ").append(pool.distribution);
  out->append("\n      timeout_ms: ").append(std::to_string(pool.timeout_ms));
  out->append("\n      server_failure_limit: ").append(std::to_string(pool.server_failure_limit));
  out->append("\n      server_retry_timeout_ms: ")
      .append(std::to_string(pool.server_retry_timeout_ms));
  out->append("\n      connections_per_server: ")
      .append(std::to_string(pool.connections_per_server))
      .append("\n");
}
}  // namespace

std::string RenderProxyYaml(const ProxyConfig& proxy) {
  if (!proxy.enabled) {
    return "";
  }
  std::string out = "proxy:\n  pools:\n";
  for (const ProxyPoolConfig& pool : proxy.pools) {
    RenderPool(pool, &out);
  }
  out.append("  default_pool: ").append(Quoted(proxy.default_pool)).append("\n");
  if (!proxy.routes.empty()) {
    out.append("  routes:\n");
  }
  for (const ProxyRouteConfig& r : proxy.routes) {
    out.append("    - prefix: ").append(Quoted(r.prefix));
    out.append("\n      pool: ").append(Quoted(r.pool)).append("\n      mirror: [");
    for (std::size_t i = 0; i < r.mirror.size(); ++i) {
      out.append(i == 0 ? "" : ", ").append(Quoted(r.mirror[i]));
    }
    out.append("]\n");
  }
  out.append("  max_in_flight: ").append(std::to_string(proxy.max_in_flight_bytes));
  out.append("\n  local_cache:\n    enabled: ")
      .append(proxy.local_cache_enabled ? "true" : "false");
  out.append("\n    ttl_ms: ").append(std::to_string(proxy.local_cache_ttl_ms));
  out.append("\n    max_size: ").append(std::to_string(proxy.local_cache_max_bytes)).append("\n");
  return out;
}

void LoadProxySection(const std::string& file, int line, const YAML::Node& node, ProxyConfig* out) {
  *out = ProxyConfig{};
  ProxyLoader(file, out).Load(node, line);
}

}  // namespace corecached::config
