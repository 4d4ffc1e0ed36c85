#pragma once

#include <array>

#include "core/relaxed_counter.h"
#include "core/size_classes.h"

namespace corecached::shard {

// One size class's figures (memcached's `stats items` and `stats slabs` rows). corecached has no
// slabs: these count the shard's items by the class memcached would put them in
// (core/size_classes.h).
struct ClassStats {
  core::RelaxedCounter number;         // gauge: linked items of this class
  core::RelaxedCounter mem_requested;  // gauge: their memcached item sizes (key + value + 59)
  core::RelaxedCounter evicted, evicted_nonzero, reclaimed, expired_unfetched, evicted_unfetched;
  core::RelaxedCounter crawler_reclaimed;  // freed by `lru_crawler crawl`
  core::RelaxedCounter get_hits, cmd_set, delete_hits, incr_hits, decr_hits;
  core::RelaxedCounter cas_hits, cas_badval, touch_hits;
};

// ShardStats: one shard's counters, named as memcached names them (protocol.txt "General-purpose
// statistics"), so server/ can sum the shards into a `stats` reply without renaming.
//
// Owner: the Store. Thread: written by the owning shard only; read from any (atomics only).
// A reader sees each counter at most a moment old, and counters are not a consistent snapshot.
struct ShardStats {
  // Commands (memcached's cmd_*). cmd_get counts retrievals without touch; gat/mg T count in
  // cmd_touch, as memcached 1.6.18 does.
  core::RelaxedCounter cmd_get, cmd_set, cmd_flush, cmd_touch;
  core::RelaxedCounter get_hits, get_misses;
  core::RelaxedCounter get_expired;  // a get found the item expired
  core::RelaxedCounter get_flushed;  // a get found the item hidden by flush_all
  core::RelaxedCounter delete_hits, delete_misses;
  core::RelaxedCounter incr_hits, incr_misses, decr_hits, decr_misses;
  core::RelaxedCounter cas_hits, cas_misses, cas_badval;
  core::RelaxedCounter touch_hits, touch_misses;
  // Stores refused by the store: larger than the item limit, or no room (-M, or nothing to evict).
  core::RelaxedCounter store_too_large, store_no_memory;
  core::RelaxedCounter evictions;          // live items removed to make room
  core::RelaxedCounter reclaimed;          // expired/flushed items freed from the LRU tail
  core::RelaxedCounter expired_unfetched;  // reclaimed items that were never read
  core::RelaxedCounter evicted_unfetched;  // evicted items that were never read
  core::RelaxedCounter crawler_reclaimed;  // expired items freed by `lru_crawler crawl`
  // Gauges and totals.
  core::RelaxedCounter curr_items;         // linked items, expired-but-not-yet-reclaimed included
  core::RelaxedCounter total_items;        // items ever linked (every store makes a new item)
  core::RelaxedCounter bytes;              // bytes of the linked items' allocations
  core::RelaxedCounter hash_bytes;         // bytes of the hash table's bucket arrays
  core::RelaxedCounter hash_is_expanding;  // 1 while an incremental rehash runs
  // Cold tier (all 0 when it is disabled).
  core::RelaxedCounter cold_items;            // gauge: items whose value is on disk only
  core::RelaxedCounter cold_bytes;            // gauge: value bytes of those items
  core::RelaxedCounter evictions_to_disk;     // values moved from RAM to the cold tier
  core::RelaxedCounter cold_clean_demotions;  // of those, unchanged promoted ones: no write
  core::RelaxedCounter cold_reads;  // values read: loads started (shared count once), inline reads
  core::RelaxedCounter cold_promotions;      // loaded values returned to RAM
  core::RelaxedCounter cold_disk_errors;     // failed cold-tier operations (each logged, limited)
  core::RelaxedCounter cold_load_wait_us;    // total microseconds between load start and its end
  core::RelaxedCounter cold_load_batches;    // batches of loads submitted (one per busy turn)
  core::RelaxedCounter cold_reads_inline;    // values read on the loop (already in RAM), no load
  core::RelaxedCounter cold_writes_pending;  // gauge: values being written
  // Admin figures.
  core::RelaxedCounter limit_bytes;       // gauge: this shard's memory limit (cache_memlimit)
  core::RelaxedCounter oldest_item_time;  // gauge: Unix time of the LRU tail's last access; 0 empty
  // Indexed by memcached's class id, 1..SizeClasses::Count(); [0] is unused.
  std::array<ClassStats, core::SizeClasses::kMaxClasses + 1> classes;
};

}  // namespace corecached::shard
