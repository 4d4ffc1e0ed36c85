// corecached: flags + config -> Server; exit codes. Nothing else (STYLE.md 2).
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/flags.h"
#include "core/log.h"
#include "net/listener.h"
#include "net/tls_context.h"
#include "server/module_options.h"
#include "server/server.h"

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
  try {
    corecached::server::Server server(
        parsed.config, [args] { return corecached::config::ParseCommandLine(args); });
    server.Run();
  } catch (const corecached::net::BindError& e) {
    Log::Error(e.what());
    return corecached::config::kExitOsError;
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
