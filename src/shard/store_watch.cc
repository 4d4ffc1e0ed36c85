// Store: the watch log (memcached's fetchers, mutations and evictions streams, logger.c). Events
// are logged as plain data on the owning thread's ring; nothing here formats text. These paths
// run only while a watcher asks for their stream (Execute checks one relaxed word first).
#include "core/watch_log.h"
#include "shard/store.h"

namespace corecached::shard {

using core::Command;
using core::Op;
using core::Outcome;
using core::Result;
using core::WatchEvent;

namespace {
WatchEvent::StoreCmd StoreCmdOf(const Command& cmd) {
  switch (cmd.op) {
    case Op::kAdd:
      return WatchEvent::StoreCmd::kAdd;
    case Op::kSet:
      return cmd.check_cas ? WatchEvent::StoreCmd::kCas : WatchEvent::StoreCmd::kSet;
    case Op::kReplace:
      return WatchEvent::StoreCmd::kReplace;
    case Op::kAppend:
      return WatchEvent::StoreCmd::kAppend;
    case Op::kPrepend:
      return WatchEvent::StoreCmd::kPrepend;
    case Op::kCas:
      return WatchEvent::StoreCmd::kCas;
    default:
      return WatchEvent::StoreCmd::kNull;
  }
}

WatchEvent::StoreStatus StoreStatusOf(Outcome outcome) {
  switch (outcome) {
    case Outcome::kStored:
      return WatchEvent::StoreStatus::kStored;
    case Outcome::kExists:
      return WatchEvent::StoreStatus::kExists;
    case Outcome::kNotFound:
      return WatchEvent::StoreStatus::kNotFound;
    case Outcome::kTooLarge:
      return WatchEvent::StoreStatus::kTooLarge;
    case Outcome::kNoMemory:
      return WatchEvent::StoreStatus::kNoMemory;
    default:
      return WatchEvent::StoreStatus::kNotStored;
  }
}

bool IsKeyed(Op op) { return op != Op::kFlushAll && op != Op::kDump && op != Op::kSetLimit; }
}  // namespace

// memcached logs an item_get for every lookup of a key (do_item_get), stores included: the state
// before the command, without side effects.
void Store::WatchLookup(const Command& cmd) {
  if (!IsKeyed(cmd.op)) {
    return;
  }
  WatchEvent e;
  e.kind = WatchEvent::Kind::kItemGet;
  e.cfd = cmd.client_fd;
  auto found = WatchEvent::Found::kNotFound;
  if (const Item* item = table_.Find(cmd.hash.TableBits(), cmd.key); item != nullptr) {
    found = IsFlushed(*item)   ? WatchEvent::Found::kFlushed
            : IsExpired(*item) ? WatchEvent::Found::kExpired
                               : WatchEvent::Found::kFound;
    if (found == WatchEvent::Found::kFound) {
      e.clsid = static_cast<uint32_t>(ClassOf(*item));
      e.size = item->value_size;
    }
  } else if (tier_ != nullptr) {
    if (const ColdRef ref = tier_->Find(cmd.hash.TableBits(), cmd.key); ref != ColdIndex::kNone) {
      const ColdEntry& c = tier_->At(ref);
      found = IsFlushed(c.time, c.cas) ? WatchEvent::Found::kFlushed
              : IsExpired(c.exptime)   ? WatchEvent::Found::kExpired
                                       : WatchEvent::Found::kFound;
      if (found == WatchEvent::Found::kFound) {
        e.clsid = static_cast<uint32_t>(
            classes_.ClassOf(core::SizeClasses::ItemBytes(c.KeySize(), c.value_size, c.flags)));
        e.size = c.value_size;
      }
    }
  }
  e.status = static_cast<uint8_t>(found);
  options_.watch->Log(core::kWatchFetchers, e, cmd.key);
}

// memcached's item_store line (do_store_item): the class and size of the item the command wrote.
void Store::WatchStore(const Command& cmd, const Result& r) {
  const WatchEvent::StoreCmd store_cmd = StoreCmdOf(cmd);
  if (store_cmd == WatchEvent::StoreCmd::kNull) {
    return;
  }
  WatchEvent e;
  e.kind = WatchEvent::Kind::kItemStore;
  e.cmd = store_cmd;
  e.status = static_cast<uint8_t>(StoreStatusOf(r.outcome));
  e.cfd = cmd.client_fd;
  e.size = static_cast<uint32_t>(cmd.value.size());
  e.clsid = static_cast<uint32_t>(
      classes_.ClassOf(core::SizeClasses::ItemBytes(cmd.key.size(), cmd.value.size(), cmd.flags)));
  const uint32_t expires = cmd.exptime == 0 ? 0 : RelativeExptime(cmd.exptime);
  e.ttl = expires > now_relative_ ? int64_t{expires} - int64_t{now_relative_} : 0;
  options_.watch->Log(core::kWatchMutations, e, cmd.key);
}

void Store::WatchEviction(std::string_view key, const EvictedMeta& m) {
  WatchEvent e;
  e.kind = WatchEvent::Kind::kEviction;
  e.fetched = m.fetched;
  e.ttl = m.exptime != 0 ? int64_t{m.exptime} - int64_t{now_relative_} : -1;
  e.last_access = int64_t{now_relative_} - int64_t{m.time};
  e.clsid = static_cast<uint32_t>(
      classes_.ClassOf(core::SizeClasses::ItemBytes(key.size(), m.value_size, m.flags)));
  e.size = m.value_size;
  options_.watch->Log(core::kWatchEvictions, e, key);
}

}  // namespace corecached::shard
