#include "config/yaml_loader.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

#include "config/proxy_loader.h"
#include "config/tls_options.h"
#include "config/units.h"

namespace corecached::config {
namespace {

// Reads the value of one key and reports errors at that key's line.
class Field {
 public:
  Field(const std::string& file, std::string key, int line, const YAML::Node& value)
      : file_(file), key_(std::move(key)), line_(line), value_(value) {}

  [[noreturn]] void Fail(const std::string& message) const {
    throw ConfigError(file_, line_, key_, message);
  }

  [[nodiscard]] std::string Scalar(const char* expected) const {
    if (!value_.IsScalar()) {
      Fail(std::string("expected ") + expected + ", got " + Kind());
    }
    return value_.Scalar();
  }

  [[nodiscard]] std::string String() const { return Scalar("a string"); }

  [[nodiscard]] bool Bool() const {
    bool v = false;
    if (!YAML::convert<bool>::decode(value_, v)) {
      Fail("expected true or false, got '" + Scalar("true or false") + "'");
    }
    return v;
  }

  [[nodiscard]] int64_t Int(int64_t lo, int64_t hi) const {
    Parsed<int64_t> v = ParseInt(Scalar("an integer"));
    if (!v.Ok()) {
      Fail(v.error);
    }
    if (v.value < lo || v.value > hi) {
      Fail("must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
           std::to_string(v.value));
    }
    return v.value;
  }

  [[nodiscard]] uint32_t Uint32() const {
    return static_cast<uint32_t>(Int(0, std::numeric_limits<uint32_t>::max()));
  }

  [[nodiscard]] int32_t Port() const { return static_cast<int32_t>(Int(-1, 65535)); }

  [[nodiscard]] uint64_t Size() const { return Unwrap(ParseSize(Scalar("a size"))); }

  // Whole units of `unit_ms` (seconds for idle_timeout_s), from "30s", "5m" or a bare number.
  [[nodiscard]] uint32_t Duration(uint64_t unit_ms) const {
    const uint64_t ms = Unwrap(ParseDurationMs(Scalar("a duration"), unit_ms));
    if (ms % unit_ms != 0 || ms / unit_ms > std::numeric_limits<uint32_t>::max()) {
      Fail("must be a whole number of " + std::string(unit_ms == 1 ? "milliseconds" : "seconds"));
    }
    return static_cast<uint32_t>(ms / unit_ms);
  }

  [[nodiscard]] double Fraction() const {
    Parsed<double> v = ParseFraction(Scalar("a number"));
    if (!v.Ok()) {
      Fail(v.error);
    }
    return v.value;
  }

  [[nodiscard]] const YAML::Node& Node() const { return value_; }
  [[nodiscard]] const std::string& Key() const { return key_; }

 private:
  [[nodiscard]] uint64_t Unwrap(const Parsed<uint64_t>& v) const {
    if (!v.Ok()) {
      Fail(v.error);
    }
    return v.value;
  }

  [[nodiscard]] std::string Kind() const {
    if (value_.IsMap()) {
      return "a mapping";
    }
    if (value_.IsSequence()) {
      return "a list";
    }
    return "nothing";
  }

  const std::string& file_;
  std::string key_;
  int line_;
  const YAML::Node& value_;
};

LogLevel ReadLogLevel(const Field& f) {
  const std::string s = f.Scalar("a log level");
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (s == ToString(l)) {
      return l;
    }
  }
  f.Fail("must be one of error, warn, info, debug; got '" + s + "'");
}

OnColdRead ReadOnColdRead(const Field& f) {
  const std::string s = f.Scalar("wait or retry");
  if (s == "wait") {
    return OnColdRead::kWait;
  }
  if (s == "retry") {
    return OnColdRead::kRetry;
  }
  f.Fail("must be wait or retry, got '" + s + "'");
}

// tls.min_version: "tlsv1.2" / "tlsv1.3" (or memcached's 0..3).
uint32_t ReadTlsMinVersion(const Field& f) {
  const std::string s = f.Scalar("a TLS version");
  if (std::optional<uint32_t> v = ParseTlsMinVersion(s)) {
    return *v;
  }
  f.Fail("must be one of tlsv1.0, tlsv1.1, tlsv1.2, tlsv1.3 (or 0..3); got '" + s + "'");
}

// tls.allowed_subjects: a list of strings.
std::vector<std::string> ReadStringList(const Field& f) {
  if (!f.Node().IsSequence()) {
    f.Fail("expected a list of strings");
  }
  std::vector<std::string> out;
  for (const YAML::Node& item : f.Node()) {
    if (!item.IsScalar()) {
      f.Fail("expected a list of strings");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

Protocol ReadProtocol(const Field& f) {
  const Parsed<Protocol> p = ParseProtocol(f.Scalar("auto, ascii or binary"));
  if (!p.Ok()) {
    f.Fail(p.error);
  }
  return p.value;
}

uint32_t ReadMask(const Field& f) {
  const Parsed<uint32_t> p = ParseOctalMask(f.Scalar("an octal file mode"));
  if (!p.Ok()) {
    f.Fail(p.error);
  }
  return p.value;
}

using Setter = void (*)(const Field&, Config&);

struct KeyHandler {
  std::string_view key;  // dotted
  Setter set;
};

constexpr KeyHandler kHandlers[] = {
    {"listen", [](const Field& f, Config& c) { c.listen = f.String(); }},
    {"port", [](const Field& f, Config& c) { c.port = f.Port(); }},
    {"udp_port", [](const Field& f, Config& c) { c.udp_port = f.Port(); }},
    {"unix_socket", [](const Field& f, Config& c) { c.unix_socket = f.String(); }},
    {"unix_socket_mask", [](const Field& f, Config& c) { c.unix_socket_mask = ReadMask(f); }},
    {"listen_backlog", [](const Field& f, Config& c) { c.listen_backlog = f.Uint32(); }},
    {"protocol", [](const Field& f, Config& c) { c.protocol = ReadProtocol(f); }},
    {"memory_limit_mb", [](const Field& f, Config& c) { c.memory_limit_mb = f.Uint32(); }},
    {"max_connections", [](const Field& f, Config& c) { c.max_connections = f.Uint32(); }},
    {"max_item_size", [](const Field& f, Config& c) { c.max_item_size_bytes = f.Size(); }},
    {"network_threads", [](const Field& f, Config& c) { c.network_threads = f.Uint32(); }},
    {"shards", [](const Field& f, Config& c) { c.shards = f.Uint32(); }},
    {"enable_shutdown", [](const Field& f, Config& c) { c.enable_shutdown = f.Bool(); }},
    {"verbosity", [](const Field& f, Config& c) { c.verbosity = f.Uint32(); }},
    {"idle_timeout_s", [](const Field& f, Config& c) { c.idle_timeout_s = f.Duration(1000); }},
    {"max_reqs_per_event", [](const Field& f, Config& c) { c.max_reqs_per_event = f.Uint32(); }},
    {"evict_on_full", [](const Field& f, Config& c) { c.evict_on_full = f.Bool(); }},
    {"cas_enabled", [](const Field& f, Config& c) { c.cas_enabled = f.Bool(); }},
    {"flush_enabled", [](const Field& f, Config& c) { c.flush_enabled = f.Bool(); }},
    {"watch_enabled", [](const Field& f, Config& c) { c.watch_enabled = f.Bool(); }},
    {"lock_memory", [](const Field& f, Config& c) { c.lock_memory = f.Bool(); }},
    {"daemonize", [](const Field& f, Config& c) { c.daemonize = f.Bool(); }},
    {"pid_file", [](const Field& f, Config& c) { c.pid_file = f.String(); }},
    {"user", [](const Field& f, Config& c) { c.user = f.String(); }},
    {"max_connection_output",
     [](const Field& f, Config& c) { c.max_connection_output_bytes = f.Size(); }},
    {"log_level", [](const Field& f, Config& c) { c.log_level = ReadLogLevel(f); }},
    {"slow_client_timeout_s",
     [](const Field& f, Config& c) { c.slow_client_timeout_s = f.Duration(1000); }},
    {"auth.file", [](const Field& f, Config& c) { c.auth.file = f.String(); }},
    {"metrics.enabled", [](const Field& f, Config& c) { c.metrics.enabled = f.Bool(); }},
    {"metrics.listen", [](const Field& f, Config& c) { c.metrics.listen = f.String(); }},
    {"cold_tier.enabled", [](const Field& f, Config& c) { c.cold_tier.enabled = f.Bool(); }},
    {"cold_tier.path", [](const Field& f, Config& c) { c.cold_tier.path = f.String(); }},
    {"cold_tier.max_size",
     [](const Field& f, Config& c) { c.cold_tier.max_size_bytes = f.Size(); }},
    {"cold_tier.high_watermark",
     [](const Field& f, Config& c) { c.cold_tier.high_watermark = f.Fraction(); }},
    {"cold_tier.low_watermark",
     [](const Field& f, Config& c) { c.cold_tier.low_watermark = f.Fraction(); }},
    {"cold_tier.on_cold_read",
     [](const Field& f, Config& c) { c.cold_tier.on_cold_read = ReadOnColdRead(f); }},
    {"cold_tier.reader_threads",
     [](const Field& f, Config& c) { c.cold_tier.reader_threads = f.Uint32(); }},
    {"cold_tier.inline_reads",
     [](const Field& f, Config& c) { c.cold_tier.inline_reads = f.Bool(); }},
    {"backpressure.max_queue_depth",
     [](const Field& f, Config& c) { c.backpressure.max_queue_depth = f.Uint32(); }},
    {"backpressure.max_queue_delay_ms",
     [](const Field& f, Config& c) { c.backpressure.max_queue_delay_ms = f.Duration(1); }},
    {"tls.enabled", [](const Field& f, Config& c) { c.tls.enabled = f.Bool(); }},
    {"tls.chain_cert", [](const Field& f, Config& c) { c.tls.chain_cert = f.String(); }},
    {"tls.key", [](const Field& f, Config& c) { c.tls.key = f.String(); }},
    {"tls.key_format",
     [](const Field& f, Config& c) { c.tls.key_format = static_cast<uint32_t>(f.Int(1, 2)); }},
    {"tls.ca_cert", [](const Field& f, Config& c) { c.tls.ca_cert = f.String(); }},
    {"tls.ciphers", [](const Field& f, Config& c) { c.tls.ciphers = f.String(); }},
    {"tls.verify_mode",
     [](const Field& f, Config& c) { c.tls.verify_mode = static_cast<uint32_t>(f.Int(0, 3)); }},
    {"tls.min_version",
     [](const Field& f, Config& c) { c.tls.min_version = ReadTlsMinVersion(f); }},
    {"tls.session_cache", [](const Field& f, Config& c) { c.tls.session_cache = f.Bool(); }},
    {"tls.kernel_tls", [](const Field& f, Config& c) { c.tls.kernel_tls = f.Bool(); }},
    {"tls.wbuf_size", [](const Field& f, Config& c) { c.tls.wbuf_size_bytes = f.Size(); }},
    {"tls.allowed_subjects",
     [](const Field& f, Config& c) { c.tls.allowed_subjects = ReadStringList(f); }},
    {"tls.handshake_timeout_ms",
     [](const Field& f, Config& c) { c.tls.handshake_timeout_ms = f.Duration(1); }},
    {"tls.max_handshakes_per_thread",
     [](const Field& f, Config& c) { c.tls.max_handshakes_per_thread = f.Uint32(); }},
};

constexpr std::string_view kSections[] = {"metrics", "cold_tier", "backpressure", "auth", "tls"};

bool IsSection(std::string_view key) {
  for (std::string_view s : kSections) {
    if (s == key) {
      return true;
    }
  }
  return false;
}

const KeyHandler* FindHandler(std::string_view key) {
  for (const KeyHandler& h : kHandlers) {
    if (h.key == key) {
      return &h;
    }
  }
  return nullptr;
}

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

class Loader {
 public:
  explicit Loader(const std::string& file) { loaded_.origins.file = file; }

  void LoadMap(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (const auto& entry : map) {
      const int line = LineOf(entry.first);
      const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "?";
      const std::string key = prefix.empty() ? name : std::string(prefix).append(".").append(name);
      if (!seen.insert(name).second) {
        throw ConfigError(File(), line, key, "duplicate key");
      }
      LoadKey(key, line, entry.second);
    }
  }

  LoadedConfig Finish() {
    ValidateKeys(loaded_.config, loaded_.origins);
    return std::move(loaded_);
  }

  [[nodiscard]] const std::string& File() const { return loaded_.origins.file; }

 private:
  void LoadKey(const std::string& key, int line, const YAML::Node& value) {
    if (key == "proxy") {
      LoadProxySection(File(), line, value, &loaded_.config.proxy);
      loaded_.origins.lines[key] = line;
      return;
    }
    if (key.find('.') == std::string::npos && IsSection(key)) {
      if (!value.IsMap()) {
        throw ConfigError(File(), line, key, "expected a mapping of " + key + ".* keys");
      }
      LoadMap(value, key);
      return;
    }
    const KeyHandler* handler = FindHandler(key);
    if (handler == nullptr) {
      throw ConfigError(File(), line, key, "unknown key");
    }
    handler->set(Field(File(), key, line, value), loaded_.config);
    loaded_.origins.lines[key] = line;
  }

  LoadedConfig loaded_;
};

YAML::Node Parse(std::string_view yaml, const std::string& name) {
  try {
    return YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw ConfigError(name, e.mark.line >= 0 ? e.mark.line + 1 : 0, "", "malformed YAML: " + e.msg);
  }
}

}  // namespace

LoadedConfig LoadConfigString(std::string_view yaml, const std::string& name) {
  const YAML::Node root = Parse(yaml, name);
  Loader loader(name);
  if (root.IsNull()) {
    return loader.Finish();
  }
  if (!root.IsMap()) {
    throw ConfigError(name, LineOf(root), "", "the top level must be a mapping of keys");
  }
  loader.LoadMap(root, "");
  return loader.Finish();
}

LoadedConfig LoadConfigFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(path, 0, "", "cannot read: is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    throw ConfigError(path, 0, "", "cannot read: " + std::generic_category().message(err));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw ConfigError(path, 0, "", "cannot read: I/O error");
  }
  return LoadConfigString(text.str(), path);
}

}  // namespace corecached::config
