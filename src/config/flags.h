#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace corecached::config {

// Exit statuses of the corecached binary (man/corecached.8 "EXIT STATUS").
inline constexpr int kExitOk = 0;  // normal stop, --help, --version, a valid --check-config
inline constexpr int kExitConfigError = 2;  // bad flag, bad file, bad value (one line on stderr)
inline constexpr int kExitOsError = 71;     // EX_OSERR: e.g. the port cannot be bound (main/server)
inline constexpr int kExitTlsError = 64;    // EX_USAGE: a TLS certificate or key cannot be loaded

// What main should do after the command line was read.
enum class Action : uint8_t {
  kRun,   // start the server with ParseResult::config
  kExit,  // print output (stdout) and error (stderr), then exit with exit_code
};

// ParseResult is the whole outcome of ParseCommandLine. Plain data; thread: any.
struct ParseResult {
  Action action = Action::kRun;
  int exit_code = kExitOk;  // kExit only
  std::string output;       // kExit: for stdout (help, version, "configuration OK"); ends in '\n'
  std::string error;        // kExit: one line for stderr, "corecached: <what>"; ends in '\n'
  Config config;            // kRun: defaults <- YAML file <- flags, validated
  std::string config_file;  // the --config FILE as given, "" if none
  // kRun: one log line each: Warnings(config) and the memcached -o options that are ignored.
  std::vector<std::string> warnings;
};

// Reads memcached's command line plus corecached's own flags (the list is in man/corecached.8 and
// in --help): -p -l -m -c -t -I -U -v/-vv/-vvv -A -o idle_timeout=N -h -V and the long forms
// memcached has, plus --config FILE, --check-config FILE, --shards N, --cold-tier-path DIR.
//
// Precedence: defaults, then the YAML file (--config), then flags; the result is then Validate()d.
// Never exits and never throws: a bad flag or file becomes {kExit, kExitConfigError, error}.
// --check-config FILE loads FILE, applies the other flags, validates, and returns kExit with
// exit_code 0 ("<FILE>: configuration OK" on stdout) or 2 and the error line.
//
// SIGHUP reload: call it again with the same argv; the file is re-read and the flags win again.
// Thread: main, start-up and shutdown only (reads files).
[[nodiscard]] ParseResult ParseCommandLine(int argc, const char* const* argv);

// The same for an argument list; args[0] is the program name.
[[nodiscard]] ParseResult ParseCommandLine(const std::vector<std::string>& args);

}  // namespace corecached::config
