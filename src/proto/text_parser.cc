// Classic text protocol parser. Rules are memcached 1.6.18's (proto_text.c process_command_ascii
// and the process_*_command functions), checked byte for byte against Debian's memcached:
// token counts, which numbers are accepted, which errors noreply silences, when to close.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/command.h"
#include "core/key_hash.h"
#include "core/protocol_limits.h"
#include "proto/admin.h"
#include "proto/meta_codec.h"
#include "proto/replies.h"
#include "proto/text_codec.h"
#include "proto/text_tokenizer.h"

namespace corecached::proto {
namespace {

using text::TextTokens;
using Verb = TextContext::Verb;

// memcached.c try_read_command_ascii: a long line without "\n" is a multi-get only if "get " or
// "gets " follows at most this many leading spaces; anything else closes the connection.
constexpr std::size_t kMaxLeadingSpaces = 100;

// memcached grows its buffer without limit for a multi-get line (1 MB lines work). We keep a bound
// (STYLE.md 7): 64 KiB holds 256 keys of the maximum 250 bytes, and caps the Commands one line can
// create. A longer get/gets/gat/gats line closes the connection, as memcached does for other lines.
constexpr std::size_t kMaxGetLineBytes = std::size_t{64} * 1024;

constexpr std::size_t kUnlimited = SIZE_MAX;

// What every command parser needs besides its tokens.
struct LineContext {
  std::string_view in;      // the whole input
  std::size_t line_length;  // the line without its "\r\n" / "\n"
  std::size_t next;         // offset just past the line's "\n"
  const ParserOptions& options;
  Request* out;
};

ParseResult Parsed(std::size_t consumed) { return {ParseStatus::kOk, consumed}; }

// A kError request. memcached's out_string() drops the reply once noreply was seen on the line.
ParseResult Reply(const LineContext& ctx, std::string_view reply, Verb verb, bool noreply,
                  std::size_t consumed) {
  ctx.out->kind = RequestKind::kError;
  ctx.out->reply = noreply ? std::string() : std::string(reply);
  ctx.out->context = TextContext{verb, noreply};
  return Parsed(consumed);
}

ParseResult ReplyToLine(const LineContext& ctx, std::string_view reply, Verb verb, bool noreply) {
  return Reply(ctx, reply, verb, noreply, ctx.next);
}

// Close without a reply (memcached's conn_closing), consuming everything.
ParseResult CloseSilently(const LineContext& ctx) {
  ctx.out->kind = RequestKind::kError;
  ctx.out->close_after = true;
  ctx.out->context = TextContext{};
  return Parsed(ctx.in.size());
}

// memcached's set_noreply_maybe: the last token it saw is exactly "noreply".
bool HasNoreply(const TextTokens& tokens) { return tokens.Back() == "noreply"; }

bool KeyTooLong(std::string_view key) { return key.size() > core::kMaxKeyLength; }

core::Command KeyedCommand(core::Op op, std::string_view key) {
  core::Command cmd;
  cmd.op = op;
  cmd.key = std::string(key);
  cmd.hash = core::KeyHash::Of(key);
  return cmd;
}

// A kKeyed request with one command.
ParseResult Keyed(const LineContext& ctx, core::Command cmd, Verb verb, bool noreply,
                  std::size_t consumed) {
  ctx.out->kind = RequestKind::kKeyed;
  ctx.out->commands.push_back(std::move(cmd));
  ctx.out->context = TextContext{verb, noreply};
  return Parsed(consumed);
}

ParseResult Simple(const LineContext& ctx, RequestKind kind, Verb verb, std::string arg = {}) {
  ctx.out->kind = kind;
  ctx.out->arg = std::move(arg);
  ctx.out->context = TextContext{verb, false};
  return Parsed(ctx.next);
}

// Tokens [from, size()) joined by single spaces (the `stats` group, the `shutdown` mode).
std::string JoinFrom(const TextTokens& tokens, std::size_t from) {
  std::string joined;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    if (!joined.empty()) {
      joined += ' ';
    }
    joined += tokens[i];
  }
  return joined;
}

// ---- Storage commands (protocol.txt "Storage commands") ----------------------------------------

struct StorageLine {
  uint32_t flags = 0;
  int32_t exptime = 0;
  std::size_t value_bytes = 0;
  uint64_t cas = 0;
};

// process_update_command's checks in its order; nullopt = "bad command line format".
std::optional<StorageLine> ReadStorageLine(const TextTokens& tokens, bool with_cas) {
  std::optional<uint32_t> flags = text::ParseUint32Truncated(tokens[2]);
  std::optional<int32_t> exptime = text::ParseInt32Truncated(tokens[3]);
  std::optional<int32_t> bytes = text::ParseInt32Truncated(tokens[4]);
  if (!flags || !exptime || !bytes) {
    return std::nullopt;
  }
  StorageLine line{*flags, *exptime, 0, 0};
  if (with_cas) {
    std::optional<uint64_t> cas = text::ParseUint64(tokens[5]);
    if (!cas) {
      return std::nullopt;
    }
    line.cas = *cas;
  }
  // memcached adds 2 for "\r\n" to an int and refuses what would overflow.
  if (*bytes < 0 || *bytes > INT32_MAX - 2) {
    return std::nullopt;
  }
  line.value_bytes = static_cast<std::size_t>(*bytes);
  return line;
}

core::Op StorageOp(Verb verb) {
  switch (verb) {
    case Verb::kAdd:
      return core::Op::kAdd;
    case Verb::kReplace:
      return core::Op::kReplace;
    case Verb::kAppend:
      return core::Op::kAppend;
    case Verb::kPrepend:
      return core::Op::kPrepend;
    case Verb::kCas:
      return core::Op::kCas;
    default:
      return core::Op::kSet;
  }
}

// memcached answers at once and swallows the data block as it arrives (conn_swallow). A refused
// `set` also unlinks the old item so a stale value does not outlive it (process_update_command).
ParseResult RefuseTooLarge(std::string_view key, std::size_t value_bytes, Verb verb, bool noreply,
                           const LineContext& ctx) {
  ctx.out->swallow = value_bytes + 2;
  if (verb != Verb::kSet) {
    return ReplyToLine(ctx, replies::kTextObjectTooLarge, verb, noreply);
  }
  ctx.out->kind = RequestKind::kKeyed;
  ctx.out->commands.push_back(KeyedCommand(core::Op::kDelete, key));
  ctx.out->context = TextContext{verb, noreply, true};
  return Parsed(ctx.next);
}

ParseResult ParseStorage(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  const bool noreply = HasNoreply(tokens);
  std::optional<StorageLine> line;
  if (!KeyTooLong(tokens[1])) {
    line = ReadStorageLine(tokens, verb == Verb::kCas);
  }
  if (!line) {
    // The data block is not swallowed: memcached reads it as the next command line.
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, noreply);
  }
  if (line->value_bytes > ctx.options.max_item_size) {
    return RefuseTooLarge(tokens[1], line->value_bytes, verb, noreply, ctx);
  }
  const std::size_t data_end = ctx.next + line->value_bytes;
  if (ctx.in.size() < data_end + 2) {
    return {};
  }
  if (ctx.in.substr(data_end, 2) != "\r\n") {
    return Reply(ctx, replies::kTextBadDataChunk, verb, noreply, data_end + 2);
  }
  core::Command cmd = KeyedCommand(StorageOp(verb), tokens[1]);
  cmd.flags = line->flags;
  cmd.exptime = line->exptime;
  cmd.value.assign(ctx.in.substr(ctx.next, line->value_bytes));
  cmd.check_cas = verb == Verb::kCas;
  cmd.compare_cas = line->cas;
  return Keyed(ctx, std::move(cmd), verb, noreply, data_end + 2);
}

// ---- Retrieval (protocol.txt "Retrieval command", "Get And Touch") -----------------------------

// Appends one Command per key, in order. false if a key is too long (memcached then answers only
// the bad-command-line-format error for the whole line).
bool AddGetKeys(const TextTokens& tokens, std::size_t first_key, const core::Command& proto,
                Request* out) {
  auto add = [&](std::string_view key) {
    if (KeyTooLong(key)) {
      return false;
    }
    core::Command cmd = proto;
    cmd.key = std::string(key);
    cmd.hash = core::KeyHash::Of(key);
    out->commands.push_back(std::move(cmd));
    return true;
  };
  for (std::size_t i = first_key; i < tokens.size(); ++i) {
    if (!add(tokens[i])) {
      return false;
    }
  }
  std::size_t pos = 0;
  while (std::optional<std::string_view> key = TextTokens::Next(tokens.Rest(), &pos)) {
    if (!add(*key)) {
      return false;
    }
  }
  return true;
}

ParseResult ParseRetrieval(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  if (ctx.line_length > kMaxGetLineBytes) {
    return CloseSilently(ctx);
  }
  core::Command proto;
  proto.op = core::Op::kGet;
  std::size_t first_key = 1;
  if (verb == Verb::kGat || verb == Verb::kGats) {
    std::optional<int32_t> exptime = text::ParseInt32Truncated(tokens[1]);
    if (!exptime) {
      return ReplyToLine(ctx, replies::kTextInvalidExptime, verb, false);
    }
    proto.touch = true;
    proto.exptime = *exptime;
    first_key = 2;
  }
  if (!AddGetKeys(tokens, first_key, proto, ctx.out)) {
    ctx.out->commands.clear();
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, false);
  }
  if (ctx.out->commands.empty()) {
    // "gat 10" with no key: memcached answers a bare END. Nothing to route, so reply here.
    return ReplyToLine(ctx, replies::kTextEnd, verb, false);
  }
  ctx.out->kind = RequestKind::kKeyed;
  ctx.out->context = TextContext{verb, false};
  return Parsed(ctx.next);
}

// ---- Keyed one-liners: delete, incr/decr, touch ------------------------------------------------

ParseResult ParseDelete(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  bool noreply = false;
  if (tokens.Ntokens() > 3) {
    // protocol.txt "Deletion": only "0" may stand where the old hold time was.
    const bool hold_is_zero = tokens[2] == "0";
    noreply = HasNoreply(tokens);
    const bool valid = (tokens.Ntokens() == 4 && (hold_is_zero || noreply)) ||
                       (tokens.Ntokens() == 5 && hold_is_zero && noreply);
    if (!valid) {
      return ReplyToLine(ctx, replies::kTextDeleteUsage, verb, noreply);
    }
  }
  if (KeyTooLong(tokens[1])) {
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, noreply);
  }
  return Keyed(ctx, KeyedCommand(core::Op::kDelete, tokens[1]), verb, noreply, ctx.next);
}

ParseResult ParseArithmetic(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  const bool noreply = HasNoreply(tokens);
  if (KeyTooLong(tokens[1])) {
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, noreply);
  }
  std::optional<uint64_t> delta = text::ParseUint64(tokens[2]);
  if (!delta) {
    return ReplyToLine(ctx, replies::kTextInvalidDelta, verb, noreply);
  }
  core::Command cmd =
      KeyedCommand(verb == Verb::kIncr ? core::Op::kIncr : core::Op::kDecr, tokens[1]);
  cmd.delta = *delta;
  return Keyed(ctx, std::move(cmd), verb, noreply, ctx.next);
}

ParseResult ParseTouch(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  const bool noreply = HasNoreply(tokens);
  if (KeyTooLong(tokens[1])) {
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, noreply);
  }
  std::optional<int32_t> exptime = text::ParseInt32Truncated(tokens[2]);
  if (!exptime) {
    return ReplyToLine(ctx, replies::kTextInvalidExptime, verb, noreply);
  }
  core::Command cmd = KeyedCommand(core::Op::kTouch, tokens[1]);
  cmd.exptime = *exptime;
  return Keyed(ctx, std::move(cmd), verb, noreply, ctx.next);
}

// ---- Server-level commands (protocol.txt "Other commands", "Statistics") -----------------------

ParseResult ParseFlushAll(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  const bool noreply = HasNoreply(tokens);
  int32_t delay = 0;
  if (tokens.Ntokens() != (noreply ? 3U : 2U)) {
    std::optional<int32_t> exptime = text::ParseInt32Truncated(tokens[1]);
    if (!exptime) {
      return ReplyToLine(ctx, replies::kTextInvalidExptime, verb, noreply);
    }
    delay = *exptime;
  }
  core::Command cmd;
  cmd.op = core::Op::kFlushAll;
  cmd.exptime = std::max(delay, 0);  // memcached flushes now for any delay <= 0
  ctx.out->kind = RequestKind::kFlushAll;
  ctx.out->commands.push_back(std::move(cmd));
  ctx.out->context = TextContext{verb, noreply};
  return Parsed(ctx.next);
}

ParseResult ParseVerbosity(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  const bool noreply = HasNoreply(tokens);
  std::optional<uint32_t> level = text::ParseUint32Truncated(tokens[1]);
  if (!level) {
    return ReplyToLine(ctx, replies::kTextBadCommandLineFormat, verb, noreply);
  }
  ParseResult result = Simple(ctx, RequestKind::kVerbosity, verb, std::to_string(*level));
  ctx.out->context = TextContext{verb, noreply};
  return result;
}

ParseResult ParseVersion(const TextTokens&, Verb verb, const LineContext& ctx) {
  return Simple(ctx, RequestKind::kVersion, verb);
}

ParseResult ParseQuit(const TextTokens&, Verb verb, const LineContext& ctx) {
  ctx.out->close_after = true;  // no reply; close once earlier replies are written
  return Simple(ctx, RequestKind::kQuit, verb);
}

// The line's tokens as a span, for the admin parsers (proto/admin.h).
struct TokenSpan {
  std::array<std::string_view, TextTokens::kMaxTokens> items{};
  std::size_t count = 0;
  explicit TokenSpan(const TextTokens& tokens) : count(tokens.size()) {
    for (std::size_t i = 0; i < count; ++i) {
      items[i] = tokens[i];
    }
  }
  [[nodiscard]] std::span<const std::string_view> View() const { return {items.data(), count}; }
};

ParseResult ParseStats(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  if (tokens.size() >= 2 && tokens[1] == "cachedump") {
    ParseCachedump(TokenSpan(tokens).View(), ctx.out);
    return Parsed(ctx.next);
  }
  if (tokens.size() >= 2 && tokens[1] == "detail") {
    // proto_text.c process_stats_detail: only the token after "detail" counts.
    const bool valid =
        tokens.size() >= 3 && (tokens[2] == "on" || tokens[2] == "off" || tokens[2] == "dump");
    if (!valid) {
      return ReplyToLine(ctx, replies::kTextDetailUsage, verb, false);
    }
    return Simple(ctx, RequestKind::kStats, verb, "detail " + std::string(tokens[2]));
  }
  return Simple(ctx, RequestKind::kStats, verb, JoinFrom(tokens, 1));
}

ParseResult ParseLruCrawlerLine(const TextTokens& tokens, Verb, const LineContext& ctx) {
  ParseLruCrawler(TokenSpan(tokens).View(), ctx.options, ctx.out);
  return Parsed(ctx.next);
}

ParseResult ParseSlabsLine(const TextTokens& tokens, Verb, const LineContext& ctx) {
  ParseSlabs(TokenSpan(tokens).View(), ctx.options, ctx.out);
  return Parsed(ctx.next);
}

ParseResult ParseLruLine(const TextTokens& tokens, Verb, const LineContext& ctx) {
  ParseLru(TokenSpan(tokens).View(), ctx.out);
  return Parsed(ctx.next);
}

ParseResult ParseMemLimitLine(const TextTokens& tokens, Verb, const LineContext& ctx) {
  ParseMemLimit(TokenSpan(tokens).View(), ctx.out);
  return Parsed(ctx.next);
}

ParseResult ParseWatchLine(const TextTokens& tokens, Verb, const LineContext& ctx) {
  ParseWatch(TokenSpan(tokens).View(), ctx.options, ctx.out);
  return Parsed(ctx.next);
}

// arg = the mode ("" or "graceful"; anything else is memcached's "invalid shutdown mode" when -A).
ParseResult ParseShutdown(const TextTokens& tokens, Verb verb, const LineContext& ctx) {
  return Simple(ctx, RequestKind::kShutdown, verb, JoinFrom(tokens, 1));
}

// memcached answers refresh_certs whatever follows the name.
ParseResult ParseRefreshCerts(const TextTokens&, Verb verb, const LineContext& ctx) {
  return Simple(ctx, RequestKind::kRefreshCerts, verb);
}

// ---- Dispatch -----------------------------------------------------------------------------------

using CommandParser = ParseResult (*)(const TextTokens&, Verb, const LineContext&);

// One row per command: memcached's name, our verb, its WANT_TOKENS range (ntokens counts the
// terminal token, so "get k" is 3) and its parser.
struct CommandSpec {
  std::string_view name;
  Verb verb;
  std::size_t min_ntokens;
  std::size_t max_ntokens;
  CommandParser parse;
};

constexpr std::array kCommands = {
    CommandSpec{"get", Verb::kGet, 3, kUnlimited, ParseRetrieval},
    CommandSpec{"gets", Verb::kGets, 3, kUnlimited, ParseRetrieval},
    CommandSpec{"gat", Verb::kGat, 3, kUnlimited, ParseRetrieval},
    CommandSpec{"gats", Verb::kGats, 3, kUnlimited, ParseRetrieval},
    CommandSpec{"bget", Verb::kGet, 3, kUnlimited, ParseRetrieval},  // memcached's old alias
    CommandSpec{"set", Verb::kSet, 6, 7, ParseStorage},
    CommandSpec{"add", Verb::kAdd, 6, 7, ParseStorage},
    CommandSpec{"replace", Verb::kReplace, 6, 7, ParseStorage},
    CommandSpec{"append", Verb::kAppend, 6, 7, ParseStorage},
    CommandSpec{"prepend", Verb::kPrepend, 6, 7, ParseStorage},
    CommandSpec{"cas", Verb::kCas, 7, 8, ParseStorage},
    CommandSpec{"delete", Verb::kDelete, 3, 5, ParseDelete},
    CommandSpec{"incr", Verb::kIncr, 4, 5, ParseArithmetic},
    CommandSpec{"decr", Verb::kDecr, 4, 5, ParseArithmetic},
    CommandSpec{"touch", Verb::kTouch, 4, 5, ParseTouch},
    CommandSpec{"flush_all", Verb::kFlushAll, 2, 4, ParseFlushAll},
    CommandSpec{"verbosity", Verb::kVerbosity, 3, 4, ParseVerbosity},
    CommandSpec{"version", Verb::kVersion, 2, kUnlimited, ParseVersion},
    CommandSpec{"quit", Verb::kQuit, 2, kUnlimited, ParseQuit},
    CommandSpec{"stats", Verb::kStats, 2, kUnlimited, ParseStats},
    CommandSpec{"shutdown", Verb::kShutdown, 2, kUnlimited, ParseShutdown},
    CommandSpec{"lru_crawler", Verb::kOther, 2, kUnlimited, ParseLruCrawlerLine},
    CommandSpec{"slabs", Verb::kOther, 2, kUnlimited, ParseSlabsLine},
    CommandSpec{"lru", Verb::kOther, 3, kUnlimited, ParseLruLine},
    CommandSpec{"cache_memlimit", Verb::kOther, 3, 4, ParseMemLimitLine},
    CommandSpec{"watch", Verb::kOther, 2, kUnlimited, ParseWatchLine},
    CommandSpec{"refresh_certs", Verb::kOther, 2, kUnlimited, ParseRefreshCerts},
};

bool IsMetaVerb(std::string_view command) {
  return command.size() == 2 && command[0] == 'm' &&
         std::string_view("gsdnae").find(command[1]) != std::string_view::npos;
}

// An unknown command. memcached closes without a word on what looks like an HTTP request line,
// but only for names outside its g/s/a/c/i/d/t branches, which answer ERROR on their own.
ParseResult Unknown(const TextTokens& tokens, const LineContext& ctx) {
  const bool in_branch = std::string_view("gsacidt").find(tokens[0][0]) != std::string_view::npos;
  if (!in_branch && tokens.Back().starts_with("HTTP/")) {
    return CloseSilently(ctx);
  }
  return ReplyToLine(ctx, replies::kTextError, Verb::kOther, false);
}

ParseResult Dispatch(const TextTokens& tokens, const LineContext& ctx) {
  // memcached: no token, or a command name shorter than two bytes.
  if (tokens.size() == 0 || tokens[0].size() < 2) {
    return ReplyToLine(ctx, replies::kTextError, Verb::kOther, false);
  }
  if (tokens[0][0] == 'm' && tokens[0].size() == 2) {
    if (!IsMetaVerb(tokens[0])) {
      return ReplyToLine(ctx, replies::kTextError, Verb::kOther, false);
    }
    const auto offset = static_cast<std::size_t>(tokens[0].data() - ctx.in.data());
    ParseResult meta = ParseMeta(ctx.in.substr(offset), ctx.options, ctx.out);
    if (meta.status == ParseStatus::kOk) {
      meta.consumed += offset;
    }
    return meta;
  }
  for (const CommandSpec& spec : kCommands) {
    if (spec.name == tokens[0]) {
      if (tokens.Ntokens() < spec.min_ntokens || tokens.Ntokens() > spec.max_ntokens) {
        return ReplyToLine(ctx, replies::kTextError, spec.verb, false);
      }
      return spec.parse(tokens, spec.verb, ctx);
    }
  }
  return Unknown(tokens, ctx);
}

// memcached.c try_read_command_ascii's test for a long line that has no "\n" yet.
bool LooksLikeMultiGet(std::string_view in) {
  const std::size_t start = std::min(in.find_first_not_of(' '), in.size());
  if (start > kMaxLeadingSpaces) {
    return false;
  }
  const std::string_view head = in.substr(start);
  return head.starts_with("get ") || head.starts_with("gets ");
}

ParseResult ParseWithoutNewline(std::string_view in, const ParserOptions& options, Request* out) {
  if (in.size() <= core::kMaxTextLineLength) {
    return {};
  }
  if (LooksLikeMultiGet(in) && in.size() <= kMaxGetLineBytes) {
    return {};
  }
  *out = Request{};
  return CloseSilently(LineContext{in, in.size(), in.size(), options, out});
}

}  // namespace

// memcached reads ascii requests through a 16 KiB buffer (READ_BUFFER_SIZE) and decides "line too
// long" on what that buffer holds: a newline further out than that is never seen. Looking no
// further makes our answer the same whatever our own read size was.
constexpr std::size_t kMemcachedReadWindow = std::size_t{16} * 1024;

ParseResult ParseText(std::string_view in, const ParserOptions& options, Request* out) {
  const std::size_t window = LooksLikeMultiGet(in) ? kMaxGetLineBytes + 1 : kMemcachedReadWindow;
  const std::size_t newline = in.substr(0, std::min(in.size(), window)).find('\n');
  if (newline == std::string_view::npos) {
    return ParseWithoutNewline(in.substr(0, std::min(in.size(), window)), options, out);
  }
  // memcached strips one "\r" before the "\n", unless it is the line's only byte.
  std::size_t line_length = newline;
  if (line_length > 1 && in[line_length - 1] == '\r') {
    --line_length;
  }
  // memcached tokenizes a NUL-terminated string: a NUL ends the line early. Search the line only:
  // searching the whole unparsed buffer made a 64 KiB pipelined read quadratic (issue #10).
  std::string_view line = in.substr(0, line_length);
  line = line.substr(0, std::min(line.size(), line.find('\0')));
  TextTokens tokens;
  tokens.Split(line);
  *out = Request{};
  return Dispatch(tokens, LineContext{in, line_length, newline + 1, options, out});
}

}  // namespace corecached::proto
