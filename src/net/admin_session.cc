// Session: memcached's admin commands (proto/admin.h). Settings changes go to the server's
// RuntimeSettings; cache_memlimit and the dumps reach the shards through the Router like any other
// command (kSetLimit, kDump broadcast to every shard), so the stores are only touched on their
// owning threads. Dumps stream: one bounded chunk of one shard per round, written as it arrives.
#include <boost/fiber/operations.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "core/command.h"
#include "net/session.h"
#include "net/verbose_log.h"
#include "proto/admin.h"

namespace corecached::net {

namespace {
using proto::AdminOp;
using proto::AdminOutcome;

// Items one dump chunk may carry: about 64 KiB of metadump lines per round, whatever the cache.
constexpr uint16_t kDumpChunkItems = 256;
// items.c item_cachedump: the reply is cut at 2 MB.
constexpr std::size_t kCachedumpMaxBytes = std::size_t{2} * 1024 * 1024;
// A shard shedding dump chunks (backpressure) is asked again this many times, this far apart.
constexpr int kDumpBusyRetries = 200;
constexpr std::chrono::milliseconds kDumpBusyPause{5};
constexpr uint64_t kMiB = uint64_t{1024} * 1024;

AdminOutcome ApplySetting(const proto::AdminRequest& a, core::RuntimeSettings& s) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  switch (a.op) {
    case AdminOp::kCrawlerEnable:
      // memcached answers an error when its crawler thread already runs.
      return s.lru_crawler.exchange(true) ? AdminOutcome::kCrawlerStartFailed : AdminOutcome::kOk;
    case AdminOp::kCrawlerDisable:
      s.lru_crawler.store(false, kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kCrawlerSleep:
      s.lru_crawler_sleep_us.store(static_cast<uint32_t>(a.number), kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kCrawlerToCrawl:
      s.lru_crawler_tocrawl.store(static_cast<uint32_t>(a.number), kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kSlabsAutomove:
      s.slab_automove.store(static_cast<uint32_t>(a.number), kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kSlabsAutomoveRatio:
      s.slab_automove_ratio.store(a.ratio, kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kLruTune:
      s.hot_lru_pct.store(a.hot_pct, kRelaxed);
      s.warm_lru_pct.store(a.warm_pct, kRelaxed);
      s.hot_max_factor.store(a.hot_factor, kRelaxed);
      s.warm_max_factor.store(a.warm_factor, kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kLruMode:
      s.lru_segmented.store(a.segmented, kRelaxed);
      return AdminOutcome::kOk;
    case AdminOp::kLruTempTtl:
      s.temp_lru.store(a.ttl >= 0, kRelaxed);
      if (a.ttl >= 0) {
        s.temporary_ttl.store(a.ttl, kRelaxed);
      }
      return AdminOutcome::kOk;
    default:
      return AdminOutcome::kOk;
  }
}
}  // namespace

bool Session::RunAdmin(const proto::Request& req, bool first_in_round) {
  const proto::AdminRequest& a = req.admin;
  switch (a.op) {
    case AdminOp::kMetadump:
    case AdminOp::kCrawlerCrawl:
      if (!env_.settings->lru_crawler.load(std::memory_order_relaxed)) {
        proto::EncodeAdmin(req, AdminOutcome::kCrawlerDisabled, &w_->out);
        return true;
      }
      if (a.op == AdminOp::kMetadump && !first_in_round) {
        // proto_text.c: replies already queued on the connection refuse a metadump.
        proto::EncodeAdmin(req, AdminOutcome::kMetadumpPipelined, &w_->out);
        return true;
      }
      // memcached's crawl runs in the background and answers OK at once; this one frees the
      // expired and flushed items of the classes asked for, a bounded chunk per round, then
      // answers.
      return StreamDump(req);
    case AdminOp::kCachedump:
      return StreamDump(req);
    case AdminOp::kMemLimit:
      SetMemoryLimit(a.number * kMiB);
      proto::EncodeAdmin(req, AdminOutcome::kOk, &w_->out);
      return true;
    case AdminOp::kWatch:
      return RunWatch(req);
    default:
      proto::EncodeAdmin(req, ApplySetting(a, *env_.settings), &w_->out);
      return true;
  }
}

void Session::SetMemoryLimit(uint64_t bytes) {
  core::Command cmd;
  cmd.op = core::Op::kSetLimit;
  cmd.delta = bytes;
  Executor().Reset();
  std::vector<core::Executor::Slot> slots;
  Executor().Broadcast(cmd, &slots);
  Executor().ExecuteRound();
  Executor().Reset();
  env_.settings->maxbytes.store(bytes, std::memory_order_relaxed);
}

bool Session::StreamDump(const proto::Request& req) {
  const bool crawl = req.admin.op == AdminOp::kCrawlerCrawl;
  std::size_t listed_bytes = 0;
  std::size_t listed_items = 0;
  bool more_shards = true;
  for (uint32_t shard = 0; more_shards; ++shard) {
    if (!DumpShard(req, shard, &listed_bytes, &listed_items, &more_shards)) {
      return false;
    }
  }
  if (crawl) {
    proto::EncodeAdmin(req, AdminOutcome::kOk, &w_->out);
  } else {
    proto::AppendDumpEnd(&w_->out);
  }
  return true;
}

// Lists shard `shard` chunk by chunk. *more_shards becomes false once no shard answers to that
// number (every shard was listed) or the cachedump limit is reached.
bool Session::DumpShard(const proto::Request& req, uint32_t shard, std::size_t* listed_bytes,
                        std::size_t* listed_items, bool* more_shards) {
  const proto::AdminRequest& a = req.admin;
  const bool cachedump = a.op == AdminOp::kCachedump;
  core::Command cmd;
  cmd.op = core::Op::kDump;
  cmd.dump.shard = shard;
  cmd.dump.max_items = kDumpChunkItems;
  if (cachedump) {
    cmd.dump.classes = a.number < 64 ? uint64_t{1} << a.number : 0;
  } else if (!a.all_classes) {
    cmd.dump.classes = a.classes.to_ullong();
  }
  cmd.dump.reclaim = a.op == AdminOp::kCrawlerCrawl;
  std::vector<core::Executor::Slot> slots;
  int busy_retries = 0;
  for (;;) {
    Executor().Reset();
    slots.clear();
    Executor().Broadcast(cmd, &slots);
    Executor().ExecuteRound();
    const core::Result* owner = nullptr;
    bool busy = false;
    for (const core::Executor::Slot& slot : slots) {
      const core::Result& r = Executor().ResultAt(slot);
      owner = r.dump_owner ? &r : owner;
      busy = busy || r.outcome == core::Outcome::kBusy;
    }
    if (owner == nullptr) {
      if (!busy || ++busy_retries > kDumpBusyRetries) {
        *more_shards = false;
        return true;
      }
      boost::this_fiber::sleep_for(kDumpBusyPause);
      continue;
    }
    for (const core::ItemSummary& item : owner->dump) {
      const std::size_t before = w_->out.size();
      if (cachedump) {
        proto::AppendCachedumpLine(item, &w_->out);
      } else {
        proto::AppendMetadumpLine(item, &w_->out);
      }
      *listed_bytes += w_->out.size() - before;
      ++*listed_items;
      if (cachedump &&
          ((a.limit != 0 && *listed_items >= a.limit) || *listed_bytes >= kCachedumpMaxBytes)) {
        *more_shards = false;
        return true;
      }
    }
    cmd.dump.cursor = owner->dump_cursor;
    if (w_->out.size() >= env_.max_output_bytes / 2 && !Flush()) {
      return false;
    }
    if (cmd.dump.cursor == 0) {
      return true;
    }
  }
}

void Session::LogRequest(std::string_view consumed) {
  if (!logged_protocol_) {
    logged_protocol_ = true;
    VerboseLog::Protocol(io_->Fd());
  }
  VerboseLog::Request(io_->Fd(), consumed);
}

void Session::RunShutdown(const proto::Request& req) {
  if (!env_.enable_shutdown) {
    codec_.EncodeShutdownDisabled(req, &w_->out);
    return;
  }
  // "shutdown" and "shutdown graceful" both stop gracefully here: every connection finishes its
  // request (memcached: SIGINT and SIGUSR1).
  if (!req.arg.empty() && req.arg != "graceful") {
    proto::EncodeAdmin(req, AdminOutcome::kInvalidShutdownMode, &w_->out);
    return;
  }
  close_ = true;
  env_.request_shutdown();
}

}  // namespace corecached::net
