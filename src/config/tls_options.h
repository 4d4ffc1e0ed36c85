#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"

namespace corecached::config {

// memcached's TLS suboptions (-o ssl_chain_cert=...,ssl_verify_mode=2,...), kept apart from
// flags.cc so that file only calls in. Thread: main, start-up and shutdown only.

// Applies one "-o" suboption when its name is one of memcached's ssl_* options; `value` is null
// when the suboption had no "=". Returns the YAML key it set ("tls.verify_mode"), or nullopt when
// `name` is not a TLS suboption. Throws ConfigError with memcached's wording for a bad value
// ("Invalid ssl_verify_mode. Use help to see valid options.").
std::optional<std::string> ApplyTlsSuboption(Config& config, std::string_view name,
                                             const std::string* value);

// ssl_min_version / tls.min_version: memcached's 0..3, or a name "tlsv1.0" .. "tlsv1.3"
// (corecached also takes the names memcached prints). nullopt when it is neither.
std::optional<uint32_t> ParseTlsMinVersion(std::string_view text);

}  // namespace corecached::config
