#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace corecached::config {

// One key whose value differs between two Configs, both values written as in YAML.
// Thread: any (plain value type).
struct KeyChange {
  std::string key;  // dotted YAML key ("cold_tier.path")
  std::string before;
  std::string after;
};

// Every key whose value differs between `before` and `after`, in conf/corecached.yaml's order.
// SIGHUP reload uses it to apply what may change at run time and to log each key it cannot.
// Thread: any.
[[nodiscard]] std::vector<KeyChange> ChangedKeys(const Config& before, const Config& after);

// Every key of `config` as a corecached.yaml document, in conf/corecached.yaml's order, sections
// as nested mappings (`corecached --print-yaml [memcached flags...]`). LoadConfigString of the
// result gives back a Config equal to `config` in every key (ChangedKeys is empty). Thread: any.
[[nodiscard]] std::string RenderYaml(const Config& config);

}  // namespace corecached::config
