#pragma once

#include <string>
#include <utility>
#include <vector>

namespace corecached::core {

// StatList: ordered (name, value) pairs, the body of a `stats` reply. Order is memcached's.
using StatList = std::vector<std::pair<std::string, std::string>>;

}  // namespace corecached::core
