#include "config/flags.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace corecached::config {
namespace {

namespace fs = std::filesystem;

ParseResult Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "corecached");
  return ParseCommandLine(args);
}

// Parses args expecting kRun; returns the Config.
Config Run(const std::vector<std::string>& args) {
  const ParseResult r = Parse(args);
  INFO("error: " << r.error);
  REQUIRE(r.action == Action::kRun);
  return r.config;
}

// Parses args expecting exit 2; returns the error line.
std::string Fails(const std::vector<std::string>& args) {
  const ParseResult r = Parse(args);
  REQUIRE(r.action == Action::kExit);
  CHECK(r.exit_code == kExitConfigError);
  CHECK(r.output.empty());
  CHECK(r.error.rfind("corecached: ", 0) == 0);
  CHECK(r.error.back() == '\n');
  CHECK(r.error.find('\n') == r.error.size() - 1);  // one line
  return r.error;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A YAML file in the temp directory, removed at the end of the test.
class TempYaml {
 public:
  explicit TempYaml(const std::string& text)
      : path_(fs::temp_directory_path() / ("cc_flags_" + std::to_string(::getpid()) + "_" +
                                           std::to_string(next_++) + ".yaml")) {
    std::ofstream(path_) << text;
  }
  ~TempYaml() { fs::remove(path_); }
  TempYaml(const TempYaml&) = delete;
  TempYaml& operator=(const TempYaml&) = delete;
  [[nodiscard]] std::string Path() const { return path_.string(); }

 private:
  static inline int next_ = 0;
  fs::path path_;
};

TEST_CASE("ParseCommandLine: no flags gives the defaults") {
  const ParseResult r = Parse({});
  CHECK(r.action == Action::kRun);
  CHECK(r.config.port == 11211);
  CHECK(r.config.listen == "127.0.0.1");
  CHECK(r.config_file.empty());
  CHECK(r.warnings.empty());
}

TEST_CASE("ParseCommandLine: every memcached short flag") {
  const Config c = Run({"-p", "12345", "-l", "10.0.0.1", "-m", "256", "-c", "10", "-t", "2", "-I",
                        "2m", "-U", "0", "-vv", "-A", "-o", "idle_timeout=30"});
  CHECK(c.port == 12345);
  CHECK(c.listen == "10.0.0.1");
  CHECK(c.memory_limit_mb == 256);
  CHECK(c.max_connections == 10);
  CHECK(c.network_threads == 2);
  CHECK(c.max_item_size_bytes == 2 * kMiB);
  CHECK(c.udp_port == 0);
  CHECK(c.verbosity == 2);
  CHECK(c.enable_shutdown);
  CHECK(c.idle_timeout_s == 30);
}

TEST_CASE("ParseCommandLine: long forms and corecached's own flags") {
  const Config c =
      Run({"--port=2000", "--listen", "::1", "--memory-limit=128", "--conn-limit", "20",
           "--threads=3", "--max-item-size=512k", "--udp-port=0", "--enable-shutdown", "--verbose",
           "--extended=idle_timeout=9", "--shards", "3", "--cold-tier-path", "/tmp/cold"});
  CHECK(c.port == 2000);
  CHECK(c.listen == "::1");
  CHECK(c.memory_limit_mb == 128);
  CHECK(c.max_connections == 20);
  CHECK(c.network_threads == 3);
  CHECK(c.max_item_size_bytes == 512 * kKiB);
  CHECK(c.enable_shutdown);
  CHECK(c.verbosity == 1);
  CHECK(c.idle_timeout_s == 9);
  CHECK(c.shards == 3);  // must agree with -t (issue #10): validate_test.cc
  CHECK(c.cold_tier.enabled);
  CHECK(c.cold_tier.path == "/tmp/cold");
}

TEST_CASE("ParseCommandLine: memcached spellings: -p -1, -p11211, -vvv, -v -v, -I 1048576") {
  CHECK(Run({"-p", "-1"}).port == -1);
  CHECK(Run({"-p-1"}).port == -1);
  CHECK(Run({"-p11212"}).port == 11212);
  CHECK(Run({"-vvv"}).verbosity == 3);
  CHECK(Run({"-v", "-v"}).verbosity == 2);
  CHECK(Run({"-I", "1048576"}).max_item_size_bytes == kMiB);
  CHECK(Run({"-I", "1M"}).max_item_size_bytes == kMiB);
  CHECK(Run({"-o", "idle_timeout=1", "-o", "idle_timeout=2"}).idle_timeout_s == 2);
}

TEST_CASE("ParseCommandLine: -U non-zero is accepted with a warning") {
  const ParseResult r = Parse({"-U", "11211"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.config.udp_port == 11211);
  REQUIRE(r.warnings.size() == 1);
  CHECK(Has(r.warnings[0], "UDP is not supported"));
}

TEST_CASE("ParseCommandLine: -o memcached options we ignore warn; unknown ones fail") {
  const ParseResult r = Parse({"-o", "modern,hashpower=20,no_lru_crawler,ext_path=/x:1G"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.warnings.size() == 4);
  CHECK(Has(Fails({"-o", "bogus_opt"}), "illegal suboption \"bogus_opt\""));
  CHECK(Has(Fails({"-o", "idle_timeout=5,bogus"}), "\"bogus\""));
  CHECK(Has(Fails({"-o", "idle_timeout"}), "-o idle_timeout: missing numeric argument"));
  CHECK(Has(Fails({"-o", "idle_timeout=abc"}), "-o idle_timeout: 'abc' is not an integer"));
}

TEST_CASE("ParseCommandLine: bad values name the flag") {
  CHECK(Has(Fails({"-p", "abc"}), "corecached: -p/--port: 'abc' is not an integer"));
  CHECK(Has(Fails({"-p", "70000"}), "-p/--port: must be between -1 and 65535"));
  CHECK(Has(Fails({"-p", "0"}), "-p/--port (port): must be -1"));
  CHECK(Has(Fails({"-m", "-5"}), "-m/--memory-limit: must be between 0"));
  CHECK(Has(Fails({"-I", "12q"}), "-I/--max-item-size: '12q' is not a size"));
  CHECK(Has(Fails({"-I", "512"}), "-I/--max-item-size (max_item_size): must be at least 1k"));
  CHECK(Has(Fails({"-t", "0"}), "-t/--threads (network_threads): must be between 1 and 256"));
  CHECK(Has(Fails({"-c", "0"}), "-c/--conn-limit (max_connections)"));
  CHECK(Has(Fails({"--shards", "300"}), "--shards (shards)"));
  CHECK(Has(Fails({"-vvvv"}), "-v (verbosity): must be between 0 and 3"));
  CHECK(Has(Fails({"-l", ""}), "-l/--listen (listen): must not be empty"));
  CHECK(Has(Fails({"--cold-tier-path", ""}), "cold_tier.path"));
}

TEST_CASE("ParseCommandLine: memcached's cross-check of -I and -m") {
  CHECK(Has(Fails({"-m", "1"}), "max_item_size: cannot be higher than 1/2 of memory_limit_mb"));
  CHECK(Has(Fails({"-I", "2m", "-m", "2"}), "-I/--max-item-size (max_item_size): cannot be"));
  CHECK(Run({"-I", "1m", "-m", "2"}).memory_limit_mb == 2);
}

TEST_CASE("ParseCommandLine: unknown flags, missing values and extra arguments") {
  CHECK(Has(Fails({"-x"}), "-x"));
  CHECK(Has(Fails({"--foo"}), "--foo"));
  CHECK(Has(Fails({"-p"}), "--port"));
  CHECK(Has(Fails({"extra"}), "extra"));
  CHECK(Has(Fails({"-d"}), "-d"));  // memcached's daemon mode is not supported
}

TEST_CASE("ParseCommandLine: --help and --version exit 0 with text") {
  for (const char* flag : {"-h", "--help"}) {
    const ParseResult r = Parse({flag});
    CHECK(r.action == Action::kExit);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.error.empty());
    for (const char* name :
         {"--port", "--listen", "--memory-limit", "--conn-limit", "--threads", "--max-item-size",
          "--udp-port", "--verbose", "--enable-shutdown", "--extended", "--config",
          "--check-config", "--shards", "--cold-tier-path", "--version"}) {
      CHECK(Has(r.output, name));
    }
  }
  for (const char* flag : {"-V", "--version"}) {
    const ParseResult r = Parse({flag});
    CHECK(r.action == Action::kExit);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.output.rfind("corecached ", 0) == 0);
  }
}

TEST_CASE("ParseCommandLine: --config loads the file; flags win over it") {
  TempYaml yaml(
      "port: 2000\nmemory_limit_mb: 512\nmax_item_size: 4m\nverbosity: 1\n"
      "cold_tier:\n  path: /from/file\n");
  ParseResult r = Parse({"--config", yaml.Path()});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.config_file == yaml.Path());
  CHECK(r.config.port == 2000);
  CHECK(r.config.memory_limit_mb == 512);
  CHECK(r.config.max_item_size_bytes == 4 * kMiB);
  CHECK(r.config.verbosity == 1);
  CHECK_FALSE(r.config.cold_tier.enabled);

  r = Parse({"-p", "3000", "--config", yaml.Path(), "-vvv", "--cold-tier-path", "/from/flag"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.config.port == 3000);            // flag wins, wherever it stands
  CHECK(r.config.memory_limit_mb == 512);  // file wins over the default
  CHECK(r.config.verbosity == 3);
  CHECK(r.config.cold_tier.enabled);
  CHECK(r.config.cold_tier.path == "/from/flag");
  CHECK(r.config.network_threads == 4);  // default
}

TEST_CASE("ParseCommandLine: errors in the --config file carry file and line") {
  TempYaml yaml("port: 2000\nmemory_limit: 64\n");
  CHECK(Fails({"--config", yaml.Path()}) ==
        "corecached: " + yaml.Path() + ":2: memory_limit: unknown key\n");
  TempYaml cross("memory_limit_mb: 8\n\nmax_item_size: 5m\n");
  CHECK(Fails({"--config", cross.Path()}) ==
        "corecached: " + cross.Path() +
            ":3: max_item_size: cannot be higher than 1/2 of memory_limit_mb (4m), got 5m\n");
  CHECK(Run({"--config", cross.Path(), "-m", "64"}).max_item_size_bytes == 5 * kMiB);
  CHECK(Has(Fails({"--config", "/nonexistent.yaml"}), "/nonexistent.yaml: cannot read"));
}

TEST_CASE("ParseCommandLine: --check-config") {
  TempYaml good("port: 2000\n");
  ParseResult r = Parse({"--check-config", good.Path()});
  CHECK(r.action == Action::kExit);
  CHECK(r.exit_code == 0);
  CHECK(r.output == good.Path() + ": configuration OK\n");
  CHECK(r.error.empty());

  TempYaml bad("port: 2000\nshards: many\n");
  CHECK(Fails({"--check-config", bad.Path()}) ==
        "corecached: " + bad.Path() + ":2: shards: 'many' is not an integer\n");
  CHECK(Has(Fails({"--check-config", "/nonexistent.yaml"}), "cannot read"));
  CHECK(Has(Fails({"--check-config", good.Path(), "--config", good.Path()}), "excludes"));

  TempYaml udp("udp_port: 11211\n");
  r = Parse({"--check-config", udp.Path()});
  CHECK(r.exit_code == 0);
  CHECK(Has(r.output, "warning: udp_port"));
}

TEST_CASE("ParseCommandLine: the argc/argv form") {
  const char* const argv[] = {"corecached", "-p", "-1", "-t", "1", nullptr};
  const ParseResult r = ParseCommandLine(5, argv);
  REQUIRE(r.action == Action::kRun);
  CHECK(r.config.port == -1);
  CHECK(r.config.network_threads == 1);
}

}  // namespace
}  // namespace corecached::config
