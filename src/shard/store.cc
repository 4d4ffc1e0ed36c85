#include "shard/store.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <string_view>
#include <utility>

#include "core/protocol_limits.h"

namespace corecached::shard {

using core::Command;
using core::Op;
using core::Outcome;
using core::Result;

namespace {

Result Of(Outcome outcome) {
  Result r;
  r.outcome = outcome;
  return r;
}

// C locale isspace: what strtoull skips and what memcached's safe_strtoull accepts after digits.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// memcached's safe_strtoull over the value followed by its "\r\n" (util.c): leading whitespace and
// a sign are allowed, at least one digit, no overflow, a negative result is refused, and the digits
// must end at whitespace or at the end of the value. So "12 abc" is 12, "-0" is 0, "-5" is not a
// number (all checked on memcached 1.6.18).
bool ParseDecimal(std::string_view text, uint64_t& out) {
  std::size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) {
    ++i;
  }
  bool negative = false;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    negative = text[i] == '-';
    ++i;
  }
  const std::size_t digits_start = i;
  uint64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    const auto digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return false;  // strtoull: ERANGE
    }
    value = value * 10 + digit;
  }
  if (i == digits_start || (i < text.size() && !IsSpace(text[i]))) {
    return false;
  }
  if (negative) {
    value = 0 - value;  // strtoull negates in unsigned arithmetic
    if ((value >> 63) != 0) {
      return false;
    }
  }
  out = value;
  return true;
}

bool IsCasMode(const Command& cmd) {
  return cmd.op == Op::kCas || (cmd.check_cas && (cmd.op == Op::kSet || cmd.op == Op::kReplace));
}

}  // namespace

Store::Store(const StoreOptions& options, const core::Clock& clock, int64_t process_started_seconds)
    : options_(options),
      watch_streams_(options.watch != nullptr ? &options.watch->StreamWord()
                                              : &core::WatchHub::NoStreams()),
      clock_(clock),
      process_started_seconds_(process_started_seconds),
      epoch_(process_started_seconds - 2),
      next_cas_(options.cas_start),
      classes_(options.growth_factor, options.chunk_size) {
  PublishGauges();
}

Store::~Store() {
  tier_.reset();  // detaches from the cold I/O threads first
  while (Item* item = table_.PopAny()) {
    ListOf(*item).Remove(*item);
    Item::Destroy(item);
  }
}

void Store::UpdateNow() {
  now_seconds_ = clock_.NowSeconds();
  now_relative_ = static_cast<uint32_t>(
      std::clamp<int64_t>(now_seconds_ - epoch_, 1, std::numeric_limits<uint32_t>::max()));
}

Lru& Store::ListOf(const Item& item) { return item.Has(Item::kWriting) ? writing_ : lru_; }

Result Store::Execute(const Command& cmd) {
  UpdateNow();
  blocked_ = Blocked::kNone;
  const uint32_t watched = WatchedStreams();
  if ((watched & core::kWatchFetchers) != 0) [[unlikely]] {
    WatchLookup(cmd);
  }
  Result r = ExecuteOp(cmd);
  if ((watched & core::kWatchMutations) != 0) [[unlikely]] {
    WatchStore(cmd, r);
  }
  if (!options_.cas_enabled) {
    r.cas = 0;
  }
  CountRefusedStore(cmd, r);
  if (tier_ != nullptr) {
    CountUse(cmd, r);
    MaybeDemote(nullptr);
    if (r.outcome == Outcome::kColdLoading) {
      r.retry_after_ms = 1;
    }
  }
  return r;
}

Result Store::ExecuteOp(const Command& cmd) {
  try {
    switch (cmd.op) {
      case Op::kGet:
        return Get(cmd);
      case Op::kTouch:
        return Touch(cmd);
      case Op::kSet:
      case Op::kAdd:
      case Op::kReplace:
      case Op::kCas:
        return StoreValue(cmd);
      case Op::kAppend:
      case Op::kPrepend:
        return Concat(cmd);
      case Op::kDelete:
        return Delete(cmd);
      case Op::kIncr:
      case Op::kDecr:
        return Arith(cmd);
      case Op::kFlushAll:
        return FlushAll(cmd);
      case Op::kDump:
        return Dump(cmd);
      case Op::kSetLimit:
        return SetLimit(cmd);
    }
  } catch (const std::bad_alloc&) {
    // Copying a value into the Result failed; the Store itself is consistent.
  }
  return Of(Outcome::kNoMemory);
}

// ---- Retrieval --------------------------------------------------------------------------------

Result Store::Get(const Command& cmd) {
  Item* item = FindLive(cmd, /*count_get=*/true);
  if (item == nullptr) {
    const ColdRef ref = FindCold(cmd, /*count_get=*/true);
    if (ref != ColdIndex::kNone) {
      const uint8_t bits = tier_->At(ref).Bits();
      if (!cmd.touch && cmd.ttl_steps[0] == 0 && !cmd.recache &&
          (bits & (Item::kStale | Item::kTokenSent)) == 0) {
        return ColdGet(cmd, ref);
      }
      Result loading = Materialize(cmd, ref, item);  // counted when it runs with the item hot
      if (item == nullptr) {
        return loading;
      }
    }
  }
  (cmd.touch ? stats_.cmd_touch : stats_.cmd_get).Add();
  const bool created = item == nullptr && cmd.vivify;
  if (item == nullptr) {
    if (!cmd.vivify) {
      (cmd.touch ? stats_.touch_misses : stats_.get_misses).Add();
      return Of(Outcome::kMiss);
    }
    Result failed = VivifyForGet(cmd, item);
    if (item == nullptr) {
      return failed;
    }
  }
  const bool meta_steps = cmd.ttl_steps[0] != 0;
  const uint32_t shown_exptime = meta_steps ? ApplyTtlSteps(cmd, *item, created) : 0;
  if (cmd.touch && !meta_steps) {
    item->exptime = RelativeExptime(cmd.exptime);
  }
  if (cmd.touch) {
    UpdateDiskExptime(*item);
  }
  Result r;
  r.outcome = Outcome::kHit;
  FillHit(*item, r);
  if (meta_steps) {
    r.ttl_seconds = TtlSeconds(shown_exptime);
  }
  DecideWin(cmd, *item, created, r);
  (cmd.touch ? stats_.touch_hits : stats_.get_hits).Add();
  (cmd.touch ? ClassStatsOf(*item).touch_hits : ClassStatsOf(*item).get_hits).Add();
  if (!cmd.no_lru_bump) {
    Bump(*item);
  }
  return r;
}

// mg N on a miss: an empty item with the vivify TTL; the caller wins the right to fill it.
Result Store::VivifyForGet(const Command& cmd, Item*& out) {
  Allocation a = Allocate(cmd, 0, nullptr);
  if (a.item == nullptr) {
    return Of(a.failure);
  }
  a.item->exptime = RelativeExptime(cmd.vivify_exptime);
  a.item->cas = CasFor(cmd);
  out = a.item.get();
  Link(std::move(a.item), nullptr);
  return Of(Outcome::kHit);
}

// meta W/Z/X (proto_text.c process_mget_command): a client wins when it created the item, when
// recache (R) finds the TTL below the threshold, or when the item is stale; one winner per token.
void Store::DecideWin(const Command& cmd, Item& item, bool created, Result& r) {
  bool won = created;
  const bool token_sent = item.Has(Item::kTokenSent);
  if (cmd.recache && !token_sent && !created && item.exptime != 0 && cmd.recache_threshold > 0 &&
      item.exptime < RelativeExptime(cmd.recache_threshold)) {
    won = true;
  }
  r.already_won = token_sent;
  if (item.Has(Item::kStale)) {
    r.stale = true;
    won = won || !token_sent;
  }
  if (won) {
    r.win = true;
    item.Set(Item::kTokenSent);
  }
}

void Store::FillHit(const Item& item, Result& r) const {
  r.value.assign(item.Value());
  r.flags = item.flags;
  r.cas = item.cas;
  r.ttl_seconds = TtlSeconds(item);
  r.last_access_seconds = static_cast<int64_t>(now_relative_) - static_cast<int64_t>(item.time);
  r.hit_before = item.Has(Item::kFetched);
  r.stale = item.Has(Item::kStale);
  r.key_binary = item.Has(Item::kKeyBinary);
}

void Store::Bump(Item& item) {
  item.Set(Item::kFetched);
  Refresh(item);
}

void Store::Refresh(Item& item) {
  item.time = now_relative_;
  ListOf(item).Bump(item);
}

Result Store::Touch(const Command& cmd) {
  stats_.cmd_touch.Add();
  Item* item = FindLive(cmd, /*count_get=*/false);
  if (item == nullptr) {
    const ColdRef ref = FindCold(cmd, /*count_get=*/false);
    if (ref != ColdIndex::kNone) {
      return TouchCold(cmd, ref);
    }
    stats_.touch_misses.Add();
    return Of(Outcome::kNotFound);
  }
  item->exptime = RelativeExptime(cmd.exptime);
  UpdateDiskExptime(*item);
  stats_.touch_hits.Add();
  ClassStatsOf(*item).touch_hits.Add();
  Bump(*item);
  Result r = Of(Outcome::kTouched);
  r.cas = item->cas;
  r.flags = item->flags;
  r.ttl_seconds = TtlSeconds(*item);
  return r;
}

// ---- Storage ----------------------------------------------------------------------------------

// set/add/replace/cas (memcached.c do_store_item). CAS mode covers `cas`, and set/replace with
// check_cas (binary CAS, meta C). ms I: a CAS older than the item's stores the value as stale.
Result Store::StoreValue(const Command& cmd) {
  stats_.cmd_set.Add();
  // memcached allocates the new item before it looks the key up, and its allocation first frees
  // dead items from the LRU tail (lru_pull_tail): the key's own expired item, when it is the
  // oldest, counts as reclaimed rather than being replaced (t/issue_163.t, t/issue_183.t).
  ReclaimTail(nullptr);
  // do_store_item's lookup: an expired or flushed item found here counts in get_expired/flushed.
  Item* old = FindLive(cmd, /*count_get=*/true);
  ColdRef cold_old = old == nullptr ? FindCold(cmd, /*count_get=*/false) : ColdIndex::kNone;
  if (cold_old != ColdIndex::kNone && IsCasMode(cmd) && cmd.invalidate) {
    Result loading = Materialize(cmd, cold_old, old);  // ms I may keep its TTL and token
    if (old == nullptr) {
      return loading;
    }
    cold_old = ColdIndex::kNone;
  }
  if (cold_old != ColdIndex::kNone) {
    return StoreOverCold(cmd, cold_old);
  }
  if (IsCasMode(cmd)) {
    if (old == nullptr) {
      stats_.cas_misses.Add();
      return Of(Outcome::kNotFound);
    }
    if (!options_.cas_enabled || old->cas != cmd.compare_cas) {
      if (!options_.cas_enabled || !(cmd.invalidate && cmd.compare_cas < old->cas)) {
        stats_.cas_badval.Add();
        ClassStatsOf(*old).cas_badval.Add();
        return Of(Outcome::kExists);
      }
      return StoreNew(cmd, old, /*as_stale=*/true);
    }
  } else if (cmd.op == Op::kAdd && old != nullptr) {
    Refresh(*old);  // memcached: a failed add still promotes the item
    return Of(Outcome::kNotStored);
  } else if (cmd.op == Op::kReplace && old == nullptr) {
    return Of(Outcome::kNotStored);
  }
  return StoreNew(cmd, old, /*as_stale=*/false);
}

// set/add/replace/cas over a cold item: only its metadata is needed (the value is replaced).
Result Store::StoreOverCold(const Command& cmd, ColdRef cold_old) {
  ColdEntry& e = tier_->At(cold_old);
  if (IsCasMode(cmd) && (!options_.cas_enabled || e.cas != cmd.compare_cas)) {
    stats_.cas_badval.Add();
    return Of(Outcome::kExists);
  }
  if (cmd.op == Op::kAdd) {
    BumpCold(e);
    return Of(Outcome::kNotStored);
  }
  return StoreNew(cmd, nullptr, /*as_stale=*/false, cold_old);
}

Result Store::StoreNew(const Command& cmd, Item* old, bool as_stale, ColdRef cold_old) {
  cold_protect_ = cold_old;
  Allocation a = Allocate(cmd, cmd.value.size(), old);
  cold_protect_ = ColdIndex::kNone;
  if (a.item == nullptr) {
    return StoreFailed(cmd, old, a.failure, cold_old);
  }
  Item& fresh = *a.item;
  std::memcpy(fresh.MutableValue(), cmd.value.data(), cmd.value.size());
  fresh.flags = cmd.flags;
  fresh.exptime = RelativeExptime(cmd.exptime);
  if (as_stale) {
    // The stale value keeps the TTL and the recache token of the item it replaces.
    fresh.exptime = old->exptime;
    fresh.Set(Item::kStale);
    if (old->Has(Item::kTokenSent)) {
      fresh.Set(Item::kTokenSent);
    }
  }
  fresh.cas = CasFor(cmd);
  if (cmd.key_binary) {
    fresh.Set(Item::kKeyBinary);
  }
  if (IsCasMode(cmd)) {
    stats_.cas_hits.Add();
    ClassStatsOf(fresh).cas_hits.Add();
  }
  ClassStatsOf(fresh).cmd_set.Add();
  Result r = Of(Outcome::kStored);
  r.cas = fresh.cas;
  Link(std::move(a.item), old, cold_old);
  return r;
}

// memcached.c process_update_command: a set that cannot be stored removes the old value, so a
// client never reads data it meant to overwrite.
Result Store::StoreFailed(const Command& cmd, Item* old, Outcome failure, ColdRef cold_old) {
  if (cmd.op == Op::kSet && failure != Outcome::kColdLoading) {
    if (old != nullptr) {
      Unlink(old);
    } else if (cold_old != ColdIndex::kNone) {
      UnlinkCold(cold_old);
    }
  }
  return Of(failure);
}

// append/prepend keep the item's flags and exptime. ms MA/MP N on a miss stores the value as a set
// with the vivify TTL. A result over max_item_size is NOT_STORED (memcached 1.6.18, measured).
Result Store::Concat(const Command& cmd) {
  stats_.cmd_set.Add();
  ReclaimTail(nullptr);  // as StoreValue: memcached allocates, then looks up (do_store_item)
  Item* old = FindLive(cmd, /*count_get=*/true);
  const ColdRef cold_old = old == nullptr ? FindCold(cmd, /*count_get=*/false) : ColdIndex::kNone;
  if (cold_old != ColdIndex::kNone) {
    if (cmd.check_cas && VisibleCas(tier_->At(cold_old).cas) != cmd.compare_cas) {
      return Of(Outcome::kExists);
    }
    Result loading = Materialize(cmd, cold_old, old);
    if (old == nullptr) {
      return loading;
    }
  }
  if (old == nullptr) {
    if (!cmd.vivify) {
      return Of(Outcome::kNotStored);
    }
    Command as_set = cmd;
    as_set.op = Op::kSet;
    as_set.exptime = cmd.vivify_exptime;
    return StoreNew(as_set, nullptr, /*as_stale=*/false);
  }
  if (cmd.check_cas && VisibleCas(old->cas) != cmd.compare_cas) {
    return Of(Outcome::kExists);
  }
  const std::string_view before = old->Value();
  Allocation a = Allocate(cmd, before.size() + cmd.value.size(), old);
  if (a.item == nullptr) {
    return Of(a.failure == Outcome::kTooLarge ? Outcome::kNotStored : a.failure);
  }
  char* out = a.item->MutableValue();
  const std::string_view first = cmd.op == Op::kAppend ? before : std::string_view(cmd.value);
  const std::string_view second = cmd.op == Op::kAppend ? std::string_view(cmd.value) : before;
  std::memcpy(out, first.data(), first.size());
  std::memcpy(out + first.size(), second.data(), second.size());
  a.item->flags = old->flags;
  a.item->exptime = old->exptime;
  a.item->cas = CasFor(cmd);  // memcached's append item never keeps a base64-key mark
  Result r = Of(Outcome::kStored);
  r.cas = a.item->cas;
  Link(std::move(a.item), old);
  return r;
}

// ---- Deletion ---------------------------------------------------------------------------------

// delete / md (proto_text.c process_mdelete_command): md x replaces the value with an empty one,
// md I marks the item stale with a new CAS instead of removing it.
Result Store::Delete(const Command& cmd) {
  Item* item = FindLive(cmd, /*count_get=*/false);
  const ColdRef cold = item == nullptr ? FindCold(cmd, /*count_get=*/false) : ColdIndex::kNone;
  if (item == nullptr && cold == ColdIndex::kNone) {
    stats_.delete_misses.Add();
    return Of(Outcome::kNotFound);
  }
  if (cmd.check_cas &&
      VisibleCas(item != nullptr ? item->cas : tier_->At(cold).cas) != cmd.compare_cas) {
    stats_.delete_misses.Add();
    return Of(Outcome::kExists);
  }
  if (cold != ColdIndex::kNone) {
    if (!cmd.invalidate && !cmd.delete_value_only) {
      UnlinkCold(cold);
      stats_.delete_hits.Add();
      return Of(Outcome::kDeleted);
    }
    Result loading = Materialize(cmd, cold, item);  // md I / md x work on the hot item
    if (item == nullptr) {
      return loading;
    }
  }
  if (cmd.delete_value_only) {
    Result failed = ReplaceValueOnly(cmd, item, item);
    if (item == nullptr) {
      return failed;
    }
  }
  stats_.delete_hits.Add();
  ClassStatsOf(*item).delete_hits.Add();
  if (cmd.invalidate) {
    Invalidate(cmd, item);
  } else if (!cmd.delete_value_only) {
    Unlink(item);
  }
  return Of(Outcome::kDeleted);
}

Result Store::ReplaceValueOnly(const Command& cmd, Item* old, Item*& out) {
  out = nullptr;
  Allocation a = Allocate(cmd, 0, old);
  if (a.item == nullptr) {
    return Of(a.failure);
  }
  a.item->flags = cmd.flags;
  a.item->exptime = cmd.update_ttl ? RelativeExptime(cmd.exptime) : 0;
  a.item->cas = cmd.new_cas != 0 ? cmd.new_cas : old->cas;
  out = a.item.get();
  Link(std::move(a.item), old);
  return Of(Outcome::kDeleted);
}

void Store::Invalidate(const Command& cmd, Item* item) {
  ChangeInPlace(*item);
  if (cmd.update_ttl) {
    item->exptime = RelativeExptime(cmd.exptime);
  }
  item->Set(Item::kStale);
  item->Clear(Item::kTokenSent);  // the next reader may win
  item->cas = CasFor(cmd);
}

// ---- incr/decr --------------------------------------------------------------------------------

// memcached.c do_add_delta: incr wraps at 2^64, decr stops at 0. A result that fits in the old
// length is written in place and padded with spaces (decr 100 by 1 reads back "99 "); a longer one
// makes a new item with the old flags and exptime.
Result Store::Arith(const Command& cmd) {
  const bool incr = cmd.op == Op::kIncr;
  Item* item = FindLive(cmd, /*count_get=*/false);
  const ColdRef cold = item == nullptr ? FindCold(cmd, /*count_get=*/false) : ColdIndex::kNone;
  if (item == nullptr && cold == ColdIndex::kNone) {
    return ArithMiss(cmd);
  }
  if (cmd.check_cas &&
      VisibleCas(item != nullptr ? item->cas : tier_->At(cold).cas) != cmd.compare_cas) {
    return Of(Outcome::kExists);
  }
  if (cold != ColdIndex::kNone) {
    Result loading = Materialize(cmd, cold, item);
    if (item == nullptr) {
      return loading;
    }
  }
  uint64_t number = 0;
  if (item->value_size == 0 || !ParseDecimal(item->Value(), number)) {
    return Of(Outcome::kNonNumeric);
  }
  if (incr) {
    number += cmd.delta;
  } else {
    number = cmd.delta > number ? 0 : number - cmd.delta;
  }
  return ArithWrite(cmd, item, number);
}

Result Store::ArithMiss(const Command& cmd) {
  if (!cmd.vivify) {
    (cmd.op == Op::kIncr ? stats_.incr_misses : stats_.decr_misses).Add();
    return Of(Outcome::kNotFound);
  }
  char digits[core::kMaxUint64Digits];
  const auto end = std::to_chars(digits, digits + sizeof(digits), cmd.initial).ptr;
  const auto length = static_cast<std::size_t>(end - digits);
  Allocation a = Allocate(cmd, length, nullptr);
  if (a.item == nullptr) {
    return Of(a.failure);
  }
  std::memcpy(a.item->MutableValue(), digits, length);
  a.item->exptime = RelativeExptime(cmd.vivify_exptime);
  a.item->cas = CasFor(cmd);
  Result r = Of(Outcome::kArithOk);
  r.number = cmd.initial;
  r.cas = a.item->cas;
  r.ttl_seconds = TtlSeconds(*a.item);
  Link(std::move(a.item), nullptr);
  return r;
}

Result Store::ArithWrite(const Command& cmd, Item* item, uint64_t number) {
  char digits[core::kMaxUint64Digits];
  const auto end = std::to_chars(digits, digits + sizeof(digits), number).ptr;
  const auto length = static_cast<std::size_t>(end - digits);
  if (length <= item->value_size) {
    ChangeInPlace(*item);  // the record (being written) holds the old number
    std::memcpy(item->MutableValue(), digits, length);
    std::memset(item->MutableValue() + length, ' ', item->value_size - length);
    item->cas = CasFor(cmd);
    Refresh(*item);
  } else {
    Allocation a = Allocate(cmd, length, item);
    if (a.item == nullptr) {
      return Of(a.failure);
    }
    std::memcpy(a.item->MutableValue(), digits, length);
    a.item->flags = item->flags;
    a.item->exptime = item->exptime;
    a.item->cas = CasFor(cmd);
    Item* fresh = a.item.get();
    Link(std::move(a.item), item);
    item = fresh;
  }
  if (cmd.update_ttl) {
    item->exptime = RelativeExptime(cmd.exptime);
  }
  (cmd.op == Op::kIncr ? stats_.incr_hits : stats_.decr_hits).Add();
  ClassStats& cls = ClassStatsOf(*item);
  (cmd.op == Op::kIncr ? cls.incr_hits : cls.decr_hits).Add();
  Result r = Of(Outcome::kArithOk);
  r.number = number;
  r.cas = item->cas;
  r.flags = item->flags;
  r.ttl_seconds = TtlSeconds(*item);
  return r;
}

// ---- flush_all --------------------------------------------------------------------------------

// memcached.c process_flush_all_command with CAS enabled: items become invisible once
// oldest_live = (delay's time or now) - 1 is reached. An immediate flush also hides everything
// with an older CAS, so items stored earlier in the same second go too; a delayed one also hides
// items stored in the second it takes effect (both as memcached 1.6.18 does, measured).
Result Store::FlushAll(const Command& cmd) {
  // Every shard executes the broadcast; one of them counts it, so the sum is memcached's figure.
  if (options_.shard_id == 0) {
    stats_.cmd_flush.Add();
  }
  int64_t new_oldest = now_seconds_;
  if (cmd.exptime > 0) {
    const int64_t at = core::ToAbsoluteExptime(cmd.exptime, now_seconds_, process_started_seconds_);
    new_oldest = at == core::kExpiredNow ? now_seconds_ : at;
  }
  oldest_live_ = new_oldest - 1;
  if (oldest_live_ <= now_seconds_) {
    oldest_cas_ = NextCas();
  }
  return Of(Outcome::kOk);
}

// ---- Lookup, expiry -----------------------------------------------------------------------------

Item* Store::FindLive(const Command& cmd, bool count_get) {
  Item* item = table_.Find(cmd.hash.TableBits(), cmd.key);
  if (item == nullptr) {
    return nullptr;
  }
  if (IsFlushed(*item)) {
    if (count_get) {
      stats_.get_flushed.Add();
    }
    Unlink(item);
    return nullptr;
  }
  if (IsExpired(*item)) {
    if (count_get) {
      stats_.get_expired.Add();
    }
    Unlink(item);
    return nullptr;
  }
  return item;
}

uint64_t Store::NextCas() {
  const uint64_t cas = next_cas_;
  next_cas_ += options_.cas_step;
  return cas;
}

// memcached's store_too_large / store_no_memory (process_update_command: the item could not be
// allocated). Values refused by the parser before they reach a shard are not counted.
void Store::CountRefusedStore(const Command& cmd, const Result& r) {
  const bool storage = cmd.op == Op::kSet || cmd.op == Op::kAdd || cmd.op == Op::kReplace ||
                       cmd.op == Op::kCas || cmd.op == Op::kAppend || cmd.op == Op::kPrepend;
  if (!storage) {
    return;
  }
  if (r.outcome == Outcome::kTooLarge) {
    stats_.store_too_large.Add();
  } else if (r.outcome == Outcome::kNoMemory) {
    stats_.store_no_memory.Add();
  }
}

uint64_t Store::VisibleCas(uint64_t cas) const { return options_.cas_enabled ? cas : 0; }

uint64_t Store::CasFor(const Command& cmd) { return cmd.new_cas != 0 ? cmd.new_cas : NextCas(); }

}  // namespace corecached::shard
