// memcached's admin commands through the text parser, and the long get line in pieces
// (proto/get_line.h) through the Codec. Expected replies were checked against Debian's
// memcached 1.6.18.
#include "proto/admin.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/codec.h"
#include "proto/replies.h"
#include "proto/text_codec.h"

namespace corecached::proto {
namespace {

Request Parse(std::string_view in, const ParserOptions& options = {}) {
  Request req;
  const ParseResult r = ParseText(in, options, &req);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == in.size());
  return req;
}

void CheckReply(std::string_view in, std::string_view reply) {
  INFO("input: " << std::string(in));
  const Request req = Parse(in);
  CHECK(req.kind == RequestKind::kError);
  CHECK(req.reply == reply);
}

AdminRequest CheckAdmin(std::string_view in, AdminOp op) {
  INFO("input: " << std::string(in));
  const Request req = Parse(in);
  REQUIRE(req.kind == RequestKind::kAdmin);
  CHECK(req.admin.op == op);
  return req.admin;
}

TEST_CASE("Admin: lru_crawler as memcached answers it") {
  CHECK(CheckAdmin("lru_crawler metadump all\r\n", AdminOp::kMetadump).all_classes);
  CHECK(CheckAdmin("lru_crawler metadump hash\r\n", AdminOp::kMetadump).all_classes);
  const AdminRequest ids = CheckAdmin("lru_crawler metadump 1,2,63\r\n", AdminOp::kMetadump);
  CHECK(ids.classes[1]);
  CHECK(ids.classes[63]);
  CHECK_FALSE(ids.classes[3]);
  CheckAdmin("lru_crawler crawl all\r\n", AdminOp::kCrawlerCrawl);
  CheckReply("lru_crawler crawl hash\r\n", replies::kTextCrawlerBadClass);
  CheckReply("lru_crawler crawl 0\r\n", replies::kTextCrawlerBadClass);
  CheckReply("lru_crawler crawl 64\r\n", replies::kTextCrawlerBadClass);
  CheckReply("lru_crawler crawl 1,x\r\n", replies::kTextCrawlerBadClass);
  CheckReply("lru_crawler metadump bogus\r\n", replies::kTextCrawlerBadClass);
  CheckReply("lru_crawler metadump\r\n", replies::kTextError);
  CheckReply("lru_crawler metadump all extra\r\n", replies::kTextError);
  CheckReply("lru_crawler crawl all noreply\r\n", replies::kTextError);
  CheckReply("lru_crawler bogus\r\n", replies::kTextError);
  CheckReply("lru_crawler\r\n", replies::kTextError);
  CHECK(CheckAdmin("lru_crawler sleep 1000000\r\n", AdminOp::kCrawlerSleep).number == 1000000);
  CheckReply("lru_crawler sleep 1000001\r\n", replies::kTextCrawlerSleepTooLong);
  CheckReply("lru_crawler sleep x\r\n", replies::kTextBadCommandLineFormat);
  CHECK(CheckAdmin("lru_crawler tocrawl 5\r\n", AdminOp::kCrawlerToCrawl).number == 5);
  CheckReply("lru_crawler tocrawl -1\r\n", replies::kTextBadCommandLineFormat);
  CheckAdmin("lru_crawler enable\r\n", AdminOp::kCrawlerEnable);
  CheckAdmin("lru_crawler disable\r\n", AdminOp::kCrawlerDisable);
}

TEST_CASE("Admin: slabs automove and reassign") {
  CHECK(CheckAdmin("slabs automove 2\r\n", AdminOp::kSlabsAutomove).number == 2);
  CHECK(CheckAdmin("slabs automove 1 noreply\r\n", AdminOp::kSlabsAutomove).noreply);
  CheckReply("slabs automove 3\r\n", replies::kTextError);
  CheckReply("slabs automove invalid\r\n", replies::kTextBadCommandLineFormat);
  CheckReply("slabs automove\r\n", replies::kTextError);
  CHECK(CheckAdmin("slabs automove ratio 0.5\r\n", AdminOp::kSlabsAutomoveRatio).ratio == 0.5);
  CheckReply("slabs reassign 1 2\r\n", replies::kTextReassignNoSpare);
  CheckReply("slabs reassign 0 39\r\n", replies::kTextReassignNoSpare);
  CheckReply("slabs reassign 99 99\r\n", replies::kTextReassignSame);
  CheckReply("slabs reassign 40 1\r\n", replies::kTextReassignBadClass);
  CheckReply("slabs reassign -1 2\r\n", replies::kTextReassignBadClass);
  CheckReply("slabs reassign x 2\r\n", replies::kTextBadCommandLineFormat);
  CheckReply("slabs reassign 1\r\n", replies::kTextError);
  CheckReply("slabs\r\n", replies::kTextError);
}

TEST_CASE("Admin: lru tune, mode, temp_ttl") {
  const AdminRequest tune = CheckAdmin("lru tune 10 25 0.1 2\r\n", AdminOp::kLruTune);
  CHECK(tune.hot_pct == 10);
  CHECK(tune.warm_factor == 2.0);
  CheckReply("lru tune 50 40 0.1 2\r\n", replies::kTextLruPctTooHigh);
  CheckReply("lru tune 10 25 0 2\r\n", replies::kTextLruFactorNotPositive);
  CheckReply("lru tune 10 25 0.1\r\n", replies::kTextError);
  CheckReply("lru tune x 25 0.1 2\r\n", replies::kTextError);
  CHECK_FALSE(CheckAdmin("lru mode flat\r\n", AdminOp::kLruMode).segmented);
  CHECK(CheckAdmin("lru mode segmented\r\n", AdminOp::kLruMode).segmented);
  CheckReply("lru mode bogus\r\n", replies::kTextError);
  CHECK(CheckAdmin("lru temp_ttl -1\r\n", AdminOp::kLruTempTtl).ttl == -1);
  CheckReply("lru temp_ttl x\r\n", replies::kTextError);
  CheckReply("lru bogus\r\n", replies::kTextError);
}

TEST_CASE("Admin: cache_memlimit, watch, stats cachedump, stats detail") {
  CHECK(CheckAdmin("cache_memlimit 100\r\n", AdminOp::kMemLimit).number == 100);
  CheckReply("cache_memlimit 7\r\n", replies::kTextMemLimitTooSmall);
  CheckReply("cache_memlimit 2000000000\r\n", replies::kTextMemLimitNotMegabytes);
  CheckReply("cache_memlimit x\r\n", replies::kTextError);
  CheckReply("cache_memlimit 1 noreply\r\n", "");
  CHECK(CheckAdmin("watch\r\n", AdminOp::kWatch).watch_mask == core::kWatchFetchers);
  CHECK(CheckAdmin("watch mutations evictions\r\n", AdminOp::kWatch).watch_mask ==
        (core::kWatchMutations | core::kWatchEvictions));
  CHECK(
      CheckAdmin("watch connevents proxyreqs sysevents rawcmds\r\n", AdminOp::kWatch).watch_mask ==
      (core::kWatchConnEvents | core::kWatchProxyReqs | core::kWatchSysEvents |
       core::kWatchRawCmds));
  CheckReply("watch bogus\r\n", replies::kTextError);
  CheckReply("watch deletions\r\n", replies::kTextError);  // not a 1.6.18 stream
  CheckReply("watch Fetchers\r\n", replies::kTextError);
  // memcached checks "noreply" as a stream name too: an ERROR that noreply swallows.
  CheckReply("watch noreply\r\n", "");
  CheckReply("watch fetchers noreply\r\n", "");
  // -W: refused before the stream names are read, as memcached does.
  ParserOptions no_watch;
  no_watch.watch_enabled = false;
  CHECK(Parse("watch\r\n", no_watch).reply == replies::kTextWatchDisabled);
  CHECK(Parse("watch bogus\r\n", no_watch).reply == replies::kTextWatchDisabled);
  CHECK(Parse("watch noreply\r\n", no_watch).reply.empty());
  const AdminRequest dump = CheckAdmin("stats cachedump 63 5\r\n", AdminOp::kCachedump);
  CHECK(dump.number == 63);
  CHECK(dump.limit == 5);
  CheckReply("stats cachedump 64 0\r\n", replies::kTextIllegalSlabId);
  CheckReply("stats cachedump -1 0\r\n", replies::kTextBadCommandLineFormat);
  CheckReply("stats cachedump 1\r\n", replies::kTextCachedumpUsage);
  CheckReply("stats detail\r\n", replies::kTextDetailUsage);
  CheckReply("stats detail bogus\r\n", replies::kTextDetailUsage);
  CHECK(Parse("stats detail on extra\r\n").arg == "detail on");
}

TEST_CASE("Admin: dump lines are memcached's") {
  core::ItemSummary item;
  item.key = "a b/c~";
  item.exptime = -1;
  item.last_access = 1796601265;
  item.cas = 7;
  item.fetched = true;
  item.size_class = 1;
  item.item_bytes = 69;
  item.value_bytes = 3;
  std::string out;
  AppendMetadumpLine(item, &out);
  CHECK(out == "key=a%20b%2Fc~ exp=-1 la=1796601265 cas=7 fetch=yes cls=1 size=69\n");
  out.clear();
  AppendCachedumpLine(item, &out);
  CHECK(out == "ITEM a b/c~ [3 b; 0 s]\r\n");
}

// The lines Debian's memcached 1.6.18 printed for the same events (logger.c formats).
TEST_CASE("Admin: watch lines are memcached's") {
  using E = core::WatchEvent;
  E e;
  e.ts_sec = 1796612884;
  e.ts_usec = 5577;  // not zero-padded, as memcached prints it
  e.gid = 24;
  e.cfd = 25;
  std::string out;
  AppendWatchLine(e, "foo", &out);
  CHECK(out ==
        "ts=1796612884.5577 gid=24 type=item_get key=foo status=not_found clsid=0 cfd=25 "
        "size=0\n");
  out.clear();
  e.kind = E::Kind::kItemStore;
  e.status = static_cast<uint8_t>(E::StoreStatus::kStored);
  e.cmd = E::StoreCmd::kSet;
  e.ttl = 100;
  e.clsid = 1;
  e.size = 2;
  AppendWatchLine(e, "k%20x", &out);
  CHECK(out ==
        "ts=1796612884.5577 gid=24 type=item_store key=k%2520x status=stored cmd=set "
        "ttl=100 clsid=1 cfd=25 size=2\n");
  out.clear();
  e.kind = E::Kind::kEviction;
  e.fetched = false;
  e.ttl = -1;
  e.last_access = 3;
  AppendWatchLine(e, "k", &out);
  CHECK(out ==
        "ts=1796612884.5577 gid=24 type=eviction key=k fetch=no ttl=-1 la=3 clsid=1 "
        "size=2\n");
  out.clear();
  e.kind = E::Kind::kConnClose;
  std::snprintf(e.peer.data(), e.peer.size(), "127.0.0.1");
  e.port = 44432;
  AppendWatchLine(e, "", &out);
  CHECK(out ==
        "ts=1796612884.5577 gid=24 type=conn_close rip=127.0.0.1 rport=44432 "
        "transport=tcp reason=normal cfd=25\n");
  out.clear();
  e.kind = E::Kind::kConnNew;
  e.unix_socket = true;
  e.port = 0;
  AppendWatchLine(e, "", &out);
  CHECK(out ==
        "ts=1796612884.5577 gid=24 type=conn_new rip=unix rport=0 transport=local "
        "cfd=25\n");
}

// Feeds `line` to a Codec in `step`-byte reads, as the session does (unconsumed bytes stay);
// returns the keys of every piece in order and whether each piece had more_follows.
std::vector<std::string> FeedPieces(const std::string& line, std::size_t step,
                                    std::vector<Request>* requests) {
  Codec codec({});
  std::string buffer;
  std::vector<std::string> keys;
  for (std::size_t sent = 0; sent < line.size() || !buffer.empty();) {
    const std::size_t n = std::min(step, line.size() - sent);
    buffer.append(line, sent, n);
    sent += n;
    for (int i = 0; i < 100000; ++i) {
      Request req;
      const ParseResult r = codec.Parse(buffer, &req);
      if (r.status == ParseStatus::kNeedMore) {
        REQUIRE(r.consumed == 0);
        break;
      }
      buffer.erase(0, r.consumed);
      for (const core::Command& c : req.commands) {
        keys.push_back(c.key);
      }
      requests->push_back(std::move(req));
    }
    if (n == 0) {
      break;
    }
  }
  return keys;
}

TEST_CASE("GetLine: an 18,725-key get line parses in bounded pieces, whole or fragmented") {
  std::vector<std::string> want;
  std::string line = "get";
  for (int i = 0; i < 18725; ++i) {
    want.push_back("key:" + std::to_string(i));
    line += " " + want.back();
  }
  line += "\r\nget last\r\n";
  want.emplace_back("last");
  for (std::size_t step :
       {std::size_t{1000}, std::size_t{16384}, std::size_t{65536}, line.size()}) {
    INFO("step " << step);
    std::vector<Request> requests;
    CHECK(FeedPieces(line, step, &requests) == want);
    REQUIRE(requests.size() >= 2);
    for (std::size_t i = 0; i + 2 < requests.size(); ++i) {
      CHECK(requests[i].commands.size() <= GetLine::kMaxKeysPerPiece);
      CHECK(std::get<TextContext>(requests[i].context).more_follows);
    }
    // The piece that ends the long line says END; the short line after it is parsed whole.
    const TextContext& end = std::get<TextContext>(requests[requests.size() - 2].context);
    CHECK_FALSE(end.more_follows);
    CHECK(std::get<TextContext>(requests.back().context).line_id == 0);
  }
}

TEST_CASE("GetLine: a key over 250 bytes mid-line answers the format error and drops the rest") {
  std::string line = "get";
  for (int i = 0; i < 3000; ++i) {
    line += " k" + std::to_string(i);
  }
  line += " " + std::string(251, 'x') + " after\r\nget next\r\n";
  std::vector<Request> requests;
  const std::vector<std::string> keys = FeedPieces(line, 4096, &requests);
  REQUIRE_FALSE(keys.empty());
  CHECK(keys.back() == "next");
  CHECK(std::find(keys.begin(), keys.end(), "after") == keys.end());
  int errors = 0;
  for (const Request& r : requests) {
    errors += r.reply == replies::kTextBadCommandLineFormat ? 1 : 0;
  }
  CHECK(errors == 1);
}

}  // namespace
}  // namespace corecached::proto
