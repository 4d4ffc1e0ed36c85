#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace corecached::core {

// What a shard answers, protocol-neutral (memcached's store_item_type plus retrieval outcomes).
// Encoders map each to bytes through proto/replies.h.
enum class Outcome : uint8_t {
  kStored,     // set/add/replace/append/prepend/cas succeeded
  kNotStored,  // add on a present key, replace/append/prepend on a missing one
  kExists,     // CAS mismatch
  kNotFound,   // cas/delete/incr/decr/touch on a missing key
  kDeleted,
  kTouched,
  kHit,  // retrieval found the item: Result carries value and metadata
  kMiss,
  kArithOk,     // incr/decr: Result::number holds the new value
  kNonNumeric,  // incr/decr on a value that is not a decimal uint64
  kTooLarge,    // item can never fit (over max_item_size or the shard's memory share)
  kNoMemory,    // nothing could be evicted to make room
  kBusy,        // shed by backpressure; Result::retry_after_ms holds the hint
  kOk,          // flush_all
  // The item's value is in the cold tier and is being loaded (on_cold_read: retry), or a store is
  // waiting for cold write-back to make room. Replies with replies.h's cold-loading error
  // (binary status 0x0086); Result::retry_after_ms holds a hint.
  kColdLoading,
  // Proxy mode: the upstream server is down, timed out or answered an error we do not pass on.
  // Replies with replies.h's backend-failure error.
  kUpstreamError,
};

// One item as lru_crawler metadump and stats cachedump list it (Op::kDump). Times are Unix seconds.
struct ItemSummary {
  std::string key;
  int64_t exptime = -1;  // -1 = never expires
  int64_t last_access = 0;
  uint64_t cas = 0;
  uint32_t value_bytes = 0;
  uint32_t item_bytes = 0;  // memcached's ITEM_ntotal: key + value + 59
  uint8_t size_class = 0;
  bool fetched = false;
};

// Result answers one Command. It owns its bytes: nothing in it points into the Store.
// Thread: one thread at a time (written by the owning shard's thread, read by the connection's
// network thread inline or once the cross-thread Message carrying it came back).
struct Result {
  Outcome outcome = Outcome::kMiss;

  // kHit (and metadata for meta replies on other outcomes where memcached reports them):
  std::string value;
  uint32_t flags = 0;
  uint64_t cas = 0;
  int64_t ttl_seconds = -1;         // remaining TTL; -1 = never expires (meta t)
  int64_t last_access_seconds = 0;  // seconds since last access (meta l)
  bool hit_before = false;          // item was fetched before this request (meta h)
  bool stale = false;               // item was invalidated (meta X)
  bool win = false;                 // this client should recache (meta W)
  bool already_won = false;         // another client already won (meta Z)
  bool key_binary = false;          // the item was stored with a base64 key (meta mg k, me)

  uint64_t number = 0;          // kArithOk
  uint32_t retry_after_ms = 0;  // kBusy, kColdLoading

  // kDump: whether this shard was the one asked, its items, and where to continue (0 = done).
  bool dump_owner = false;
  uint64_t dump_cursor = 0;
  std::vector<ItemSummary> dump;
};

}  // namespace corecached::core
