// memcached's admin commands: parsing and replies. Rules are memcached 1.6.18's (proto_text.c
// process_lru_crawler_command, process_slabs_command, process_lru_command,
// process_memlimit_command, process_watch_command, process_stat "cachedump"; crawler.c and
// items.c for the dump lines), checked against Debian's memcached.

#include "proto/admin.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "core/size_classes.h"
#include "proto/codec.h"
#include "proto/replies.h"
#include "proto/request.h"
#include "proto/text_tokenizer.h"

namespace corecached::proto {
namespace {

using Tokens = std::span<const std::string_view>;

// crawler.c lru_crawler_crawl: a class id is valid from POWER_SMALLEST to
// MAX_NUMBER_OF_SLAB_CLASSES - 1 whether or not the slab class exists.
constexpr uint64_t kMaxCrawlClass = core::SizeClasses::kMaxClasses;
// items.c item_cachedump: class ids below MAX_NUMBER_OF_SLAB_CLASSES; listed bytes at most 2 MB.
constexpr uint64_t kMaxCachedumpClass = core::SizeClasses::kMaxClasses;
// process_lru_crawler_command: a crawler sleep longer than one second is refused.
constexpr uint64_t kMaxCrawlerSleepUs = 1'000'000;
// process_memlimit_command: less than 8 MB is refused; more than 10^9 must be bytes by mistake.
constexpr uint64_t kMinMemLimitMb = 8;
constexpr uint64_t kMaxMemLimitMb = 1'000'000'000;
// process_lru_command: hot + warm may take at most 80 percent of the LRU.
constexpr uint64_t kMaxHotWarmPct = 80;

void Reply(Request* out, std::string_view reply, bool noreply = false) {
  out->kind = RequestKind::kError;
  out->reply = noreply ? std::string() : std::string(reply);
  out->context = TextContext{TextContext::Verb::kOther, noreply};
}

void Admin(Request* out, AdminRequest admin) {
  out->kind = RequestKind::kAdmin;
  out->context = TextContext{TextContext::Verb::kOther, admin.noreply};
  out->admin = admin;
}

bool HasNoreply(Tokens tokens) { return !tokens.empty() && tokens.back() == "noreply"; }

// memcached's safe_strtoul (a 32-bit unsigned; "-1" refused).
std::optional<uint32_t> ParseU32(std::string_view token) {
  std::optional<uint64_t> v = text::ParseUint64(token);
  if (!v || *v > UINT32_MAX) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v);
}

// memcached's safe_strtol.
std::optional<int32_t> ParseI32(std::string_view token) {
  int32_t v = 0;
  const char* end = token.data() + token.size();
  const std::from_chars_result r = std::from_chars(token.data(), end, v);
  if (r.ec != std::errc() || r.ptr != end) {
    return std::nullopt;
  }
  return v;
}

// memcached's safe_strtod.
std::optional<double> ParseDouble(std::string_view token) {
  const std::string copy(token);
  char* end = nullptr;
  const double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) {
    return std::nullopt;
  }
  return v;
}

// crawler.c lru_crawler_crawl's class list: "all", or ids separated by commas.
bool ParseClassList(std::string_view list, bool allow_hash, AdminRequest* admin) {
  if (list == "all" || (allow_hash && list == "hash")) {
    admin->all_classes = true;
    return true;
  }
  std::size_t pos = 0;
  while (pos <= list.size()) {
    std::size_t comma = list.find(',', pos);
    if (comma == std::string_view::npos) {
      comma = list.size();
    }
    std::optional<uint32_t> id = ParseU32(list.substr(pos, comma - pos));
    if (!id || *id < 1 || *id > kMaxCrawlClass) {
      return false;
    }
    admin->classes.set(*id);
    pos = comma + 1;
  }
  return true;
}

void ParseCrawlerNumber(Tokens tokens, AdminOp op, Request* out) {
  std::optional<uint32_t> n = ParseU32(tokens[2]);
  if (!n) {
    Reply(out, replies::kTextBadCommandLineFormat);
    return;
  }
  if (op == AdminOp::kCrawlerSleep && *n > kMaxCrawlerSleepUs) {
    Reply(out, replies::kTextCrawlerSleepTooLong);
    return;
  }
  AdminRequest admin;
  admin.op = op;
  admin.number = *n;
  Admin(out, admin);
}

}  // namespace

void ParseLruCrawler(Tokens tokens, const ParserOptions&, Request* out) {
  const std::size_t ntokens = tokens.size() + 1;
  AdminRequest admin;
  if (ntokens == 4 && (tokens[1] == "crawl" || tokens[1] == "metadump")) {
    admin.op = tokens[1] == "crawl" ? AdminOp::kCrawlerCrawl : AdminOp::kMetadump;
    if (!ParseClassList(tokens[2], admin.op == AdminOp::kMetadump, &admin)) {
      Reply(out, replies::kTextCrawlerBadClass);
      return;
    }
    Admin(out, admin);
  } else if (ntokens == 4 && tokens[1] == "tocrawl") {
    ParseCrawlerNumber(tokens, AdminOp::kCrawlerToCrawl, out);
  } else if (ntokens == 4 && tokens[1] == "sleep") {
    ParseCrawlerNumber(tokens, AdminOp::kCrawlerSleep, out);
  } else if (ntokens == 3 && (tokens[1] == "enable" || tokens[1] == "disable")) {
    admin.op = tokens[1] == "enable" ? AdminOp::kCrawlerEnable : AdminOp::kCrawlerDisable;
    Admin(out, admin);
  } else {
    Reply(out, replies::kTextError);
  }
}

void ParseSlabs(Tokens tokens, const ParserOptions& options, Request* out) {
  const std::size_t ntokens = tokens.size() + 1;
  const bool noreply = HasNoreply(tokens);
  if (ntokens == 5 && tokens[1] == "reassign") {
    std::optional<int32_t> src = ParseI32(tokens[2]);
    std::optional<int32_t> dst = ParseI32(tokens[3]);
    if (!src || !dst) {
      Reply(out, replies::kTextBadCommandLineFormat);
      return;
    }
    // slabs.c do_slabs_reassign: class 0 is the global page pool. We never have spare pages.
    const auto largest = static_cast<int32_t>(options.size_class_count);
    if (*src == *dst) {
      Reply(out, replies::kTextReassignSame);
    } else if (*src < 0 || *src > largest || *dst < 0 || *dst > largest) {
      Reply(out, replies::kTextReassignBadClass);
    } else {
      Reply(out, replies::kTextReassignNoSpare);
    }
    return;
  }
  if (ntokens < 4 || tokens[1] != "automove") {
    Reply(out, replies::kTextError);
    return;
  }
  AdminRequest admin;
  admin.noreply = noreply;
  if (tokens[2] == "ratio") {
    std::optional<double> ratio = ntokens >= 5 ? ParseDouble(tokens[3]) : std::nullopt;
    if (!ratio) {
      Reply(out, replies::kTextError, noreply);
      return;
    }
    admin.op = AdminOp::kSlabsAutomoveRatio;
    admin.ratio = *ratio;
    Admin(out, admin);
    return;
  }
  std::optional<uint32_t> level = ParseU32(tokens[2]);
  if (!level) {
    Reply(out, replies::kTextBadCommandLineFormat, noreply);
  } else if (*level > 2) {
    Reply(out, replies::kTextError, noreply);
  } else {
    admin.op = AdminOp::kSlabsAutomove;
    admin.number = *level;
    Admin(out, admin);
  }
}

namespace {
void ParseLruTune(Tokens tokens, bool noreply, Request* out) {
  std::optional<uint32_t> hot = ParseU32(tokens[2]);
  std::optional<uint32_t> warm = ParseU32(tokens[3]);
  std::optional<double> hot_factor = ParseDouble(tokens[4]);
  std::optional<double> warm_factor = ParseDouble(tokens[5]);
  if (!hot || !warm || !hot_factor || !warm_factor) {
    Reply(out, replies::kTextError, noreply);
  } else if (uint64_t{*hot} + *warm > kMaxHotWarmPct) {
    Reply(out, replies::kTextLruPctTooHigh, noreply);
  } else if (*hot_factor <= 0 || *warm_factor <= 0) {
    Reply(out, replies::kTextLruFactorNotPositive, noreply);
  } else {
    AdminRequest admin;
    admin.op = AdminOp::kLruTune;
    admin.noreply = noreply;
    admin.hot_pct = *hot;
    admin.warm_pct = *warm;
    admin.hot_factor = *hot_factor;
    admin.warm_factor = *warm_factor;
    Admin(out, admin);
  }
}
}  // namespace

void ParseLru(Tokens tokens, Request* out) {
  const std::size_t ntokens = tokens.size() + 1;
  const bool noreply = HasNoreply(tokens);
  AdminRequest admin;
  admin.noreply = noreply;
  if (tokens[1] == "tune" && ntokens >= 7) {
    ParseLruTune(tokens, noreply, out);
  } else if (tokens[1] == "mode" && ntokens >= 4 &&
             (tokens[2] == "flat" || tokens[2] == "segmented")) {
    admin.op = AdminOp::kLruMode;
    admin.segmented = tokens[2] == "segmented";
    Admin(out, admin);
  } else if (tokens[1] == "temp_ttl" && ntokens >= 4 && ParseI32(tokens[2])) {
    admin.op = AdminOp::kLruTempTtl;
    admin.ttl = *ParseI32(tokens[2]);
    Admin(out, admin);
  } else {
    Reply(out, replies::kTextError, noreply);
  }
}

void ParseMemLimit(Tokens tokens, Request* out) {
  const bool noreply = HasNoreply(tokens);
  std::optional<uint32_t> mb = ParseU32(tokens[1]);
  if (!mb) {
    Reply(out, replies::kTextError, noreply);
  } else if (*mb < kMinMemLimitMb) {
    Reply(out, replies::kTextMemLimitTooSmall, noreply);
  } else if (*mb > kMaxMemLimitMb) {
    Reply(out, replies::kTextMemLimitNotMegabytes, noreply);
  } else {
    AdminRequest admin;
    admin.op = AdminOp::kMemLimit;
    admin.noreply = noreply;
    admin.number = *mb;
    Admin(out, admin);
  }
}

void ParseWatch(Tokens tokens, const ParserOptions& options, Request* out) {
  struct Stream {
    std::string_view name;
    uint32_t bit;
  };
  // process_watch_command's words in 1.6.18 (proxy* are accepted without the proxy built in).
  static constexpr Stream kStreams[] = {
      {"rawcmds", core::kWatchRawCmds},     {"evictions", core::kWatchEvictions},
      {"fetchers", core::kWatchFetchers},   {"mutations", core::kWatchMutations},
      {"sysevents", core::kWatchSysEvents}, {"connevents", core::kWatchConnEvents},
      {"proxyreqs", core::kWatchProxyReqs}, {"proxyevents", core::kWatchProxyEvents},
      {"proxyuser", core::kWatchProxyUser},
  };
  AdminRequest admin;
  admin.op = AdminOp::kWatch;
  // set_noreply_maybe, then every word is checked, "noreply" included: `watch noreply` and
  // `watch fetchers noreply` answer an ERROR that noreply swallows.
  const bool noreply = HasNoreply(tokens);
  if (!options.watch_enabled) {
    Reply(out, replies::kTextWatchDisabled, noreply);  // -W: checked before the stream names
    return;
  }
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    const Stream* found = std::find_if(std::begin(kStreams), std::end(kStreams),
                                       [&](const Stream& s) { return s.name == tokens[i]; });
    if (found == std::end(kStreams)) {
      Reply(out, replies::kTextError, noreply);
      return;
    }
    admin.watch_mask |= found->bit;
  }
  if (admin.watch_mask == 0) {
    admin.watch_mask = core::kWatchFetchers;  // memcached: a bare `watch` watches fetchers
  }
  Admin(out, admin);
}

void ParseCachedump(Tokens tokens, Request* out) {
  if (tokens.size() < 4) {
    Reply(out, replies::kTextCachedumpUsage);
    return;
  }
  std::optional<uint32_t> id = ParseU32(tokens[2]);
  std::optional<uint32_t> limit = ParseU32(tokens[3]);
  if (!id || !limit) {
    Reply(out, replies::kTextBadCommandLineFormat);
  } else if (*id > kMaxCachedumpClass) {
    Reply(out, replies::kTextIllegalSlabId);
  } else {
    AdminRequest admin;
    admin.op = AdminOp::kCachedump;
    admin.number = *id;
    admin.limit = *limit;
    Admin(out, admin);
  }
}

void EncodeAdmin(const Request& req, AdminOutcome outcome, std::string* out) {
  if (req.admin.noreply) {
    return;
  }
  switch (outcome) {
    case AdminOutcome::kOk:
      out->append(replies::kTextOk);
      break;
    case AdminOutcome::kCrawlerDisabled:
      out->append(replies::kTextCrawlerDisabled);
      break;
    case AdminOutcome::kCrawlerStartFailed:
      out->append(replies::kTextCrawlerStartFailed);
      break;
    case AdminOutcome::kInvalidShutdownMode:
      out->append(replies::kTextInvalidShutdownMode);
      break;
    case AdminOutcome::kWatcherTooMany:
      out->append(replies::kTextWatcherTooMany);
      break;
    case AdminOutcome::kMetadumpPipelined:
      out->append(replies::kTextMetadumpPipelined);
      break;
  }
}

namespace {
template <typename Number>
void AppendNumber(Number n, std::string* out) {
  char buf[24];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf), n);
  out->append(buf, r.ptr);
}

// util.c uriencode: every byte but [A-Za-z0-9-._~] becomes %XX.
void AppendUriEncoded(std::string_view key, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    const bool plain = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
                       u == '-' || u == '.' || u == '_' || u == '~';
    if (plain) {
      out->push_back(c);
    } else {
      out->push_back('%');
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 0xF]);
    }
  }
}
}  // namespace

void AppendMetadumpLine(const core::ItemSummary& item, std::string* out) {
  out->append("key=");
  AppendUriEncoded(item.key, out);
  out->append(" exp=");
  AppendNumber(item.exptime, out);
  out->append(" la=");
  AppendNumber(item.last_access, out);
  out->append(" cas=");
  AppendNumber(item.cas, out);
  out->append(item.fetched ? " fetch=yes cls=" : " fetch=no cls=");
  AppendNumber(static_cast<unsigned>(item.size_class), out);
  out->append(" size=");
  AppendNumber(item.item_bytes, out);
  out->push_back('\n');
}

void AppendCachedumpLine(const core::ItemSummary& item, std::string* out) {
  out->append("ITEM ");
  out->append(item.key);
  out->append(" [");
  AppendNumber(item.value_bytes, out);
  out->append(" b; ");
  AppendNumber(item.exptime < 0 ? 0 : item.exptime, out);
  out->append(" s]\r\n");
}

void AppendDumpEnd(std::string* out) { out->append(replies::kTextEnd); }

void AppendWatchOk(std::string* out) { out->append(replies::kTextOk); }

namespace {
using Event = core::WatchEvent;

// logger.c's maps, indexed by the enums' values.
constexpr std::string_view kFoundNames[] = {"not_found", "found", "flushed", "expired"};
constexpr std::string_view kStoreStatusNames[] = {"not_stored", "stored",    "exists",
                                                  "not_found",  "too_large", "no_memory"};
constexpr std::string_view kStoreCmdNames[] = {"null",   "add",     "set", "replace",
                                               "append", "prepend", "cas"};
constexpr std::string_view kReasonNames[] = {"error", "normal", "idle_timeout", "shutdown"};

template <std::size_t N>
std::string_view NameOf(const std::string_view (&names)[N], std::size_t i) {
  return i < N ? names[i] : names[0];
}

// "ts=%lld.%d gid=%llu type=": the microseconds are not zero-padded, as in memcached.
void AppendWatchPrefix(const Event& e, std::string_view type, std::string* out) {
  out->append("ts=");
  AppendNumber(e.ts_sec, out);
  out->push_back('.');
  AppendNumber(e.ts_usec, out);
  out->append(" gid=");
  AppendNumber(e.gid, out);
  out->append(" type=");
  out->append(type);
}

void AppendField(std::string_view name, auto value, std::string* out) {
  out->push_back(' ');
  out->append(name);
  out->push_back('=');
  if constexpr (std::is_convertible_v<decltype(value), std::string_view>) {
    out->append(value);
  } else {
    AppendNumber(value, out);
  }
}

void AppendConnEvent(const Event& e, std::string* out) {
  const bool close = e.kind == Event::Kind::kConnClose;
  AppendWatchPrefix(e, close ? "conn_close" : "conn_new", out);
  AppendField("rip", e.unix_socket ? std::string_view("unix") : std::string_view(e.peer.data()),
              out);
  AppendField("rport", static_cast<unsigned>(e.port), out);
  AppendField("transport", e.unix_socket ? "local" : "tcp", out);
  if (close) {
    AppendField("reason", NameOf(kReasonNames, static_cast<std::size_t>(e.reason)), out);
  }
  AppendField("cfd", e.cfd, out);
}
}  // namespace

void AppendWatchLine(const core::WatchEvent& e, std::string_view key, std::string* out) {
  switch (e.kind) {
    case Event::Kind::kItemGet:
      AppendWatchPrefix(e, "item_get key=", out);
      AppendUriEncoded(key, out);
      AppendField("status", NameOf(kFoundNames, e.status), out);
      AppendField("clsid", e.clsid, out);
      AppendField("cfd", e.cfd, out);
      AppendField("size", e.size, out);
      break;
    case Event::Kind::kItemStore:
      AppendWatchPrefix(e, "item_store key=", out);
      AppendUriEncoded(key, out);
      AppendField("status", NameOf(kStoreStatusNames, e.status), out);
      AppendField("cmd", NameOf(kStoreCmdNames, static_cast<std::size_t>(e.cmd)), out);
      AppendField("ttl", e.ttl, out);
      AppendField("clsid", e.clsid, out);
      AppendField("cfd", e.cfd, out);
      AppendField("size", e.size, out);
      break;
    case Event::Kind::kEviction:
      AppendWatchPrefix(e, "eviction key=", out);
      AppendUriEncoded(key, out);
      AppendField("fetch", e.fetched ? "yes" : "no", out);
      AppendField("ttl", e.ttl, out);
      AppendField("la", e.last_access, out);
      AppendField("clsid", e.clsid, out);
      AppendField("size", e.size, out);
      break;
    case Event::Kind::kConnNew:
    case Event::Kind::kConnClose:
      AppendConnEvent(e, out);
      break;
  }
  out->push_back('\n');
}

}  // namespace corecached::proto
