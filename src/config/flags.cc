#include "config/flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <string_view>

#include "config/diff.h"
#include "config/tls_options.h"
#include "config/units.h"
#include "config/validate.h"
#include "config/yaml_loader.h"

#ifndef CORECACHED_VERSION
#define CORECACHED_VERSION "unknown"
#endif

// CLI11 expresses all of memcached's forms we accept: "-vv" (short-flag grouping with a counting
// flag), "-p -1" (a negative number is taken as the value), "-p11211", "--port=11211" and repeated
// "-o a=1,b". Values are taken as strings and converted here, so every error names the flag the
// same way (ConfigError{key = "-p/--port"}) and so that a flag that was not given changes nothing.

namespace corecached::config {
namespace {

constexpr std::string_view kErrorPrefix = "corecached: ";

// Throws ConfigError for flag `flag` unless `text` is an integer in [lo, hi].
int64_t FlagInt(const std::string& flag, const std::string& text, int64_t lo, int64_t hi) {
  Parsed<int64_t> v = ParseInt(text);
  if (!v.Ok()) {
    throw ConfigError("", 0, flag, v.error);
  }
  if (v.value < lo || v.value > hi) {
    throw ConfigError(
        "", 0, flag,
        "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + text);
  }
  return v.value;
}

uint32_t FlagUint32(const std::string& flag, const std::string& text) {
  return static_cast<uint32_t>(FlagInt(flag, text, 0, std::numeric_limits<uint32_t>::max()));
}

int32_t FlagPort(const std::string& flag, const std::string& text) {
  return static_cast<int32_t>(FlagInt(flag, text, -1, 65535));
}

uint64_t FlagSize(const std::string& flag, const std::string& text) {
  Parsed<uint64_t> v = ParseSize(text);
  if (!v.Ok()) {
    throw ConfigError("", 0, flag, v.error);
  }
  return v.value;
}

// memcached's checks of -t, -c and -R (atoi, then "> 0"): its own sentence for 0, a negative
// number and anything that is not a number.
uint32_t FlagPositive(const std::string& flag, const std::string& text, const char* memcached) {
  Parsed<int64_t> v = ParseInt(text);
  if (!v.Ok() || v.value <= 0) {
    throw ConfigError("", 0, flag, std::string(memcached) + ", got '" + text + "'");
  }
  if (v.value > std::numeric_limits<uint32_t>::max()) {
    throw ConfigError("", 0, flag, "'" + text + "' is out of range");
  }
  return static_cast<uint32_t>(v.value);
}

// -m: megabytes ("64"), or a size with a unit ("64m", "1g", "2048k") in whole megabytes.
// memcached reads only the leading digits (atoi: "64m" = 64); a unit is converted here.
uint32_t FlagMegabytes(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    return FlagUint32(flag, text);
  }
  const uint64_t bytes = FlagSize(flag, text);
  if (bytes % kMiB != 0 || bytes / kMiB > std::numeric_limits<uint32_t>::max()) {
    throw ConfigError("", 0, flag, "'" + text + "' is not a whole number of megabytes");
  }
  return static_cast<uint32_t>(bytes / kMiB);
}

// -I: memcached's own sentences for a size out of 1k .. 1g.
uint64_t FlagItemSize(const std::string& flag, const std::string& text) {
  const uint64_t v = FlagSize(flag, text);
  if (v < kKiB) {
    throw ConfigError("", 0, flag, "Item max size cannot be less than 1024 bytes.");
  }
  if (v > kGiB) {
    throw ConfigError("", 0, flag, "Cannot set item size limit higher than a gigabyte.");
  }
  return v;
}

using ApplyFn = void (*)(Config&, const std::string& flag, const std::string& text);

// A flag that takes a value and overrides one YAML key.
struct ValueFlag {
  const char* names;  // CLI11 spelling, e.g. "-p,--port"
  const char* key;    // the YAML key it overrides
  const char* type;   // how --help shows the value
  const char* help;
  ApplyFn apply;
};

// The long names are memcached's (memcached.c, getopt_long's table), so its command lines work.
constexpr ValueFlag kValueFlags[] = {
    {"-p,--port", "port", "NUM", "TCP port to listen on (default: 11211; 0 = off; -1 = ephemeral)",
     [](Config& c, const std::string& f, const std::string& t) { c.port = FlagPort(f, t); }},
    {"-U,--udp-port", "udp_port", "NUM",
     "UDP port (default: 0, off); accepted but UDP is not served",
     [](Config& c, const std::string& f, const std::string& t) { c.udp_port = FlagPort(f, t); }},
    {"-s,--unix-socket", "unix_socket", "FILE",
     "unix socket to listen on; as in memcached, TCP is then off",
     [](Config& c, const std::string&, const std::string& t) { c.unix_socket = t; }},
    {"-a,--unix-mask", "unix_socket_mask", "MASK",
     "access mask of the unix socket, in octal (default: 700)",
     [](Config& c, const std::string& f, const std::string& t) {
       Parsed<uint32_t> v = ParseOctalMask(t);
       if (!v.Ok()) {
         throw ConfigError("", 0, f, v.error);
       }
       c.unix_socket_mask = v.value;
     }},
    {"-m,--memory-limit", "memory_limit_mb", "MB",
     "item memory in megabytes, or with a unit: 64m, 1g (default: 64)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.memory_limit_mb = FlagMegabytes(f, t);
     }},
    {"-c,--conn-limit", "max_connections", "NUM", "max simultaneous connections (default: 1024)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.max_connections = FlagPositive(f, t, "Maximum connections must be greater than 0");
     }},
    {"-t,--threads", "network_threads", "NUM", "number of network threads (default: 4)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.network_threads = FlagPositive(f, t, "Number of threads must be greater than 0");
     }},
    {"-R,--max-reqs-per-event", "max_reqs_per_event", "NUM",
     "requests of one connection served per turn (default: 256; above 256 acts as 256)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.max_reqs_per_event =
           FlagPositive(f, t, "Number of requests per event must be greater than 0");
     }},
    {"-b,--listen-backlog", "listen_backlog", "NUM", "listen backlog (default: 1024)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.listen_backlog = static_cast<uint32_t>(FlagInt(f, t, 0, 0x7fffffff));
     }},
    {"-B,--protocol", "protocol", "NAME", "protocol: auto, ascii or binary (default: auto)",
     [](Config& c, const std::string& f, const std::string& t) {
       Parsed<Protocol> v = ParseProtocol(t);
       if (!v.Ok()) {
         throw ConfigError("", 0, f, v.error);
       }
       c.protocol = v.value;
     }},
    {"-I,--max-item-size", "max_item_size", "SIZE",
     "max item size, e.g. 512k, 1m (default: 1m, min 1k, max 1g)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.max_item_size_bytes = FlagItemSize(f, t);
     }},
    {"-P,--pidfile", "pid_file", "FILE", "write the process id to FILE; removed at exit",
     [](Config& c, const std::string&, const std::string& t) { c.pid_file = t; }},
    {"-u,--user", "user", "USER", "run as USER once the sockets are bound (only when root)",
     [](Config& c, const std::string&, const std::string& t) { c.user = t; }},
    {"-Y,--auth-file", "auth.file", "FILE",
     "enable authentication: \"user:password\" lines (memcached -Y)",
     [](Config& c, const std::string&, const std::string& t) { c.auth.file = t; }},
    {"--shards", "shards", "NUM", "number of store shards (default: 0 = one per CPU core)",
     [](Config& c, const std::string& f, const std::string& t) { c.shards = FlagUint32(f, t); }},
};

// Switches without a value that set one YAML key (memcached's -d -M -k -C -F -W -A -Z).
struct SwitchFlag {
  const char* names;
  const char* key;
  const char* help;
  void (*apply)(Config&);
};

constexpr SwitchFlag kSwitchFlags[] = {
    {"-d,--daemon", "daemonize", "run as a daemon (in the background once listening)",
     [](Config& c) { c.daemonize = true; }},
    {"-M,--disable-evictions", "evict_on_full",
     "return an error on memory exhausted instead of evicting",
     [](Config& c) { c.evict_on_full = false; }},
    {"-k,--lock-memory", "lock_memory", "lock down all paged memory (mlockall)",
     [](Config& c) { c.lock_memory = true; }},
    {"-C,--disable-cas", "cas_enabled", "disable use of CAS",
     [](Config& c) { c.cas_enabled = false; }},
    {"-F,--disable-flush-all", "flush_enabled", "disable the flush_all command",
     [](Config& c) { c.flush_enabled = false; }},
    {"-W,--disable-watch", "watch_enabled", "disable watch commands (live logging)",
     [](Config& c) { c.watch_enabled = false; }},
    {"-A,--enable-shutdown", "enable_shutdown", "enable the ascii \"shutdown\" command",
     [](Config& c) { c.enable_shutdown = true; }},
    {"-Z,--enable-ssl", "tls.enabled", "enable TLS/SSL (-o ssl_chain_cert=FILE,ssl_key=FILE,...)",
     [](Config& c) { c.tls.enabled = true; }},
};

constexpr std::size_t kNumSwitchFlags = std::size(kSwitchFlags);

// memcached flags for features corecached does not have: accepted, one warning, no effect.
struct IgnoredFlag {
  const char* names;
  const char* type;  // nullptr: a switch
  const char* help;
};

constexpr IgnoredFlag kIgnoredFlags[] = {
    {"-r,--enable-coredumps", nullptr, "memcached: maximize core file limit (ignored)"},
    {"-L,--enable-largepages", nullptr, "memcached: large memory pages (ignored)"},
    {"-X,--disable-dumping", nullptr, "memcached: disable stats cachedump (ignored)"},
    {"-f,--slab-growth-factor", "NUM", "memcached: slab growth factor (ignored)"},
    {"-n,--slab-min-size", "BYTES", "memcached: slab minimum size (ignored)"},
    {"-D", "CHAR", "memcached: per-prefix stats delimiter (ignored)"},
    {"-N,--napi-ids", "NUM", "memcached: number of NAPI ids (ignored)"},
    {"-e,--memory-file", "FILE",
     "memcached: restartable cache file (ignored: use --cold-tier-path)"},
};

constexpr std::size_t kNumIgnoredFlags = std::size(kIgnoredFlags);

constexpr std::size_t kNumValueFlags = std::size(kValueFlags);

// "-p,--port" -> "-p/--port", the way errors name a flag.
std::string Display(const char* names) {
  std::string s(names);
  for (char& ch : s) {
    if (ch == ',') {
      ch = '/';
    }
  }
  return s;
}

// memcached 1.6 -o suboptions that corecached accepts and ignores (with a warning), so a
// memcached command line still starts. Anything else is an error, as in memcached
// ("Illegal suboption"). Names starting ext_ or ssl_ are memcached's extstore and TLS options.
constexpr std::string_view kIgnoredSuboptions[] = {
    "maxconns_fast",
    "hashpower",
    "tail_repair_time",
    "hash_algorithm",
    "lru_crawler",
    "lru_crawler_sleep",
    "lru_crawler_tocrawl",
    "lru_maintainer",
    "read_buf_mem_limit",
    "hot_lru_pct",
    "warm_lru_pct",
    "hot_max_factor",
    "warm_max_factor",
    "temporary_ttl",
    "slab_chunk_max",
    "watcher_logbuf_size",
    "worker_logbuf_size",
    "track_sizes",
    "hashexpand",
    "modern",
    "sock_cookie_id",
    "slab_reassign",
    "slab_automove",
    "slab_automove_ratio",
    "slab_automove_freeratio",
    "slab_automove_window",
    "lru_segmented",
    "inline_ascii_response",
    "resp_obj_mem_limit",
    "proxy_config",
    "slab_sizes",
    "chunked_items",
    "inline_ascii_resp",
    "drop_privileges",
    "maxconns_fast",
    "memory_file",
};

bool IsIgnoredSuboption(std::string_view name) {
  if (name.substr(0, 3) == "no_") {
    name.remove_prefix(3);
  }
  if (name.substr(0, 4) == "ext_" || name.substr(0, 4) == "ssl_") {
    return true;
  }
  for (std::string_view known : kIgnoredSuboptions) {
    if (known == name) {
      return true;
    }
  }
  return false;
}

// Splits "-o idle_timeout=5,modern" into its suboptions.
std::vector<std::string> SplitSuboptions(const std::string& arg) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= arg.size()) {
    const std::size_t comma = std::min(arg.find(',', start), arg.size());
    if (comma > start) {
      out.push_back(arg.substr(start, comma - start));
    }
    start = comma + 1;
  }
  return out;
}

// CommandLine is one parse of argv: CLI11's App with corecached's flags bound to its members.
// Thread: main, start-up and shutdown only. Used once, then discarded.
class CommandLine {
 public:
  CommandLine() { Define(); }

  ParseResult Run(int argc, const char* const* argv) {
    try {
      app_.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
        return Exit(kExitOk, app_.help(), "");
      }
      return Exit(kExitConfigError, "", std::string(e.what()) + " (see --help)");
    }
    if (version_) {
      return Exit(kExitOk, "corecached " CORECACHED_VERSION "\n", "");
    }
    if (license_) {
      return Exit(kExitOk,
                  "corecached " CORECACHED_VERSION
                  ": see /usr/share/doc/corecached/copyright for its license and those of the "
                  "libraries it uses (libevent, Boost, LMDB, yaml-cpp, prometheus-cpp, CLI11)\n",
                  "");
    }
    ParseResult result;
    try {
      Build(result);
    } catch (const ConfigError& e) {
      return Exit(kExitConfigError, "", e.what());
    }
    if (!check_config_.empty()) {
      return CheckedOk(result);
    }
    if (print_yaml_) {
      return Exit(kExitOk, RenderYaml(result.config), "");
    }
    return result;
  }

 private:
  void Define() {
    app_.description("corecached: a memcached-compatible cache server");
    app_.footer(
        "Flags win over --config FILE, which wins over the defaults.\n"
        "See corecached(8) and corecached.yaml(5).");
    for (std::size_t i = 0; i < kNumValueFlags; ++i) {
      // A flag given twice: the last one wins, as in memcached (getopt overwrites).
      options_[i] = app_.add_option(kValueFlags[i].names, values_[i], kValueFlags[i].help)
                        ->type_name(kValueFlags[i].type)
                        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    app_.add_option("-l,--listen", listen_,
                    "interface to listen on (default: 127.0.0.1); repeat or separate with commas "
                    "for more; host:port and [v6]:port give a listener its own port")
        ->type_name("ADDR")
        ->allow_extra_args(false);
    for (std::size_t i = 0; i < kNumSwitchFlags; ++i) {
      switches_[i] = app_.add_flag(kSwitchFlags[i].names, switch_counts_[i], kSwitchFlags[i].help);
    }
    sasl_opt_ = app_.add_flag("-S,--enable-sasl", sasl_count_,
                              "binary SASL PLAIN against the -Y/auth.file users (memcached -S)");
    for (std::size_t i = 0; i < kNumIgnoredFlags; ++i) {
      const IgnoredFlag& f = kIgnoredFlags[i];
      ignored_[i] = f.type == nullptr ? app_.add_flag(f.names, ignored_counts_[i], f.help)
                                      : app_.add_option(f.names, ignored_values_[i], f.help)
                                            ->type_name(f.type)
                                            ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    verbose_opt_ = app_.add_flag("-v,--verbose", verbose_, "verbose; repeat for more (-vv, -vvv)");
    app_.add_flag("-V,--version", version_, "print version and exit");
    app_.add_flag("-i,--license", license_, "print the license notice and exit");
    app_.add_flag("--print-yaml", print_yaml_,
                  "print the configuration these flags (and --config) give, as corecached.yaml, "
                  "and exit");
    app_.add_option("-o,--extended", extended_,
                    "comma separated list of extended options (idle_timeout=N)")
        ->allow_extra_args(false)
        ->type_name("OPT[=VAL],...");
    CLI::Option* config =
        app_.add_option("--config", config_file_, "read this YAML file first")->type_name("FILE");
    app_.add_option("--check-config", check_config_,
                    "validate this YAML file (with the other flags) and exit 0, or exit 2")
        ->type_name("FILE")
        ->excludes(config);
    cold_opt_ = app_.add_option("--cold-tier-path", cold_tier_path_,
                                "enable the cold tier, storing it in this directory")
                    ->type_name("DIR");
  }

  void Build(ParseResult& result) {
    const std::string& file = check_config_.empty() ? config_file_ : check_config_;
    LoadedConfig loaded = file.empty() ? LoadedConfig{} : LoadConfigFile(file);
    ApplyValueFlags(loaded);
    ApplyOtherFlags(loaded, &result.warnings);
    ValidateNamingFlags(loaded);
    result.config = std::move(loaded.config);
    result.config_file = file;
    for (std::string& w : Warnings(result.config)) {
      result.warnings.push_back(std::move(w));
    }
  }

  void Override(LoadedConfig& loaded, const std::string& key, const std::string& flag) {
    loaded.origins.lines.erase(key);
    flag_for_key_[key] = flag;
  }

  void ApplyValueFlags(LoadedConfig& loaded) {
    for (std::size_t i = 0; i < kNumValueFlags; ++i) {
      if (options_[i]->count() == 0) {
        continue;
      }
      const std::string flag = Display(kValueFlags[i].names);
      kValueFlags[i].apply(loaded.config, flag, values_[i]);
      Override(loaded, kValueFlags[i].key, flag);
    }
  }

  void ApplyOtherFlags(LoadedConfig& loaded, std::vector<std::string>* warnings) {
    if (verbose_opt_->count() > 0) {
      loaded.config.verbosity = static_cast<uint32_t>(verbose_);
      Override(loaded, "verbosity", "-v");
    }
    ApplyListenAndSocket(loaded);
    for (std::size_t i = 0; i < kNumSwitchFlags; ++i) {
      if (switches_[i]->count() > 0) {
        kSwitchFlags[i].apply(loaded.config);
        Override(loaded, kSwitchFlags[i].key, Display(kSwitchFlags[i].names));
      }
    }
    if (sasl_opt_->count() > 0 && loaded.config.auth.file.empty()) {
      Warn(warnings,
           "-S: binary SASL authenticates against the -Y/auth.file users; none are given, so "
           "there is no authentication");
    }
    WarnIgnoredFlags(warnings);
    if (cold_opt_->count() > 0) {
      loaded.config.cold_tier.enabled = true;
      loaded.config.cold_tier.path = cold_tier_path_;
      Override(loaded, "cold_tier.enabled", "--cold-tier-path");
      Override(loaded, "cold_tier.path", "--cold-tier-path");
    }
    for (const std::string& arg : extended_) {
      for (const std::string& sub : SplitSuboptions(arg)) {
        ApplySuboption(loaded, sub, warnings);
      }
    }
  }

  void ApplySuboption(LoadedConfig& loaded, const std::string& sub,
                      std::vector<std::string>* warnings) {
    const std::size_t eq = sub.find('=');
    const std::string name = sub.substr(0, eq);
    const std::string value = eq == std::string::npos ? std::string() : sub.substr(eq + 1);
    if (name == "idle_timeout") {
      if (eq == std::string::npos) {
        throw ConfigError("", 0, "-o idle_timeout", "missing numeric argument");
      }
      loaded.config.idle_timeout_s = FlagUint32("-o idle_timeout", sub.substr(eq + 1));
      Override(loaded, "idle_timeout_s", "-o idle_timeout");
    } else if (const std::optional<std::string> tls_key = ApplyTlsSuboption(
                   loaded.config, name, eq == std::string::npos ? nullptr : &value)) {
      Override(loaded, *tls_key, "-o " + name);
    } else if (IsIgnoredSuboption(name)) {
      Warn(warnings, "-o " + name + ": memcached option not supported by corecached; ignored");
    } else {
      throw ConfigError("", 0, "-o", "illegal suboption \"" + name + "\"");
    }
  }

  // -l: every occurrence, joined with commas as memcached joins repeated -l. -s: a unix socket and,
  // as in memcached ("disables network support"), no TCP whatever -p says.
  void ApplyListenAndSocket(LoadedConfig& loaded) {
    if (!listen_.empty()) {
      std::string joined;
      for (const std::string& l : listen_) {
        joined += (joined.empty() ? "" : ",") + l;
      }
      loaded.config.listen = joined;
      Override(loaded, "listen", "-l/--listen");
    }
    if (!loaded.config.unix_socket.empty() && flag_for_key_.contains("unix_socket")) {
      loaded.config.port = 0;
      Override(loaded, "port", "-s/--unix-socket");
    }
  }

  // memcached's range checks of -f and -n (its sentences), then one warning per ignored flag.
  void WarnIgnoredFlags(std::vector<std::string>* warnings) const {
    for (std::size_t i = 0; i < kNumIgnoredFlags; ++i) {
      if (ignored_[i]->count() == 0) {
        continue;
      }
      const std::string flag = Display(kIgnoredFlags[i].names);
      const std::string& v = ignored_values_[i];
      if (flag.starts_with("-f/") && !(ParseFraction(v).Ok() && ParseFraction(v).value > 1.0)) {
        throw ConfigError("", 0, flag, "Factor must be greater than 1");
      }
      if (flag.starts_with("-n/") && !(ParseInt(v).Ok() && ParseInt(v).value > 0)) {
        throw ConfigError("", 0, flag, "Chunk size must be greater than 0");
      }
      Warn(warnings, flag + ": memcached option not supported by corecached; ignored" +
                         (flag.starts_with("-e/") ? " (the cold tier, --cold-tier-path, keeps "
                                                    "items across restarts)"
                                                  : ""));
    }
  }

  // Each warning once, however often its flag was given.
  static void Warn(std::vector<std::string>* warnings, std::string line) {
    if (std::find(warnings->begin(), warnings->end(), line) == warnings->end()) {
      warnings->push_back(std::move(line));
    }
  }

  // Validate, and name the flag when a flag set the bad key ("-t/--threads (network_threads)").
  void ValidateNamingFlags(const LoadedConfig& loaded) const {
    try {
      Validate(loaded.config, loaded.origins);
    } catch (const ConfigError& e) {
      auto it = flag_for_key_.find(e.key);
      if (it == flag_for_key_.end()) {
        throw;
      }
      throw ConfigError("", 0, it->second + " (" + e.key + ")", e.message);
    }
  }

  [[nodiscard]] ParseResult CheckedOk(const ParseResult& checked) const {
    std::string out;
    for (const std::string& w : checked.warnings) {
      out += "warning: " + w + "\n";
    }
    return Exit(kExitOk, out + check_config_ + ": configuration OK\n", "");
  }

  static ParseResult Exit(int code, std::string output, const std::string& error) {
    ParseResult r;
    r.action = Action::kExit;
    r.exit_code = code;
    r.output = std::move(output);
    if (!error.empty()) {
      r.error = std::string(kErrorPrefix) + error + "\n";
    }
    return r;
  }

  CLI::App app_{"", "corecached"};
  std::array<std::string, kNumValueFlags> values_;
  std::array<CLI::Option*, kNumValueFlags> options_{};
  std::array<CLI::Option*, kNumSwitchFlags> switches_{};
  std::array<int, kNumSwitchFlags> switch_counts_{};
  std::array<CLI::Option*, kNumIgnoredFlags> ignored_{};
  std::array<int, kNumIgnoredFlags> ignored_counts_{};
  std::array<std::string, kNumIgnoredFlags> ignored_values_;
  std::vector<std::string> listen_;
  CLI::Option* verbose_opt_ = nullptr;
  CLI::Option* sasl_opt_ = nullptr;
  CLI::Option* cold_opt_ = nullptr;
  int verbose_ = 0;
  int sasl_count_ = 0;
  bool version_ = false;
  bool license_ = false;
  bool print_yaml_ = false;
  std::vector<std::string> extended_;
  std::string config_file_;
  std::string check_config_;
  std::string cold_tier_path_;
  std::map<std::string, std::string, std::less<>> flag_for_key_;  // YAML key -> flag that set it
};

}  // namespace

ParseResult ParseCommandLine(int argc, const char* const* argv) {
  try {
    CommandLine command_line;
    return command_line.Run(argc, argv);
  } catch (const std::exception& e) {
    // Anything not foreseen (CLI11 setup, std::bad_alloc) still ends as one line and exit 2.
    ParseResult r;
    r.action = Action::kExit;
    r.exit_code = kExitConfigError;
    r.error = std::string(kErrorPrefix) + e.what() + "\n";
    return r;
  }
}

ParseResult ParseCommandLine(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  argv.reserve(args.size() + 1);
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
  }
  argv.push_back(nullptr);
  return ParseCommandLine(static_cast<int>(args.size()), argv.data());
}

}  // namespace corecached::config
