#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/key_hash.h"

namespace corecached::core {

// The operations a shard executes. Protocol-neutral: the text, binary and meta parsers all map
// their requests onto these (for requests, the idea of memcached's store_item_type and
// dragonfly's OpStatus).
enum class Op : uint8_t {
  kGet,    // retrieval; see Command::touch, vivify, recache, no_lru_bump
  kTouch,  // set a new exptime, return nothing but the outcome
  kSet,
  kAdd,
  kReplace,
  kAppend,  // see Command::vivify for meta "ms MA N"
  kPrepend,
  kCas,     // set, only if the item's CAS equals Command::compare_cas
  kDelete,  // see Command::invalidate and Command::delete_value_only (meta md I / x)
  kIncr,
  kDecr,
  kFlushAll,  // broadcast to every shard; Command::exptime is the delay (protocol exptime rules)
  // Admin (broadcast to every shard, like kFlushAll):
  kDump,      // one chunk of item summaries from shard Command::dump.shard (see DumpSpec)
  kSetLimit,  // cache_memlimit: Command::delta = the new limit of all shards together, in bytes
};

// kDump: which items one chunk lists. Every shard receives the command; only shard `shard`
// answers (Result::dump_owner), with at most `max_items` items from its table cursor `cursor` on,
// and the cursor to continue from (0 = that shard is done). Bounded memory per round, whatever
// the cache size (lru_crawler metadump, stats cachedump). With `reclaim` (lru_crawler crawl) the
// chunk frees the expired and flushed items it passes instead of listing anything.
struct DumpSpec {
  uint64_t cursor = 0;
  uint64_t classes = ~uint64_t{0};  // bit i: memcached's class i (core/size_classes.h)
  uint32_t shard = 0;
  uint16_t max_items = 0;
  bool reclaim = false;
};

// Command is one request for one key (or one shard for kFlushAll), protocol-neutral.
// Built by a network thread, executed inline by its own shard or moved into a cross-thread
// Message for the owning shard, then discarded.
// Thread: one thread at a time (ownership passes through the Channel).
struct Command {
  Op op = Op::kGet;
  std::string key;
  KeyHash hash;       // REQUIRES: KeyHash::Of(key), computed once by whoever filled in key.
  std::string value;  // storage commands only

  uint32_t flags = 0;   // client flags stored with the item
  int64_t exptime = 0;  // protocol exptime (relative, absolute or negative); see ToAbsoluteExptime

  // CAS. check_cas: fail with kExists unless the item's CAS == compare_cas (text `cas`, binary
  // requests with a non-zero CAS, meta C). new_cas: the CAS to give the item if it is modified
  // (meta E); 0 means "the shard picks the next one".
  bool check_cas = false;
  uint64_t compare_cas = 0;
  uint64_t new_cas = 0;

  // kIncr/kDecr.
  uint64_t delta = 0;
  uint64_t initial = 0;  // value to create on a miss when vivify is set (binary incr, meta ma N/J)

  // Retrieval options (kGet), all from meta mg or binary/text gat:
  bool key_binary = false;   // meta b: a store marks the item so mg k / me print it base64
  bool touch = false;        // gat/gats, binary GAT, mg T: apply exptime on a hit
  bool no_lru_bump = false;  // mg u
  // vivify: on a miss, create the item (empty value for kGet/kAppend, `initial` for kIncr/kDecr)
  // with vivify_exptime, and report the caller as the winner (mg/ms/ma N, binary incr initial).
  bool vivify = false;
  int64_t vivify_exptime = 0;
  // recache: on a hit whose remaining TTL is below recache_threshold seconds, the first asker wins
  // (mg R).
  bool recache = false;
  int64_t recache_threshold = 0;
  bool update_ttl = false;  // ma T / md T with I: set exptime on success
  // mg only: 'T', 'N' and 't' in request order (0 past the end). memcached applies T and, on an
  // item it creates, N while it writes the return flags, so t shows the TTL as of its own
  // position and the last of T and N wins ("mg k N10 t T20" answers t10 and keeps 20).
  std::array<char, 3> ttl_steps{};

  // Deletion / invalidation (meta):
  bool invalidate = false;         // md I: mark stale and bump CAS instead of removing;
                                   // ms I: if compare_cas is older than the item's, store as stale
  bool delete_value_only = false;  // md x: drop the value, keep the item (flags 0, empty value)

  DumpSpec dump;  // kDump only

  int32_t client_fd = -1;  // the asking connection's socket (`watch` log lines' cfd)
};

}  // namespace corecached::core
