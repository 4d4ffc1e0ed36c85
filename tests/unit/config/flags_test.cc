#include "config/flags.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/diff.h"

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
  CHECK(Has(Fails({"-p", "0"}), "-p/--port (port): 0 turns TCP off, and no unix_socket"));
  CHECK(Has(Fails({"-m", "-5"}), "-m/--memory-limit: '-5' is not a size"));
  CHECK(Has(Fails({"-I", "12q"}), "-I/--max-item-size: '12q' is not a size"));
  CHECK(Has(Fails({"-t", "300"}), "-t/--threads (network_threads): must be between 1 and 256"));
  CHECK(Has(Fails({"-c", "2000000"}), "-c/--conn-limit (max_connections)"));
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
  CHECK(Has(Fails({"-Z"}), "-Z"));  // TLS: not yet (issue #12)
}

TEST_CASE("ParseCommandLine: --help and --version exit 0 with text") {
  for (const char* flag : {"-h", "--help"}) {
    const ParseResult r = Parse({flag});
    CHECK(r.action == Action::kExit);
    CHECK(r.exit_code == kExitOk);
    CHECK(r.error.empty());
    for (const char* name : {"--port",
                             "--listen",
                             "--memory-limit",
                             "--conn-limit",
                             "--threads",
                             "--max-item-size",
                             "--udp-port",
                             "--verbose",
                             "--enable-shutdown",
                             "--extended",
                             "--config",
                             "--check-config",
                             "--shards",
                             "--cold-tier-path",
                             "--version",
                             "--unix-socket",
                             "--unix-mask",
                             "--daemon",
                             "--user",
                             "--pidfile",
                             "--disable-evictions",
                             "--lock-memory",
                             "--max-reqs-per-event",
                             "--disable-cas",
                             "--listen-backlog",
                             "--protocol",
                             "--enable-sasl",
                             "--disable-flush-all",
                             "--print-yaml",
                             "--license"}) {
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

// memcached.c main(): every flag of `memcached -h` (1.6.18), with memcached's meaning where
// corecached has the feature.
TEST_CASE("ParseCommandLine: memcached's process flags -d -P -u -k") {
  const Config c = Run({"-d", "-P", "/run/x.pid", "-u", "memcache", "-k"});
  CHECK(c.daemonize);
  CHECK(c.pid_file == "/run/x.pid");
  CHECK(c.user == "memcache");
  CHECK(c.lock_memory);
  const Config d = Run({"--daemon", "--pidfile=/a", "--user=nobody", "--lock-memory"});
  CHECK(d.daemonize);
  CHECK(d.pid_file == "/a");
  CHECK(d.user == "nobody");
  const Config none = Run({});
  CHECK_FALSE(none.daemonize);
  CHECK(none.pid_file.empty());
  CHECK(none.user.empty());
  CHECK_FALSE(none.lock_memory);
}

TEST_CASE("ParseCommandLine: -s and -a: a unix socket, and no TCP as in memcached") {
  Config c = Run({"-s", "/tmp/mc.sock", "-a", "770"});
  CHECK(c.unix_socket == "/tmp/mc.sock");
  CHECK(c.unix_socket_mask == 0770);
  CHECK(c.port == 0);
  c = Run({"-p", "11311", "--unix-socket=/tmp/x", "--unix-mask", "0755"});
  CHECK(c.port == 0);  // memcached: -s "disables network support", whatever -p says
  CHECK(c.unix_socket_mask == 0755);
  CHECK(Run({"-p", "0", "-s", "/tmp/x"}).port == 0);
  CHECK(Run({}).unix_socket_mask == 0700);
  CHECK(Has(Fails({"-s", "/x", "-a", "9"}), "-a/--unix-mask: '9' is not an octal file mode"));
  CHECK(Has(Fails({"-s", "/x", "-a", "1777"}), "-a/--unix-mask: '1777' is not an octal"));
  // The YAML key keeps TCP: both are served.
  TempYaml yaml("unix_socket: /tmp/y.sock\nunix_socket_mask: \"0750\"\n");
  c = Run({"--config", yaml.Path()});
  CHECK(c.unix_socket == "/tmp/y.sock");
  CHECK(c.unix_socket_mask == 0750);
  CHECK(c.port == 11211);
}

TEST_CASE("ParseCommandLine: repeated -l adds listeners; host:port is kept for the listener") {
  CHECK(Run({"-l", "127.0.0.1", "-l", "127.0.0.2:22122"}).listen == "127.0.0.1,127.0.0.2:22122");
  CHECK(Run({"-l", "127.0.0.1,[::1]:22122"}).listen == "127.0.0.1,[::1]:22122");
  CHECK(Run({"--listen=10.0.0.1", "-l10.0.0.2"}).listen == "10.0.0.1,10.0.0.2");
}

TEST_CASE("ParseCommandLine: -m in megabytes or with a unit") {
  CHECK(Run({"-m", "64"}).memory_limit_mb == 64);
  CHECK(Run({"-m", "64m"}).memory_limit_mb == 64);
  CHECK(Run({"-m", "64M"}).memory_limit_mb == 64);
  CHECK(Run({"-m", "2g"}).memory_limit_mb == 2048);
  CHECK(Run({"-m", "4096k"}).memory_limit_mb == 4);
  CHECK(
      Has(Fails({"-m", "1500k"}), "-m/--memory-limit: '1500k' is not a whole number of megabytes"));
  CHECK(Has(Fails({"-m", "abc"}), "-m/--memory-limit: 'abc' is not a size"));
}

TEST_CASE("ParseCommandLine: -M -C -F -W -R -b -B") {
  const Config c = Run({"-M", "-C", "-F", "-W", "-R", "5", "-b", "77", "-B", "ascii"});
  CHECK_FALSE(c.watch_enabled);
  CHECK(Run({}).watch_enabled);
  CHECK_FALSE(c.evict_on_full);
  CHECK_FALSE(c.cas_enabled);
  CHECK_FALSE(c.flush_enabled);
  CHECK(c.max_reqs_per_event == 5);
  CHECK(c.listen_backlog == 77);
  CHECK(c.protocol == Protocol::kAscii);
  const Config d = Run({});
  CHECK(d.evict_on_full);
  CHECK(d.cas_enabled);
  CHECK(d.flush_enabled);
  CHECK(d.max_reqs_per_event == 256);
  CHECK(d.listen_backlog == 1024);
  CHECK(d.protocol == Protocol::kAuto);
  CHECK(Run({"--protocol=binary"}).protocol == Protocol::kBinary);
  CHECK(Run({"-B", "auto"}).protocol == Protocol::kAuto);
  CHECK(Run({"--disable-evictions", "--disable-cas", "--disable-flush-all"}).cas_enabled == false);
  CHECK(Run({"--max-reqs-per-event=1000"}).max_reqs_per_event == 1000);
  CHECK(Run({"-b", "0"}).listen_backlog == 0);
}

// memcached's own sentences for the values it refuses (its exit status is 1 or 64; ours is 2).
TEST_CASE("ParseCommandLine: bad values get memcached's messages") {
  CHECK(Has(Fails({"-t", "0"}), "-t/--threads: Number of threads must be greater than 0"));
  CHECK(Has(Fails({"-t", "abc"}), "Number of threads must be greater than 0"));
  CHECK(Has(Fails({"-c", "0"}), "-c/--conn-limit: Maximum connections must be greater than 0"));
  CHECK(Has(Fails({"-c", "-1"}), "Maximum connections must be greater than 0"));
  CHECK(Has(Fails({"-R", "0"}), "Number of requests per event must be greater than 0"));
  CHECK(Has(Fails({"-R", "abc"}), "Number of requests per event must be greater than 0"));
  CHECK(Has(Fails({"-B", "foo"}), "Invalid value for binding protocol: foo"));
  CHECK(Has(Fails({"-I", "512"}), "Item max size cannot be less than 1024 bytes."));
  CHECK(Has(Fails({"-I", "2g"}), "Cannot set item size limit higher than a gigabyte."));
  CHECK(Has(Fails({"-f", "0.5"}), "-f/--slab-growth-factor: Factor must be greater than 1"));
  CHECK(Has(Fails({"-f", "x"}), "Factor must be greater than 1"));
  CHECK(Has(Fails({"-n", "0"}), "-n/--slab-min-size: Chunk size must be greater than 0"));
  CHECK(Has(Fails({"-b", "abc"}), "-b/--listen-backlog: 'abc' is not an integer"));
  CHECK(Has(Fails({"-b", "-1"}), "-b/--listen-backlog: must be between 0"));
}

TEST_CASE("ParseCommandLine: a flag given twice: the last one wins") {
  CHECK(Run({"-p", "1000", "-p", "2000"}).port == 2000);
  CHECK(Run({"-m", "100", "-m", "200"}).memory_limit_mb == 200);
  CHECK(Run({"-u", "a", "-u", "b"}).user == "b");
  CHECK(Run({"-B", "binary", "-B", "ascii"}).protocol == Protocol::kAscii);
  CHECK(Run({"-d", "-d", "-M", "-M"}).daemonize);
  CHECK(Run({"-t", "0", "-t", "2"}).network_threads == 2);
}

TEST_CASE("ParseCommandLine: flags for what corecached lacks warn once and start") {
  const ParseResult r =
      Parse({"-L", "-L", "-r", "-X", "-W", "-D", ":", "-f", "1.5", "-n", "48", "-N", "2", "-e",
             "/tmp/mem", "-o",
             "slab_sizes=100-200,no_chunked_items,inline_ascii_resp,no_inline_ascii_resp,"
             "drop_privileges,no_drop_privileges,maxconns_fast,no_maxconns_fast,hashpower=20",
             "-o", "slab_sizes=100-300"});
  REQUIRE(r.action == Action::kRun);
  for (const char* flag :
       {"-L/--enable-largepages", "-r/--enable-coredumps", "-X/--disable-dumping", "-D",
        "-f/--slab-growth-factor", "-n/--slab-min-size", "-N/--napi-ids", "-e/--memory-file",
        "-o slab_sizes", "-o chunked_items", "-o no_chunked_items", "-o inline_ascii_resp",
        "-o drop_privileges", "-o no_drop_privileges", "-o hashpower", "-o maxconns_fast"}) {
    CAPTURE(flag);
    const auto n = std::count_if(r.warnings.begin(), r.warnings.end(), [&](const std::string& w) {
      return w.rfind(std::string(flag) + ":", 0) == 0;
    });
    CHECK(n == (std::string(flag) == "-o chunked_items" ? 0 : 1));
  }
  // -W has its meaning now (watch_enabled): no warning.
  CHECK(std::none_of(r.warnings.begin(), r.warnings.end(),
                     [](const std::string& w) { return w.rfind("-W/--disable-watch:", 0) == 0; }));
  CHECK(Has(r.warnings.back() + r.warnings.front(), "ignored"));
}

TEST_CASE("ParseCommandLine: -S is binary SASL against the -Y users") {
  ParseResult r = Parse({"-S", "-Y", "/etc/users"});
  REQUIRE(r.action == Action::kRun);
  CHECK(r.config.auth.file == "/etc/users");
  CHECK(r.warnings.empty());
  r = Parse({"--enable-sasl"});
  REQUIRE(r.action == Action::kRun);
  REQUIRE(r.warnings.size() == 1);
  CHECK(Has(r.warnings[0], "-S: binary SASL authenticates against the -Y/auth.file users"));
}

TEST_CASE("ParseCommandLine: -i prints a license notice") {
  const ParseResult r = Parse({"-i"});
  CHECK(r.action == Action::kExit);
  CHECK(r.exit_code == kExitOk);
  CHECK(Has(r.output, "license"));
}

// --print-yaml: the YAML a memcached command line stands for; loading it gives the same Config.
TEST_CASE("ParseCommandLine: --print-yaml round-trips through --config") {
  const std::vector<std::string> flags = {"-p",
                                          "22122",
                                          "-m",
                                          "128m",
                                          "-c",
                                          "2048",
                                          "-t",
                                          "2",
                                          "-l",
                                          "127.0.0.1",
                                          "-l",
                                          "127.0.0.2:22123",
                                          "-M",
                                          "-C",
                                          "-F",
                                          "-B",
                                          "ascii",
                                          "-R",
                                          "5",
                                          "-b",
                                          "64",
                                          "-a",
                                          "770",
                                          "-P",
                                          "/run/x y.pid",
                                          "-u",
                                          "memcache",
                                          "-d",
                                          "-k",
                                          "-v",
                                          "-A",
                                          "-I",
                                          "2m",
                                          "-o",
                                          "idle_timeout=7",
                                          "-Y",
                                          "/etc/u\"sers",
                                          "--cold-tier-path",
                                          "/var/c"};
  const Config direct = Run(flags);
  std::vector<std::string> print = flags;
  print.push_back("--print-yaml");
  const ParseResult printed = Parse(print);
  REQUIRE(printed.action == Action::kExit);
  CHECK(printed.exit_code == kExitOk);
  CHECK(Has(printed.output, "\nport: 22122\n"));
  CHECK(Has(printed.output, "\nevict_on_full: false\n"));
  CHECK(Has(printed.output, "\ncold_tier:\n  enabled: true\n"));
  TempYaml yaml(printed.output);
  const Config loaded = Run({"--config", yaml.Path()});
  CHECK(ChangedKeys(direct, loaded).empty());
  for (const KeyChange& change : ChangedKeys(direct, loaded)) {
    INFO(change.key << ": " << change.before << " -> " << change.after);
    CHECK(false);
  }
  // And again: the file printed back is the same text.
  const ParseResult again = Parse({"--config", yaml.Path(), "--print-yaml"});
  CHECK(again.output == printed.output);
  // The defaults print too, and load back to the defaults.
  TempYaml defaults(Parse({"--print-yaml"}).output);
  CHECK(ChangedKeys(Config{}, Run({"--config", defaults.Path()})).empty());
  // -s: unix socket and port 0 travel together.
  TempYaml unix_only(Parse({"-s", "/tmp/s.sock", "--print-yaml"}).output);
  const Config u = Run({"--config", unix_only.Path()});
  CHECK(u.unix_socket == "/tmp/s.sock");
  CHECK(u.port == 0);
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
