// Meta commands: mg ms md ma mn me (protocol.txt "Meta Commands"), matched against memcached
// 1.6.18 byte for byte. Quirks kept on purpose are marked "1.6.18:".
#include <array>
#include <cctype>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol_limits.h"
#include "proto/meta_base64.h"
#include "proto/meta_codec.h"
#include "proto/replies.h"

namespace corecached::proto {

namespace {

// memcached tokenizes a line into at most 24 tokens (MAX_TOKENS, counting its terminal one).
constexpr std::size_t kMaxTokens = 23;
// MFLAG_MAX_OPT_LENGTH: a line of 20 or more tokens (verb and key included) is refused.
constexpr std::size_t kMaxMetaTokens = 20;
// MFLAG_MAX_OPAQUE_LENGTH: the O token, 'O' included.
constexpr std::size_t kMaxOpaqueTokenLength = 32;

struct Line {
  std::array<std::string_view, kMaxTokens> tokens;
  std::size_t count = 0;
};

// Splits on ' ' only, as memcached's tokenize_command: a tab belongs to its token.
Line Tokenize(std::string_view text) {
  Line line;
  std::size_t pos = 0;
  while (pos < text.size() && line.count < kMaxTokens) {
    const std::size_t end = std::min(text.find(' ', pos), text.size());
    if (end > pos) {
      line.tokens[line.count++] = text.substr(pos, end - pos);
    }
    pos = end + 1;
  }
  return line;
}

// strtol/strtoul's grammar as memcached's safe_strto* use it: leading white space, a sign, at
// least one digit, then the end of the token or white space. `magnitude` saturates on overflow.
struct Decimal {
  bool negative = false;
  bool overflow = false;
  uint64_t magnitude = 0;
};

std::optional<Decimal> ScanDecimal(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) != 0) {
    ++i;
  }
  Decimal d;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    d.negative = s[i] == '-';
    ++i;
  }
  const std::size_t digits_start = i;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    const auto digit = static_cast<uint64_t>(s[i] - '0');
    if (d.magnitude > (UINT64_MAX - digit) / 10) {
      d.overflow = true;
    } else {
      d.magnitude = d.magnitude * 10 + digit;
    }
  }
  if (i == digits_start || (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])) == 0)) {
    return std::nullopt;
  }
  return d;
}

// safe_strtol: parses as a 64-bit long, then (1.6.18:) truncates to int32 without a range check.
std::optional<int32_t> SafeStrtol(std::string_view s) {
  const auto d = ScanDecimal(s);
  constexpr uint64_t kLongMax = static_cast<uint64_t>(INT64_MAX);
  if (!d || d->overflow || d->magnitude > kLongMax + (d->negative ? 1 : 0)) {
    return std::nullopt;
  }
  const uint64_t bits = d->negative ? (~d->magnitude + 1) : d->magnitude;
  return static_cast<int32_t>(static_cast<uint32_t>(bits & 0xFFFFFFFFU));
}

// safe_strtoull: strtoull's wrap-around negation; refused only when a '-' made it "negative".
std::optional<uint64_t> SafeStrtoull(std::string_view s) {
  const auto d = ScanDecimal(s);
  if (!d || d->overflow) {
    return std::nullopt;
  }
  const uint64_t value = d->negative ? (~d->magnitude + 1) : d->magnitude;
  if (static_cast<int64_t>(value) < 0 && s.find('-') != std::string_view::npos) {
    return std::nullopt;
  }
  return value;
}

// safe_strtoul: as safe_strtoull, then (1.6.18:) truncated to 32 bits (F4294967297 stores 1).
std::optional<uint32_t> SafeStrtoul(std::string_view s) {
  const auto v = SafeStrtoull(s);
  if (!v) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*v & 0xFFFFFFFFU);
}

// What a line's flags ask for (memcached's _meta_flag_preparse).
struct MetaFlags {
  std::string key;     // decoded when `b` was given
  std::string order;   // first character of each flag token, in request order
  std::string opaque;  // the O token without its 'O'
  bool opaque_too_long = false;
  bool base64 = false;
  bool quiet = false;
  bool value = false;
  bool no_lru_bump = false;
  bool invalidate = false;
  bool has_ttl = false;
  bool vivify = false;
  bool recache = false;
  bool has_cas = false;
  int32_t exptime = 0;
  int32_t vivify_exptime = 0;
  int32_t vivify_token = 0;  // N's own value (vivify_exptime may take a later T's)
  int32_t recache_threshold = 0;
  uint32_t client_flags = 0;
  uint64_t compare_cas = 0;
  uint64_t delta = 1;
  uint64_t initial = 0;
  char mode = 0;
};

// Applies one token-carrying flag. Returns false and sets *error (when it has a message of its
// own) if the token is bad; parsing goes on, as memcached's does, so a later error may replace it.
bool ApplyTokenFlag(char flag, std::string_view arg, MetaFlags* f, std::string_view* error) {
  auto int32_arg = [&](int32_t* dst) {
    const auto v = SafeStrtol(arg);
    if (!v) {
      *error = replies::kMetaBadToken;
      return false;
    }
    *dst = *v;
    return true;
  };
  switch (flag) {
    case 'N':
      f->vivify = true;
      if (!int32_arg(&f->vivify_exptime)) {
        return false;
      }
      f->vivify_token = f->vivify_exptime;
      return true;
    case 'T':
      f->has_ttl = int32_arg(&f->exptime);
      // memcached 1.6.18: an item N creates gets the TTL of whichever of N and T comes last
      // ("ma k N10 T20" creates it with 20, "ma k T20 N10" with 10).
      if (f->has_ttl && f->vivify) {
        f->vivify_exptime = f->exptime;
      }
      return f->has_ttl;
    case 'R':
      f->recache = true;
      return int32_arg(&f->recache_threshold);
    case 'F': {
      const auto v = SafeStrtoul(arg);
      f->client_flags = v.value_or(0);
      return v.has_value();  // 1.6.18: no message of its own.
    }
    case 'C': {
      const auto v = SafeStrtoull(arg);
      f->has_cas = v.has_value();
      f->compare_cas = v.value_or(0);
      if (!v) {
        *error = replies::kMetaBadToken;
      }
      return v.has_value();
    }
    case 'J':
    case 'D': {
      const auto v = SafeStrtoull(arg);
      if (!v) {
        *error = flag == 'J' ? replies::kMetaInvalidInitial : replies::kMetaInvalidDelta;
        return false;
      }
      (flag == 'J' ? f->initial : f->delta) = *v;
      return true;
    }
    default:  // 'M'
      if (arg.size() != 1) {
        *error = replies::kMetaMTokenLength;
        return false;
      }
      f->mode = arg[0];
      return true;
  }
}

// Applies one flag token. Returns false when memcached stops at once (unknown or repeated flag).
bool ApplyFlag(std::string_view token, MetaFlags* f, bool* has_error, std::string_view* error) {
  const char flag = token[0];
  switch (flag) {
    case 'b':
      if (auto decoded = meta_base64::Decode(f->key)) {
        f->key = std::move(*decoded);
      } else {
        f->key.clear();
        *error = replies::kMetaDecodingKey;
        *has_error = true;
      }
      f->base64 = true;
      return true;
    case 'O':
      f->opaque = std::string(token.substr(1));
      f->opaque_too_long = token.size() > kMaxOpaqueTokenLength;
      return true;
    // A table of flag letters, one line per meaning.
    // clang-format off
    case 'P': case 'L':  // proxy hints, ignored (protocol.txt "Meta Commands")
    case 'k': case 's': case 't': case 'c': case 'f': case 'l': case 'h':
      return true;
    case 'v': f->value = true; return true;
    case 'u': f->no_lru_bump = true; return true;
    case 'q': f->quiet = true; return true;
    case 'I': f->invalidate = true; return true;
    case 'N': case 'T': case 'R': case 'F': case 'C': case 'J': case 'D': case 'M':
      // clang-format on
      if (!ApplyTokenFlag(flag, token.substr(1), f, error)) {
        *has_error = true;
      }
      return true;
    default:  // 1.6.18 knows neither E (new CAS) nor x (md: drop the value only).
      *error = replies::kMetaInvalidFlag;
      return false;
  }
}

// Reads the flags from tokens[start..]. Returns the error reply, or nullopt when all were good.
std::optional<std::string_view> Preparse(const Line& line, std::size_t start, MetaFlags* f) {
  std::array<bool, 128> seen{};
  std::string_view error = replies::kTextBadCommandLineFormat;
  bool has_error = false;
  f->key = std::string(line.tokens[1]);
  for (std::size_t i = start; i < line.count; ++i) {
    const auto c = static_cast<unsigned char>(line.tokens[i][0]);
    if (c >= 127 || seen[c]) {
      return replies::kMetaDuplicateFlag;  // 1.6.18 says "duplicate" for bytes >= 127 too
    }
    seen[c] = true;
    f->order.push_back(static_cast<char>(c));
    if (!ApplyFlag(line.tokens[i], f, &has_error, &error)) {
      return error;
    }
  }
  if (has_error) {
    return error;
  }
  return std::nullopt;
}

void SetError(std::string_view reply, Request* out) {
  out->kind = RequestKind::kError;
  out->reply = std::string(reply);
}

MetaContext ContextOf(char verb, const Line& line, const MetaFlags& f) {
  MetaContext ctx;
  ctx.verb = verb;
  ctx.return_flags = f.order;
  ctx.opaque = f.opaque;
  ctx.quiet = f.quiet;
  ctx.base64_key = f.base64;
  ctx.raw_key = std::string(line.tokens[1]);
  return ctx;
}

core::Command CommandOf(core::Op op, const MetaFlags& f) {
  core::Command cmd;
  cmd.op = op;
  cmd.key = f.key;
  cmd.hash = core::KeyHash::Of(cmd.key);
  cmd.key_binary = f.base64;
  return cmd;
}

void SetKeyed(core::Command cmd, MetaContext ctx, Request* out) {
  out->kind = RequestKind::kKeyed;
  out->commands.push_back(std::move(cmd));
  out->context = std::move(ctx);
}

// Checks shared by mg md ma (and ms, which words the flag limit as md/ma do). Returns the error.
std::optional<std::string_view> CheckKeyAndCount(const Line& line, std::string_view too_long) {
  if (line.count < 2) {
    return replies::kTextError;
  }
  if (line.tokens[1].size() > core::kMaxKeyLength) {
    return replies::kTextBadCommandLineFormat;
  }
  if (line.count >= kMaxMetaTokens) {
    return too_long;
  }
  return std::nullopt;
}

void ParseGet(const Line& line, Request* out) {
  if (auto err = CheckKeyAndCount(line, replies::kMetaGetFlagsTooLong)) {
    return SetError(*err, out);
  }
  MetaFlags f;
  if (auto err = Preparse(line, 2, &f)) {
    return SetError(*err, out);
  }
  if (f.opaque_too_long) {
    return SetError(replies::kMetaOpaqueTooLong, out);
  }
  core::Command cmd = CommandOf(core::Op::kGet, f);
  cmd.touch = f.has_ttl;
  cmd.exptime = f.exptime;
  cmd.no_lru_bump = f.no_lru_bump;
  cmd.vivify = f.vivify;
  cmd.vivify_exptime = f.vivify_token;
  std::size_t steps = 0;
  for (const char flag : f.order) {
    if ((flag == 'T' && f.has_ttl) || (flag == 'N' && f.vivify) || flag == 't') {
      cmd.ttl_steps[steps++] = flag;  // each flag appears once: Preparse refuses duplicates
    }
  }
  cmd.recache = f.recache;
  cmd.recache_threshold = f.recache_threshold;
  SetKeyed(std::move(cmd), ContextOf('g', line, f), out);
}

void ParseDelete(const Line& line, Request* out) {
  if (auto err = CheckKeyAndCount(line, replies::kMetaFlagsTooLong)) {
    return SetError(*err, out);
  }
  MetaFlags f;
  if (Preparse(line, 2, &f)) {
    return SetError(replies::kMetaInvalidOrDuplicate, out);
  }
  if (f.opaque_too_long) {
    return SetError(replies::kMetaOpaqueTooLong, out);
  }
  core::Command cmd = CommandOf(core::Op::kDelete, f);
  cmd.check_cas = f.has_cas;  // md C0 compares against 0 (and so answers EX)
  cmd.compare_cas = f.compare_cas;
  cmd.invalidate = f.invalidate;
  cmd.update_ttl = f.invalidate && f.has_ttl;  // T only counts with I
  cmd.exptime = cmd.update_ttl ? f.exptime : 0;
  SetKeyed(std::move(cmd), ContextOf('d', line, f), out);
}

void ParseArith(const Line& line, Request* out) {
  if (auto err = CheckKeyAndCount(line, replies::kMetaFlagsTooLong)) {
    return SetError(*err, out);
  }
  MetaFlags f;
  if (Preparse(line, 2, &f)) {
    return SetError(replies::kMetaInvalidOrDuplicate, out);
  }
  core::Op op = core::Op::kIncr;
  if (f.mode == 'D' || f.mode == '-') {
    op = core::Op::kDecr;
  } else if (f.mode != 0 && f.mode != 'I' && f.mode != '+') {
    return SetError(replies::kMetaArithInvalidMode, out);
  }
  if (f.opaque_too_long) {
    return SetError(replies::kMetaOpaqueTooLong, out);
  }
  core::Command cmd = CommandOf(op, f);
  cmd.delta = f.delta;
  cmd.initial = f.initial;
  cmd.check_cas = f.has_cas && f.compare_cas != 0;  // 1.6.18: ma C0 checks nothing
  cmd.compare_cas = f.compare_cas;
  cmd.vivify = f.vivify;
  cmd.vivify_exptime = f.vivify_exptime;
  cmd.update_ttl = f.has_ttl;
  cmd.exptime = f.exptime;
  SetKeyed(std::move(cmd), ContextOf('a', line, f), out);
}

void ParseDebug(const Line& line, Request* out) {
  if (line.count < 2 || line.tokens[1].size() > core::kMaxKeyLength) {
    return SetError(replies::kTextBadCommandLineFormat, out);
  }
  MetaFlags f;
  f.key = std::string(line.tokens[1]);
  // Only a third token that is exactly "b" counts; every other token is ignored.
  if (line.count >= 3 && line.tokens[2] == "b") {
    auto decoded = meta_base64::Decode(f.key);
    if (!decoded) {
      return SetError(replies::kTextBadCommandLineFormat, out);
    }
    f.key = std::move(*decoded);
    f.base64 = true;
  }
  core::Command cmd = CommandOf(core::Op::kGet, f);
  cmd.no_lru_bump = true;  // me neither bumps nor marks the item fetched
  SetKeyed(std::move(cmd), ContextOf('e', line, f), out);
}

// ms line checks before its flags: nothing is swallowed after these errors, as in 1.6.18.
std::optional<std::string_view> CheckSetLine(const Line& line, int32_t* datalen) {
  if (auto err = CheckKeyAndCount(line, replies::kMetaFlagsTooLong)) {
    return *err;
  }
  if (line.count == 2) {
    return replies::kTextBadCommandLineFormat;  // no datalen
  }
  const auto len = SafeStrtol(line.tokens[2]);
  if (!len || *len < 0 || *len > INT32_MAX - 2) {
    return replies::kTextBadCommandLineFormat;
  }
  *datalen = *len;
  return std::nullopt;
}

// ms mode (M token) -> op; C upgrades set/replace to a CAS store (protocol.txt "Meta Set").
std::optional<core::Op> SetOp(const MetaFlags& f) {
  switch (f.mode) {
    case 0:
    case 'S':
      return f.has_cas ? core::Op::kCas : core::Op::kSet;
    case 'R':
      return f.has_cas ? core::Op::kCas : core::Op::kReplace;
    case 'E':
      return core::Op::kAdd;  // add ignores C
    case 'A':
      return core::Op::kAppend;
    case 'P':
      return core::Op::kPrepend;
    default:
      return std::nullopt;
  }
}

core::Command SetCommand(core::Op op, const MetaFlags& f, std::string_view data) {
  core::Command cmd = CommandOf(op, f);
  cmd.value = std::string(data);
  cmd.flags = f.client_flags;
  cmd.exptime = f.has_ttl ? f.exptime : 0;
  if (op == core::Op::kCas) {
    cmd.check_cas = true;           // ms C0 compares against 0 (and so answers EX)
    cmd.invalidate = f.invalidate;  // I only counts in CAS mode
  } else if (op == core::Op::kAppend || op == core::Op::kPrepend) {
    cmd.check_cas = f.has_cas && f.compare_cas != 0;  // 1.6.18: C0 checks nothing here
  }
  cmd.compare_cas = cmd.check_cas ? f.compare_cas : 0;
  return cmd;
}

ParseResult ParseSet(const Line& line, std::string_view in, std::size_t line_size,
                     const ParserOptions& options, Request* out) {
  int32_t datalen = 0;
  if (auto err = CheckSetLine(line, &datalen)) {
    SetError(*err, out);
    return {ParseStatus::kOk, line_size};
  }
  const auto block = static_cast<std::size_t>(datalen) + 2;
  MetaFlags f;
  auto err = Preparse(line, 3, &f);
  const auto op = SetOp(f);
  if (!err && !op) {
    err = replies::kMetaSetInvalidMode;
  } else if (!err && f.opaque_too_long) {
    err = replies::kMetaOpaqueTooLong;
  } else if (!err && static_cast<std::size_t>(datalen) > options.max_item_size) {
    err = replies::kTextObjectTooLarge;
    out->refused_too_large = true;
  }
  if (err) {
    SetError(*err, out);
    out->swallow = block;  // memcached's conn_swallow: the data block is read and dropped
    return {ParseStatus::kOk, line_size};
  }
  if (in.size() - line_size < block) {
    return {};
  }
  const std::string_view data = in.substr(line_size, block);
  if (data.substr(data.size() - 2) != "\r\n") {
    SetError(replies::kTextBadDataChunk, out);  // sent even with q
    return {ParseStatus::kOk, line_size + block};
  }
  SetKeyed(SetCommand(*op, f, data.substr(0, data.size() - 2)), ContextOf('s', line, f), out);
  return {ParseStatus::kOk, line_size + block};
}

}  // namespace

ParseResult ParseMeta(std::string_view in, const ParserOptions& options, Request* out) {
  const std::size_t newline = in.find('\n');
  if (newline == std::string_view::npos) {
    if (in.size() > core::kMaxTextLineLength) {
      *out = Request{};  // memcached closes without a reply
      out->context = MetaContext{};
      out->close_after = true;
      return {ParseStatus::kOk, in.size()};
    }
    return {};
  }
  std::string_view text = in.substr(0, newline);
  if (text.size() > 1 && text.back() == '\r') {
    text.remove_suffix(1);
  }
  const std::size_t line_size = newline + 1;
  const Line line = Tokenize(text);
  *out = Request{};
  out->context = MetaContext{};
  const std::string_view verb = line.count > 0 ? line.tokens[0] : std::string_view();
  if (verb == "ms") {
    return ParseSet(line, in, line_size, options, out);
  }
  if (verb == "mg") {
    ParseGet(line, out);
  } else if (verb == "md") {
    ParseDelete(line, out);
  } else if (verb == "ma") {
    ParseArith(line, out);
  } else if (verb == "me") {
    ParseDebug(line, out);
  } else if (verb == "mn") {
    out->kind = RequestKind::kNoop;
    MetaContext ctx;
    ctx.verb = 'n';
    out->context = std::move(ctx);
  } else {
    SetError(replies::kTextError, out);
  }
  return {ParseStatus::kOk, line_size};
}

}  // namespace corecached::proto
