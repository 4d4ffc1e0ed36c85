#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/watch_log.h"

namespace corecached::proto {

struct Request;
struct ParserOptions;

// memcached's admin commands (proto_text.c process_lru_crawler_command, process_slabs_command,
// process_lru_command, process_memlimit_command, process_watch_command, `stats cachedump`).
enum class AdminOp : uint8_t {
  kCrawlerEnable,
  kCrawlerDisable,
  kCrawlerSleep,    // number = microseconds
  kCrawlerToCrawl,  // number = items per class
  kCrawlerCrawl,    // classes
  kMetadump,        // classes; hash = "hash" mode (same output here)
  kCachedump,       // number = class id, limit = items (0 = all, within memcached's 2 MB)
  kSlabsAutomove,   // number = 0, 1 or 2
  kSlabsAutomoveRatio,
  kLruTune,     // hot_pct, warm_pct, hot_factor, warm_factor
  kLruMode,     // segmented
  kLruTempTtl,  // ttl (< 0: temp LRU off)
  kMemLimit,    // number = megabytes
  kWatch,       // watch_mask
};

// AdminRequest: one parsed admin command. Plain data, built by the parser.
struct AdminRequest {
  AdminOp op = AdminOp::kCrawlerEnable;
  std::bitset<64> classes;  // kCrawlerCrawl, kMetadump: the class ids asked for
  bool all_classes = false;
  uint64_t number = 0;
  uint64_t limit = 0;
  int64_t ttl = 0;
  uint32_t hot_pct = 0;
  uint32_t warm_pct = 0;
  double hot_factor = 0;
  double warm_factor = 0;
  double ratio = 0;
  bool segmented = true;
  uint32_t watch_mask = 0;  // core::WatchStream bits
  bool noreply = false;
};

// What executing an admin request came to. EncodeAdmin writes memcached's line for each.
enum class AdminOutcome : uint8_t {
  kOk,
  kCrawlerDisabled,     // CLIENT_ERROR lru crawler disabled
  kCrawlerStartFailed,  // ERROR failed to start lru crawler thread (already running)
  kInvalidShutdownMode,
  kWatcherTooMany,
  kMetadumpPipelined,  // ERROR cannot pipeline other commands before metadump
};

// The admin command lines. `tokens` are the line's tokens (command included), `ntokens` counts
// memcached's terminal token too. Fills out->admin (kind kAdmin) or an error reply (kind kError).
// Thread: any (pure functions).
void ParseLruCrawler(std::span<const std::string_view> tokens, const ParserOptions& options,
                     Request* out);
void ParseSlabs(std::span<const std::string_view> tokens, const ParserOptions& options,
                Request* out);
void ParseLru(std::span<const std::string_view> tokens, Request* out);
void ParseMemLimit(std::span<const std::string_view> tokens, Request* out);
void ParseWatch(std::span<const std::string_view> tokens, const ParserOptions& options,
                Request* out);
// `stats cachedump <class> <limit>`.
void ParseCachedump(std::span<const std::string_view> tokens, Request* out);

// Replies.
void EncodeAdmin(const Request& req, AdminOutcome outcome, std::string* out);
// lru_crawler metadump: one "key=... exp=... la=... cas=... fetch=... cls=... size=...\n" line
// per item (memcached's crawler_metadump_eval), then AppendDumpEnd.
void AppendMetadumpLine(const core::ItemSummary& item, std::string* out);
// stats cachedump: "ITEM <key> [<bytes> b; <exptime> s]\r\n" (memcached's item_cachedump).
void AppendCachedumpLine(const core::ItemSummary& item, std::string* out);
void AppendDumpEnd(std::string* out);
// watch: one event as memcached's log line (logger.c _logger_parse_*), "\n" included; the key is
// URI-encoded as memcached's uriencode does.
// watch: the "OK\r\n" a new watcher gets (logger.c logger_add_watcher), noreply or not.
void AppendWatchOk(std::string* out);
void AppendWatchLine(const core::WatchEvent& event, std::string_view key, std::string* out);

}  // namespace corecached::proto
