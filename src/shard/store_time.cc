// Store's clock side: expiry and flush checks, protocol exptime -> item time, TTLs (memcached
// protocol.txt "Expiration times"). Split from store.cc, which executes the commands.
#include <algorithm>
#include <limits>
#include <optional>

#include "shard/store.h"

namespace corecached::shard {

using core::Command;

bool Store::IsExpired(uint32_t exptime) const { return exptime != 0 && exptime <= now_relative_; }

bool Store::IsFlushed(uint32_t time, uint64_t cas) const {
  if (oldest_live_ == 0 || oldest_live_ > now_seconds_) {
    return false;
  }
  return epoch_ + time <= oldest_live_ || (oldest_cas_ != 0 && cas < oldest_cas_);
}

// ---- Time, CAS --------------------------------------------------------------------------------

uint32_t Store::RelativeExptime(int64_t protocol_exptime) const {
  const int64_t at =
      core::ToAbsoluteExptime(protocol_exptime, now_seconds_, process_started_seconds_);
  if (at == 0) {
    return 0;
  }
  if (at == core::kExpiredNow) {
    return 1;
  }
  return static_cast<uint32_t>(
      std::clamp<int64_t>(at - epoch_, 1, std::numeric_limits<uint32_t>::max()));
}

int64_t Store::TtlSeconds(const Item& item) const { return TtlSeconds(item.exptime); }

int64_t Store::TtlSeconds(uint32_t exptime) const {
  if (exptime == 0) {
    return -1;
  }
  return static_cast<int64_t>(exptime) - static_cast<int64_t>(now_relative_);
}

// mg T/N/t in request order (Command::ttl_steps): an item mg creates starts with no expiry, T
// sets its TTL, N sets it only on the item it created; returns the exptime t reports.
uint32_t Store::ApplyTtlSteps(const Command& cmd, Item& item, bool created) {
  if (created) {
    item.exptime = 0;
  }
  std::optional<uint32_t> shown;
  for (const char step : cmd.ttl_steps) {
    if (step == 'T') {
      item.exptime = RelativeExptime(cmd.exptime);
    } else if (step == 'N' && created) {
      item.exptime = RelativeExptime(cmd.vivify_exptime);
    } else if (step == 't') {
      shown = item.exptime;
    }
  }
  return shown.value_or(item.exptime);
}

}  // namespace corecached::shard
