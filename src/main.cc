// corecached: flags + config -> Server; exit codes. Nothing else (STYLE.md 2).
#include <cstdio>
#include <exception>
#include <iostream>

#include "config/config.h"
#include "config/flags.h"
#include "net/listener.h"
#include "server/server.h"

int main(int argc, char** argv) {
  using corecached::config::Action;
  corecached::config::ParseResult parsed = corecached::config::ParseCommandLine(argc, argv);
  if (parsed.action == Action::kExit) {
    std::cout << parsed.output;
    std::cerr << parsed.error;
    return parsed.exit_code;
  }
  for (const std::string& warning : parsed.warnings) {
    std::cerr << "corecached: warning: " << warning << '\n';
  }
  try {
    corecached::server::Server server(parsed.config);
    server.Run();
  } catch (const corecached::net::BindError& e) {
    std::cerr << "corecached: " << e.what() << '\n';
    return corecached::config::kExitOsError;
  } catch (const corecached::config::ConfigError& e) {
    std::cerr << "corecached: " << e.what() << '\n';
    return corecached::config::kExitConfigError;
  } catch (const std::exception& e) {
    std::cerr << "corecached: fatal: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
