#include "net/prefix_stats.h"

#include <algorithm>

#include "net/net_stats.h"

namespace corecached::net {

void PrefixStats::Record(const proto::Request& req, std::span<const core::Result> results) {
  if (req.kind != proto::RequestKind::kKeyed) {
    return;
  }
  std::lock_guard lock(mu_);
  const std::size_t n = std::min(req.commands.size(), results.size());
  for (std::size_t i = 0; i < n; ++i) {
    const core::Command& cmd = req.commands[i];
    const std::size_t colon = cmd.key.find(kDelimiter);
    if (colon == std::string::npos) {
      continue;
    }
    const std::string prefix = cmd.key.substr(0, colon);
    auto it = by_prefix_.find(prefix);
    if (it == by_prefix_.end()) {
      if (by_prefix_.size() >= kMaxPrefixes) {
        continue;
      }
      it = by_prefix_.emplace(prefix, Counts{}).first;
    }
    Counts& c = it->second;
    // memcached's detail dump counts gets, deletes and storage commands ("set" covers add,
    // replace, append, prepend and cas): NetStats' command families.
    switch (FamilyOf(cmd.op)) {
      case CommandFamily::kGet:
        ++c.get;
        c.hit += results[i].outcome == core::Outcome::kHit ? 1U : 0U;
        break;
      case CommandFamily::kDelete:
        ++c.del;
        break;
      case CommandFamily::kStore:
        ++c.set;
        break;
      default:
        break;
    }
  }
}

core::StatList PrefixStats::Dump() const {
  core::StatList out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [prefix, c] : by_prefix_) {
      out.emplace_back(prefix, "get " + std::to_string(c.get) + " hit " + std::to_string(c.hit) +
                                   " set " + std::to_string(c.set) + " del " +
                                   std::to_string(c.del));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void PrefixStats::Clear() {
  std::lock_guard lock(mu_);
  by_prefix_.clear();
}

}  // namespace corecached::net
