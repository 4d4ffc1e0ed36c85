#include "proxy/meta_client.h"

#include <charconv>
#include <vector>

#include "proto/meta_base64.h"
#include "proto/replies.h"

namespace corecached::proxy {

namespace {
using core::Op;
using core::Outcome;

bool NeedsBase64(std::string_view key) {
  for (char c : key) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 32 || b == 127) {
      return true;
    }
  }
  return key.empty();
}

// The key, and " b" when it travels base64-encoded. For ms the flag must follow the datalen
// token, so the caller places it (`flag_now` false).
bool AppendKey(const core::Command& cmd, std::string* out, bool flag_now = true) {
  if (!NeedsBase64(cmd.key)) {
    out->append(cmd.key);
    return false;
  }
  proto::meta_base64::Encode(cmd.key, out);
  if (flag_now) {
    out->append(" b");
  }
  return true;
}

void AppendNumber(char flag, int64_t n, std::string* out) {
  out->push_back(' ');
  out->push_back(flag);
  out->append(std::to_string(n));
}

void AppendCas(const core::Command& cmd, std::string* out) {
  if (cmd.check_cas) {
    out->append(" C").append(std::to_string(cmd.compare_cas));
  }
  if (cmd.new_cas != 0) {
    out->append(" E").append(std::to_string(cmd.new_cas));
  }
}

void EncodeGet(const core::Command& cmd, std::string* out) {
  out->append("mg ");
  AppendKey(cmd, out);
  if (cmd.op == Op::kGet) {
    out->append(" v f c t");
  }
  if (cmd.touch || cmd.op == Op::kTouch) {
    AppendNumber('T', cmd.exptime, out);
  }
  if (cmd.vivify) {
    AppendNumber('N', cmd.vivify_exptime, out);
  }
  if (cmd.recache) {
    AppendNumber('R', cmd.recache_threshold, out);
  }
  if (cmd.no_lru_bump) {
    out->append(" u");
  }
  out->append("\r\n");
}

char StoreMode(Op op) {
  switch (op) {
    case Op::kAdd:
      return 'E';
    case Op::kReplace:
      return 'R';
    case Op::kAppend:
      return 'A';
    case Op::kPrepend:
      return 'P';
    default:
      return 'S';
  }
}

void EncodeStore(const core::Command& cmd, std::string* out) {
  out->append("ms ");
  const bool base64 = AppendKey(cmd, out, /*flag_now=*/false);
  out->push_back(' ');
  out->append(std::to_string(cmd.value.size()));
  out->append(base64 ? " b c" : " c");
  AppendNumber('F', cmd.flags, out);
  AppendNumber('T', cmd.exptime, out);
  out->append(" M").push_back(StoreMode(cmd.op));
  AppendCas(cmd, out);
  if (cmd.vivify) {
    AppendNumber('N', cmd.vivify_exptime, out);
  }
  if (cmd.invalidate) {
    out->append(" I");
  }
  out->append("\r\n").append(cmd.value).append("\r\n");
}

void EncodeDelete(const core::Command& cmd, std::string* out) {
  out->append("md ");
  AppendKey(cmd, out);
  AppendCas(cmd, out);
  if (cmd.invalidate) {
    out->append(" I");
    if (cmd.update_ttl) {
      AppendNumber('T', cmd.exptime, out);
    }
  }
  if (cmd.delete_value_only) {
    out->append(" x");
  }
  out->append("\r\n");
}

void EncodeArith(const core::Command& cmd, std::string* out) {
  out->append("ma ");
  AppendKey(cmd, out);
  out->append(cmd.op == Op::kIncr ? " v c MI D" : " v c MD D");
  out->append(std::to_string(cmd.delta));
  AppendCas(cmd, out);
  if (cmd.vivify) {
    AppendNumber('N', cmd.vivify_exptime, out);
    out->append(" J").append(std::to_string(cmd.initial));
  }
  if (cmd.update_ttl) {
    AppendNumber('T', cmd.exptime, out);
  }
  out->append("\r\n");
}

template <typename T>
bool ToNumber(std::string_view s, T* n) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *n);
  return ec == std::errc() && ptr == s.data() + s.size();
}

// Reads the return flags after "VA <size>" or "HD".
void ReadFlags(std::string_view rest, core::Result* r) {
  while (!rest.empty()) {
    std::size_t sp = rest.find(' ');
    std::string_view tok = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    if (tok.empty()) {
      continue;
    }
    std::string_view arg = tok.substr(1);
    switch (tok.front()) {
      case 'f':
        ToNumber(arg, &r->flags);
        break;
      case 'c':
        ToNumber(arg, &r->cas);
        break;
      case 't':
        ToNumber(arg, &r->ttl_seconds);
        break;
      case 'W':
        r->win = true;
        break;
      case 'X':
        r->stale = true;
        break;
      case 'Z':
        r->already_won = true;
        break;
      default:
        break;
    }
  }
}

Outcome HeaderOutcome(Op op) {
  switch (op) {
    case Op::kGet:
      return Outcome::kHit;  // mg without v: only metadata (not sent by EncodeGet for kGet)
    case Op::kTouch:
      return Outcome::kTouched;
    case Op::kDelete:
      return Outcome::kDeleted;
    case Op::kIncr:
    case Op::kDecr:
      return Outcome::kArithOk;
    case Op::kFlushAll:
      return Outcome::kOk;
    default:
      return Outcome::kStored;
  }
}

Outcome ErrorOutcome(std::string_view line, Op op) {
  auto starts = [&](std::string_view reply) { return line == reply.substr(0, reply.size() - 2); };
  if (starts(proto::replies::kTextObjectTooLarge)) {
    return Outcome::kTooLarge;
  }
  if (starts(proto::replies::kTextOutOfMemoryStoring) ||
      starts(proto::replies::kTextOutOfMemoryArith)) {
    return Outcome::kNoMemory;
  }
  if ((op == Op::kIncr || op == Op::kDecr) && starts(proto::replies::kTextNonNumeric)) {
    return Outcome::kNonNumeric;
  }
  return Outcome::kUpstreamError;
}

// One reply line (without \r\n) that carries no data block.
Outcome LineOutcome(std::string_view line, const core::Command& cmd, core::Result* r) {
  std::string_view code = line.substr(0, 2);
  if (line.size() >= 2 && (line.size() == 2 || line[2] == ' ')) {
    if (code == "HD" || code == "OK") {
      ReadFlags(line.substr(std::min<std::size_t>(3, line.size())), r);
      return HeaderOutcome(cmd.op);
    }
    if (code == "EN") {
      return cmd.op == Op::kTouch ? Outcome::kNotFound : Outcome::kMiss;
    }
    if (code == "NS") {
      return Outcome::kNotStored;
    }
    if (code == "EX") {
      return Outcome::kExists;
    }
    if (code == "NF") {
      return Outcome::kNotFound;
    }
  }
  return ErrorOutcome(line, cmd.op);
}
}  // namespace

namespace {
// A classic get line splits keys at spaces and ends at the newline; memcached takes any other
// byte in a key (memcaslap's keys carry control bytes), but not NUL.
bool ClassicKey(std::string_view key) {
  return !key.empty() &&
         key.find_first_of(std::string_view(" \r\n\0", 4)) == std::string_view::npos;
}
}  // namespace

bool Batchable(const core::Command& cmd) {
  // ttl_steps: an mg that asked for t (the classic reply carries no TTL).
  return cmd.op == Op::kGet && !cmd.touch && !cmd.vivify && !cmd.recache && !cmd.no_lru_bump &&
         !cmd.key_binary && cmd.ttl_steps[0] == 0 && ClassicKey(cmd.key);
}

void EncodeMultiGet(std::span<const core::Command* const> cmds, std::string* out) {
  out->append("gets");
  for (const core::Command* cmd : cmds) {
    out->push_back(' ');
    out->append(cmd->key);
  }
  out->append("\r\n");
}

namespace {
// One "VALUE <key> <flags> <bytes> <cas>" block at the front of `in`; false when malformed.
// *size = 0 when incomplete.
bool ParseValueBlock(std::string_view in, std::size_t eol, std::string_view* key, core::Result* r,
                     std::size_t* size) {
  std::string_view line = in.substr(6, eol - 6);  // after "VALUE "
  std::string_view tokens[4];
  for (std::string_view& t : tokens) {
    std::size_t sp = line.find(' ');
    t = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
  }
  std::size_t bytes = 0;
  if (!ToNumber(tokens[1], &r->flags) || !ToNumber(tokens[2], &bytes) ||
      !ToNumber(tokens[3], &r->cas)) {
    return false;
  }
  *key = tokens[0];
  const std::size_t total = eol + 2 + bytes + 2;
  if (in.size() < total) {
    *size = 0;
    return true;
  }
  if (in.substr(eol + 2 + bytes, 2) != "\r\n") {
    return false;
  }
  r->outcome = Outcome::kHit;
  r->value.assign(in.substr(eol + 2, bytes));
  *size = total;
  return true;
}
}  // namespace

ReplyStatus ParseMultiGetReply(std::string_view in, std::span<const core::Command* const> cmds,
                               std::span<core::Result* const> results, std::size_t* consumed) {
  std::size_t pos = 0;
  std::size_t next = 0;  // hits come back in request order: match forward
  std::vector<core::Result> found(cmds.size());
  for (;;) {
    std::string_view rest = in.substr(pos);
    std::size_t eol = rest.find("\r\n");
    if (eol == std::string_view::npos) {
      return rest.size() > 4096 ? ReplyStatus::kError : ReplyStatus::kNeedMore;
    }
    if (rest.substr(0, eol) == "END") {
      pos += eol + 2;
      break;
    }
    if (rest.substr(0, 6) != "VALUE ") {
      for (core::Result* r : results) {
        *r = core::Result{};
        r->outcome = ErrorOutcome(rest.substr(0, eol), Op::kGet);
      }
      *consumed = pos + eol + 2;
      return pos == 0 ? ReplyStatus::kOk : ReplyStatus::kError;
    }
    core::Result hit;
    std::string_view key;
    std::size_t size = 0;
    if (!ParseValueBlock(rest, eol, &key, &hit, &size)) {
      return ReplyStatus::kError;
    }
    if (size == 0) {
      return ReplyStatus::kNeedMore;
    }
    while (next < cmds.size() && cmds[next]->key != key) {
      ++next;
    }
    if (next == cmds.size()) {
      return ReplyStatus::kError;  // a key we did not ask for, or out of order
    }
    found[next++] = std::move(hit);
    pos += size;
  }
  for (std::size_t i = 0; i < cmds.size(); ++i) {
    *results[i] = std::move(found[i]);  // default Result: kMiss
  }
  *consumed = pos;
  return ReplyStatus::kOk;
}

void EncodeRequest(const core::Command& cmd, std::string* out) {
  switch (cmd.op) {
    case Op::kGet:
    case Op::kTouch:
      EncodeGet(cmd, out);
      return;
    case Op::kDelete:
      EncodeDelete(cmd, out);
      return;
    case Op::kIncr:
    case Op::kDecr:
      EncodeArith(cmd, out);
      return;
    case Op::kFlushAll:
      out->append("flush_all");
      if (cmd.exptime != 0) {
        out->append(" ").append(std::to_string(cmd.exptime));
      }
      out->append("\r\n");
      return;
    default:
      EncodeStore(cmd, out);
      return;
  }
}

ReplyStatus ParseReply(std::string_view in, const core::Command& cmd, core::Result* result,
                       std::size_t* consumed) {
  std::size_t eol = in.find("\r\n");
  if (eol == std::string_view::npos) {
    return in.size() > 4096 ? ReplyStatus::kError : ReplyStatus::kNeedMore;
  }
  std::string_view line = in.substr(0, eol);
  *result = core::Result{};
  if (line.size() < 3 || line.substr(0, 3) != "VA ") {
    result->outcome = LineOutcome(line, cmd, result);
    *consumed = eol + 2;
    return ReplyStatus::kOk;
  }
  std::string_view rest = line.substr(3);
  std::size_t sp = rest.find(' ');
  std::size_t size = 0;
  if (!ToNumber(rest.substr(0, sp), &size)) {
    return ReplyStatus::kError;
  }
  std::size_t total = eol + 2 + size + 2;
  if (in.size() < total) {
    return ReplyStatus::kNeedMore;
  }
  if (in.substr(eol + 2 + size, 2) != "\r\n") {
    return ReplyStatus::kError;
  }
  std::string_view data = in.substr(eol + 2, size);
  if (sp != std::string_view::npos) {
    ReadFlags(rest.substr(sp + 1), result);
  }
  if (cmd.op == Op::kIncr || cmd.op == Op::kDecr) {
    result->outcome = ToNumber(data, &result->number) ? Outcome::kArithOk : Outcome::kUpstreamError;
  } else {
    result->outcome = Outcome::kHit;
    result->value.assign(data);
  }
  *consumed = total;
  return ReplyStatus::kOk;
}

}  // namespace corecached::proxy
