#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "config/config.h"

namespace corecached::config {

// KeyOrigins says where each key got its value, so an error can point at the line to fix.
// Filled by the YAML loader; the flag parser erases the keys a flag overrides.
// Thread: any (plain value type).
struct KeyOrigins {
  std::string file;  // the YAML file's path as given; "" when no file was read
  // Dotted key ("cold_tier.path") -> 1-based line in `file`. A key not listed came from the
  // defaults or a flag, and its error carries no file or line.
  std::map<std::string, int, std::less<>> lines;
};

// Checks every key on its own: ranges and required values that do not depend on other keys
// (port -1..65535 and not 0, network_threads 1..256, shards 0..256, max_item_size 1k..1g,
// watermarks in (0, 1], ...). The loader calls this, so a file is rejected at the line of the bad
// value even before flags are applied. Throws ConfigError naming the first bad key.
void ValidateKeys(const Config& config, const KeyOrigins& origins = {});

// ValidateKeys, then the checks across keys: max_item_size <= memory_limit_mb / 2 (memcached:
// "Cannot set item size limit higher than 1/2 of memory max."), low_watermark < high_watermark,
// cold_tier.path set when cold_tier.enabled. Run on the final Config (defaults <- file <- flags).
// Throws ConfigError naming the key (file and line when `origins` knows them).
void Validate(const Config& config, const KeyOrigins& origins = {});

// Settings that are valid but worth one log line each at start-up, e.g. a non-zero udp_port
// ("UDP is not served") or more network threads than memcached recommends. Never throws.
[[nodiscard]] std::vector<std::string> Warnings(const Config& config);

}  // namespace corecached::config
