// corecached: flags + config -> Server; exit codes. Nothing else (STYLE.md 2).
#include <exception>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/flags.h"
#include "core/log.h"
#include "net/listener.h"
#include "net/tls_context.h"
#include "server/module_options.h"
#include "server/process.h"
#include "server/server.h"

namespace {

// A daemon runs in "/": SIGHUP's re-read of the command line must still find a relative
// --config FILE (or --config=FILE), so it is made absolute first.
std::vector<std::string> WithAbsoluteConfig(std::vector<std::string> args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      args[i + 1] = std::filesystem::absolute(args[i + 1]).string();
    } else if (args[i].starts_with("--config=")) {
      args[i] = "--config=" + std::filesystem::absolute(args[i].substr(9)).string();
    }
  }
  return args;
}

int Serve(const corecached::config::ParseResult& parsed, const std::vector<std::string>& args) {
  using corecached::core::Log;
  try {
    if (parsed.config.daemonize) {
      // Before any thread exists. The parent exits with the child's start-up status.
      if (std::optional<int> parent_exit = corecached::server::Daemon::Start()) {
        return *parent_exit;
      }
    }
    if (parsed.config.lock_memory) {
      corecached::server::LockMemory();
    }
    corecached::server::Server server(
        parsed.config, [args] { return corecached::config::ParseCommandLine(args); });
    server.Run();
  } catch (const corecached::net::BindError& e) {
    Log::Error(e.what());
    return corecached::config::kExitOsError;
  } catch (const corecached::server::ProcessError& e) {
    Log::Error(e.what());
    return e.exit_code;
  } catch (const corecached::net::TlsLoadError& e) {
    // memcached's message, and its exit status (EX_USAGE) for a certificate it cannot load.
    std::cerr << "corecached: " << e.what() << '\n';
    return corecached::config::kExitTlsError;
  } catch (const corecached::config::ConfigError& e) {
    // The start-up error format of STYLE.md 6.6: "corecached: <file>:<line>: <key>: <message>".
    std::cerr << "corecached: " << e.what() << '\n';
    return corecached::config::kExitConfigError;
  } catch (const std::exception& e) {
    Log::Error(std::string("fatal: ") + e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using corecached::config::Action;
  using corecached::core::Log;
  // Kept for SIGHUP: the reload re-reads the same command line, so the file is read again and
  // the flags still win over it.
  const std::vector<std::string> args(argv, argv + argc);
  corecached::config::ParseResult parsed = corecached::config::ParseCommandLine(args);
  if (parsed.action == Action::kExit) {
    std::cout << parsed.output;
    std::cerr << parsed.error;
    return parsed.exit_code;
  }
  Log::SetLevel(corecached::server::LogSeverityFor(parsed.config));
  for (const std::string& warning : parsed.warnings) {
    Log::Warn(warning);
  }
  return Serve(parsed, parsed.config.daemonize ? WithAbsoluteConfig(args) : args);
}
