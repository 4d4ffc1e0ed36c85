#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "config/validate.h"

namespace corecached::config {

// The result of reading one YAML file: the Config (defaults for every key the file leaves out) and
// the line each key was set on, for errors found later (Validate after flags are applied).
// Thread: any (plain value type).
struct LoadedConfig {
  Config config;
  KeyOrigins origins;
};

// Reads conf/corecached.yaml's format (documented in man/corecached.yaml.5) with yaml-cpp.
// Start-up and SIGHUP only: main, start-up and shutdown only (it reads a file and may throw).
//
// Throws ConfigError{file, line, key, message} for: a missing or unreadable file, malformed YAML,
// an unknown key at any level, a duplicate key, a value of the wrong type, a size or duration that
// does not parse ("12q"), and a value out of its key's own range (ValidateKeys). Cross-key checks
// are left to Validate, because flags may still change the other key.
// An empty file is valid and yields the defaults.
[[nodiscard]] LoadedConfig LoadConfigFile(const std::string& path);

// The same for YAML text in memory; `name` stands for the file name in errors.
[[nodiscard]] LoadedConfig LoadConfigString(std::string_view yaml,
                                            const std::string& name = "<string>");

}  // namespace corecached::config
