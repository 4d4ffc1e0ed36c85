#include "config/flags.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <string_view>

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

using ApplyFn = void (*)(Config&, const std::string& flag, const std::string& text);

// A flag that takes a value and overrides one YAML key.
struct ValueFlag {
  const char* names;  // CLI11 spelling, e.g. "-p,--port"
  const char* key;    // the YAML key it overrides
  const char* type;   // how --help shows the value
  const char* help;
  ApplyFn apply;
};

constexpr ValueFlag kValueFlags[] = {
    {"-p,--port", "port", "NUM", "TCP port to listen on (default: 11211; -1 = ephemeral)",
     [](Config& c, const std::string& f, const std::string& t) { c.port = FlagPort(f, t); }},
    {"-U,--udp-port", "udp_port", "NUM",
     "UDP port (default: 0, off); accepted but UDP is not served",
     [](Config& c, const std::string& f, const std::string& t) { c.udp_port = FlagPort(f, t); }},
    {"-l,--listen", "listen", "ADDR", "interface to listen on (default: 127.0.0.1)",
     [](Config& c, const std::string&, const std::string& t) { c.listen = t; }},
    {"-m,--memory-limit", "memory_limit_mb", "MB", "item memory in megabytes (default: 64)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.memory_limit_mb = FlagUint32(f, t);
     }},
    {"-c,--conn-limit", "max_connections", "NUM", "max simultaneous connections (default: 1024)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.max_connections = FlagUint32(f, t);
     }},
    {"-t,--threads", "network_threads", "NUM", "number of network threads (default: 4)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.network_threads = FlagUint32(f, t);
     }},
    {"-I,--max-item-size", "max_item_size", "SIZE",
     "max item size, e.g. 512k, 1m (default: 1m, min 1k)",
     [](Config& c, const std::string& f, const std::string& t) {
       c.max_item_size_bytes = FlagSize(f, t);
     }},
    {"-Y,--auth-file", "auth.file", "FILE",
     "enable authentication: \"user:password\" lines (memcached -Y)",
     [](Config& c, const std::string&, const std::string& t) { c.auth.file = t; }},
    {"--shards", "shards", "NUM", "number of store shards (default: 0 = one per CPU core)",
     [](Config& c, const std::string& f, const std::string& t) { c.shards = FlagUint32(f, t); }},
};

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
    ParseResult result;
    try {
      Build(result);
    } catch (const ConfigError& e) {
      return Exit(kExitConfigError, "", e.what());
    }
    if (!check_config_.empty()) {
      return CheckedOk(result);
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
      options_[i] = app_.add_option(kValueFlags[i].names, values_[i], kValueFlags[i].help)
                        ->type_name(kValueFlags[i].type);
    }
    verbose_opt_ = app_.add_flag("-v,--verbose", verbose_, "verbose; repeat for more (-vv, -vvv)");
    shutdown_opt_ = app_.add_flag("-A,--enable-shutdown", enable_shutdown_,
                                  "enable the ascii \"shutdown\" command");
    app_.add_flag("-V,--version", version_, "print version and exit");
    tls_opt_ = app_.add_flag("-Z,--enable-ssl", enable_tls_, "enable TLS/SSL (see -o ssl_*)");
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
    if (shutdown_opt_->count() > 0) {
      loaded.config.enable_shutdown = true;
      Override(loaded, "enable_shutdown", "-A/--enable-shutdown");
    }
    if (tls_opt_->count() > 0) {
      loaded.config.tls.enabled = true;
      Override(loaded, "tls.enabled", "-Z/--enable-ssl");
    }
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
      warnings->push_back("-o " + name + ": memcached option not supported by corecached; ignored");
    } else {
      throw ConfigError("", 0, "-o", "illegal suboption \"" + name + "\"");
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
  CLI::Option* verbose_opt_ = nullptr;
  CLI::Option* shutdown_opt_ = nullptr;
  CLI::Option* cold_opt_ = nullptr;
  CLI::Option* tls_opt_ = nullptr;
  bool enable_tls_ = false;
  int verbose_ = 0;
  bool enable_shutdown_ = false;
  bool version_ = false;
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
