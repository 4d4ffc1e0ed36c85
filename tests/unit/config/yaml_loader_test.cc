#include "config/yaml_loader.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace corecached::config {
namespace {

namespace fs = std::filesystem;

// The repository's conf/corecached.yaml. CORECACHED_CONF_FILE may be defined by the build;
// otherwise walk up from the test binary (build-*/tests/unit/config/) to the source root.
fs::path RepoConfFile() {
#ifdef CORECACHED_CONF_FILE
  return CORECACHED_CONF_FILE;
#else
  if (const char* root = std::getenv("CORECACHED_SOURCE_ROOT")) {
    return fs::path(root) / "conf" / "corecached.yaml";
  }
  for (fs::path dir : {fs::read_symlink("/proc/self/exe").parent_path(), fs::current_path()}) {
    for (; dir.has_relative_path(); dir = dir.parent_path()) {
      if (fs::exists(dir / "conf" / "corecached.yaml") && fs::exists(dir / "src" / "config")) {
        return dir / "conf" / "corecached.yaml";
      }
    }
  }
  return "conf/corecached.yaml";
#endif
}

// Loads `yaml` expecting a ConfigError; returns it.
ConfigError LoadError(const std::string& yaml) {
  try {
    (void)LoadConfigString(yaml, "test.yaml");
  } catch (const ConfigError& e) {
    return e;
  }
  FAIL("no ConfigError for: " << yaml);
  return ConfigError("", 0, "", "");
}

void CheckError(const std::string& yaml, int line, const std::string& key, const char* part) {
  CAPTURE(yaml);
  const ConfigError e = LoadError(yaml);
  CHECK(e.file == "test.yaml");
  CHECK(e.line == line);
  CHECK(e.key == key);
  CHECK(e.message.find(part) != std::string::npos);
  const std::string prefix = "test.yaml:" + std::to_string(line) + ": " + key + ": ";
  CHECK(std::string(e.what()).rfind(prefix, 0) == 0);
}

TEST_CASE("LoadConfigString: empty input gives the defaults") {
  for (const char* empty : {"", "\n", "# only a comment\n", "---\n"}) {
    const LoadedConfig l = LoadConfigString(empty);
    CHECK(l.config.port == 11211);
    CHECK(l.config.listen == "127.0.0.1");
    CHECK(l.origins.lines.empty());
  }
}

TEST_CASE("LoadConfigString: every top-level key") {
  const LoadedConfig l = LoadConfigString(
      "listen: 0.0.0.0\n"
      "port: -1\n"
      "udp_port: 11311\n"
      "memory_limit_mb: 1024\n"
      "max_connections: 4096\n"
      "max_item_size: 2m\n"
      "network_threads: 8\n"
      "shards: 16\n"
      "enable_shutdown: true\n"
      "verbosity: 2\n"
      "idle_timeout_s: 5m\n"
      "max_connection_output: 8m\n"
      "log_level: debug\n");
  const Config& c = l.config;
  CHECK(c.listen == "0.0.0.0");
  CHECK(c.port == -1);
  CHECK(c.udp_port == 11311);
  CHECK(c.memory_limit_mb == 1024);
  CHECK(c.max_connections == 4096);
  CHECK(c.max_item_size_bytes == 2 * kMiB);
  CHECK(c.network_threads == 8);
  CHECK(c.shards == 16);
  CHECK(c.enable_shutdown);
  CHECK(c.verbosity == 2);
  CHECK(c.idle_timeout_s == 300);
  CHECK(c.max_connection_output_bytes == 8 * kMiB);
  CHECK(c.log_level == LogLevel::kDebug);
  CHECK(l.origins.file == "<string>");
  CHECK(l.origins.lines.at("listen") == 1);
  CHECK(l.origins.lines.at("log_level") == 13);
}

TEST_CASE("LoadConfigString: every section key") {
  const LoadedConfig l = LoadConfigString(
      "metrics:\n"
      "  enabled: yes\n"
      "  listen: 0.0.0.0:9999\n"
      "cold_tier:\n"
      "  enabled: true\n"
      "  path: /var/lib/corecached\n"
      "  max_size: 10G\n"
      "  high_watermark: 0.95\n"
      "  low_watermark: 0.5\n"
      "  on_cold_read: retry\n"
      "  reader_threads: 5\n"
      "  inline_reads: false\n"
      "backpressure:\n"
      "  max_queue_depth: 100\n"
      "  max_queue_delay_ms: 2s\n");
  const Config& c = l.config;
  CHECK(c.metrics.enabled);
  CHECK(c.metrics.listen == "0.0.0.0:9999");
  CHECK(c.cold_tier.enabled);
  CHECK(c.cold_tier.path == "/var/lib/corecached");
  CHECK(c.cold_tier.max_size_bytes == 10 * kGiB);
  CHECK(c.cold_tier.high_watermark == doctest::Approx(0.95));
  CHECK(c.cold_tier.low_watermark == doctest::Approx(0.5));
  CHECK(c.cold_tier.on_cold_read == OnColdRead::kRetry);
  CHECK(c.cold_tier.reader_threads == 5);
  CHECK_FALSE(c.cold_tier.inline_reads);
  CHECK(c.backpressure.max_queue_depth == 100);
  CHECK(c.backpressure.max_queue_delay_ms == 2000);
  CHECK(l.origins.lines.at("cold_tier.on_cold_read") == 10);
  CHECK(c.port == 11211);  // untouched keys keep their defaults
}

TEST_CASE("LoadConfigString: sizes and durations in their other spellings") {
  CHECK(LoadConfigString("max_item_size: 1048576\n").config.max_item_size_bytes == kMiB);
  CHECK(LoadConfigString("max_item_size: 512k\n").config.max_item_size_bytes == 512 * kKiB);
  CHECK(LoadConfigString("max_item_size: \"1m\"\n").config.max_item_size_bytes == kMiB);
  CHECK(LoadConfigString("idle_timeout_s: 30\n").config.idle_timeout_s == 30);
  CHECK(LoadConfigString("idle_timeout_s: 2000ms\n").config.idle_timeout_s == 2);
  CHECK(LoadConfigString("backpressure: {max_queue_delay_ms: 7}\n")
            .config.backpressure.max_queue_delay_ms == 7);
  CHECK(LoadConfigString("log_level: warn\n").config.log_level == LogLevel::kWarn);
  CHECK(LoadConfigString("log_level: error\n").config.log_level == LogLevel::kError);
  CHECK(LoadConfigString("enable_shutdown: off\n").config.enable_shutdown == false);
}

TEST_CASE("LoadConfigString: unknown keys at any level") {
  CheckError("port: 1\nmemory_limit: 64\n", 2, "memory_limit", "unknown key");
  CheckError("metrics:\n  enabled: false\n  port: 9150\n", 3, "metrics.port", "unknown key");
  CheckError("cold_tier:\n  dir: /x\n", 2, "cold_tier.dir", "unknown key");
  CheckError("backpressure:\n\n  depth: 1\n", 3, "backpressure.depth", "unknown key");
  CheckError("port: 1\nport: 2\n", 2, "port", "duplicate key");
}

TEST_CASE("LoadConfigString: wrong types") {
  CheckError("port: abc\n", 1, "port", "not an integer");
  CheckError("port: 11211.5\n", 1, "port", "not an integer");
  CheckError("port:\n", 1, "port", "expected an integer");
  CheckError("\nlisten: [a, b]\n", 2, "listen", "expected a string, got a list");
  CheckError("enable_shutdown: maybe\n", 1, "enable_shutdown", "expected true or false");
  CheckError("metrics: true\n", 1, "metrics", "expected a mapping");
  CheckError("memory_limit_mb: {a: 1}\n", 1, "memory_limit_mb", "got a mapping");
  CheckError("cold_tier:\n  high_watermark: high\n", 2, "cold_tier.high_watermark", "not a number");
  CheckError("cold_tier:\n  on_cold_read: block\n", 2, "cold_tier.on_cold_read",
             "must be wait or retry");
  CheckError("log_level: loud\n", 1, "log_level", "must be one of");
}

TEST_CASE("LoadConfigString: bad sizes and durations") {
  CheckError("max_item_size: -1m\n", 1, "max_item_size", "not a size");
  CheckError("max_item_size: 12q\n", 1, "max_item_size", "'12q'");
  CheckError("max_connection_output: \"\"\n", 1, "max_connection_output", "size is required");
  CheckError("cold_tier:\n  max_size: 99999999999g\n", 2, "cold_tier.max_size", "too large");
  CheckError("idle_timeout_s: 1500ms\n", 1, "idle_timeout_s", "whole number of seconds");
  CheckError("idle_timeout_s: soon\n", 1, "idle_timeout_s", "not a duration");
  CheckError("memory_limit_mb: -64\n", 1, "memory_limit_mb", "between 0 and 4294967295");
  CheckError("max_connections: 99999999999\n", 1, "max_connections", "between 0 and");
}

TEST_CASE("LoadConfigString: out-of-range values name key and line") {
  CheckError("# c\nport: 70000\n", 2, "port", "between -1 and 65535");
  CheckError("max_reqs_per_event: 0\n", 1, "max_reqs_per_event", "must be greater than 0");
  CheckError("listen_backlog: -1\n", 1, "listen_backlog", "between 0 and");
  CheckError("protocol: text\n", 1, "protocol", "Invalid value for binding protocol: text");
  CheckError("unix_socket_mask: 800\n", 1, "unix_socket_mask", "not an octal file mode");
  CheckError("cas_enabled: maybe\n", 1, "cas_enabled", "expected true or false");
  CheckError("network_threads: 0\n", 1, "network_threads", "between 1 and 256");
  CheckError("network_threads: 257\n", 1, "network_threads", "between 1 and 256");
  CheckError("shards: 1000\n", 1, "shards", "between 0 and 256");
  CheckError("memory_limit_mb: 0\n", 1, "memory_limit_mb", "between 1 and");
  CheckError("max_connections: 0\n", 1, "max_connections", "between 1 and");
  CheckError("max_item_size: 512\n", 1, "max_item_size", "at least 1k");
  CheckError("max_item_size: 2g\n", 1, "max_item_size", "at most 1g");
  CheckError("verbosity: 4\n", 1, "verbosity", "between 0 and 3");
  CheckError("listen: \"\"\n", 1, "listen", "must not be empty");
  CheckError("max_connection_output: 1k\n", 1, "max_connection_output", "at least 4k");
  CheckError("cold_tier:\n  low_watermark: 0\n", 2, "cold_tier.low_watermark", "above 0");
  CheckError("cold_tier:\n  high_watermark: 1.5\n", 2, "cold_tier.high_watermark", "at most 1");
  CheckError("backpressure:\n  max_queue_depth: 0\n", 2, "backpressure.max_queue_depth",
             "between 1 and");
  CheckError("metrics:\n  enabled: true\n  listen: nowhere\n", 3, "metrics.listen", "host:port");
}

TEST_CASE("LoadConfigString: cross-key checks wait for Validate") {
  // Half the memory limit is checked after flags are applied: -m may still raise the limit.
  const LoadedConfig l = LoadConfigString("memory_limit_mb: 2\nmax_item_size: 4m\n");
  CHECK(l.config.max_item_size_bytes == 4 * kMiB);
}

TEST_CASE("LoadConfigString: malformed YAML names the line") {
  ConfigError e = LoadError("port: 1\nlisten: [unclosed\n");
  CHECK(e.file == "test.yaml");
  CHECK(e.line >= 2);
  CHECK(e.message.find("malformed YAML") != std::string::npos);
  e = LoadError("port: 1\n  bad indent: 2\n");
  CHECK(e.line == 2);
  CHECK(std::string(e.what()).rfind("test.yaml:2: malformed YAML", 0) == 0);
  e = LoadError("- a\n- b\n");
  CHECK(e.message.find("mapping") != std::string::npos);
  CHECK(e.line == 1);
}

TEST_CASE("LoadConfigFile: missing file, directory, real file") {
  try {
    (void)LoadConfigFile("/nonexistent/corecached.yaml");
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) ==
          "/nonexistent/corecached.yaml: cannot read: No such file or directory");
  }
  CHECK_THROWS_AS((void)LoadConfigFile("/"), ConfigError);

  const fs::path path = fs::temp_directory_path() / ("cc_cfg_" + std::to_string(::getpid()));
  std::ofstream(path) << "port: 1\n\nshards: nope\n";
  try {
    (void)LoadConfigFile(path.string());
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()) == path.string() + ":3: shards: 'nope' is not an integer");
  }
  fs::remove(path);
}

// The packaged file (installed as /etc/corecached/corecached.yaml) turns the cold tier on in the
// service's state directory (issue #4); every other key holds the embedded default.
TEST_CASE("conf/corecached.yaml loads, sets every key, and holds the defaults but the cold tier") {
  const fs::path conf = RepoConfFile();
  CAPTURE(conf);
  REQUIRE(fs::exists(conf));
  const LoadedConfig l = LoadConfigFile(conf.string());
  CHECK(l.origins.lines.size() == 54);  // every key of config.h is written out (14 tls.*)
  const Config d;
  const Config& c = l.config;
  CHECK(c.listen == d.listen);
  CHECK(c.port == d.port);
  CHECK(c.udp_port == 0);
  CHECK(c.unix_socket == d.unix_socket);
  CHECK(c.unix_socket_mask == d.unix_socket_mask);
  CHECK(c.listen_backlog == d.listen_backlog);
  CHECK(c.protocol == d.protocol);
  CHECK(c.max_reqs_per_event == d.max_reqs_per_event);
  CHECK(c.evict_on_full == d.evict_on_full);
  CHECK(c.cas_enabled == d.cas_enabled);
  CHECK(c.flush_enabled == d.flush_enabled);
  CHECK(c.watch_enabled == d.watch_enabled);
  CHECK(c.lock_memory == d.lock_memory);
  CHECK(c.daemonize == d.daemonize);
  CHECK(c.pid_file == d.pid_file);
  CHECK(c.user == d.user);
  CHECK(c.memory_limit_mb == d.memory_limit_mb);
  CHECK(c.max_connections == d.max_connections);
  CHECK(c.max_item_size_bytes == d.max_item_size_bytes);
  CHECK(c.network_threads == d.network_threads);
  CHECK(c.shards == d.shards);
  CHECK(c.enable_shutdown == d.enable_shutdown);
  CHECK(c.verbosity == d.verbosity);
  CHECK(c.idle_timeout_s == d.idle_timeout_s);
  CHECK(c.max_connection_output_bytes == d.max_connection_output_bytes);
  CHECK(c.log_level == d.log_level);
  CHECK(c.metrics.enabled == d.metrics.enabled);
  CHECK(c.metrics.listen == d.metrics.listen);
  CHECK(c.tls.enabled == d.tls.enabled);
  CHECK(c.tls.min_version == d.tls.min_version);
  CHECK(c.tls.wbuf_size_bytes == d.tls.wbuf_size_bytes);
  CHECK(c.tls.handshake_timeout_ms == d.tls.handshake_timeout_ms);
  CHECK(c.tls.max_handshakes_per_thread == d.tls.max_handshakes_per_thread);
  CHECK_FALSE(d.cold_tier.enabled);                       // embedded default: off
  CHECK(c.cold_tier.enabled);                             // packaged: on...
  CHECK(c.cold_tier.path == "/var/lib/corecached/cold");  // ...under StateDirectory=corecached
  CHECK(c.cold_tier.max_size_bytes == d.cold_tier.max_size_bytes);
  CHECK(c.cold_tier.high_watermark == d.cold_tier.high_watermark);
  CHECK(c.cold_tier.low_watermark == d.cold_tier.low_watermark);
  CHECK(c.cold_tier.on_cold_read == d.cold_tier.on_cold_read);
  CHECK(c.cold_tier.reader_threads == d.cold_tier.reader_threads);
  CHECK(c.cold_tier.inline_reads == d.cold_tier.inline_reads);
  CHECK(c.backpressure.max_queue_depth == d.backpressure.max_queue_depth);
  CHECK(c.backpressure.max_queue_delay_ms == d.backpressure.max_queue_delay_ms);
}

TEST_CASE("man/corecached.yaml.5 documents every key of conf/corecached.yaml") {
  const fs::path conf = RepoConfFile();
  const fs::path man = conf.parent_path().parent_path() / "man" / "corecached.yaml.5";
  REQUIRE(fs::exists(man));
  std::ifstream in(man);
  const std::string page((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& origin : LoadConfigFile(conf.string()).origins.lines) {
    const auto& key = origin.first;  // not a structured binding: clang 14 cannot capture one
    CAPTURE(key);
    CHECK(page.find(".BR " + key + " \" (") != std::string::npos);
  }
}

}  // namespace
}  // namespace corecached::config
