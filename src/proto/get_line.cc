#include "proto/get_line.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "core/key_hash.h"
#include "core/protocol_limits.h"
#include "proto/replies.h"
#include "proto/text_tokenizer.h"

namespace corecached::proto {

namespace {
using Verb = TextContext::Verb;

// memcached.c try_read_command_ascii: at most 100 leading spaces before the verb.
constexpr std::size_t kMaxLeadingSpaces = 100;

std::optional<Verb> VerbOf(std::string_view token) {
  if (token == "get") {
    return Verb::kGet;
  }
  if (token == "gets") {
    return Verb::kGets;
  }
  if (token == "gat") {
    return Verb::kGat;
  }
  if (token == "gats") {
    return Verb::kGats;
  }
  return std::nullopt;
}

// The token at *pos (after spaces), or nullopt when it is not followed by a space within `in`.
std::optional<std::string_view> CompleteToken(std::string_view in, std::size_t* pos) {
  const std::size_t start = std::min(in.find_first_not_of(' ', *pos), in.size());
  const std::size_t end = in.find(' ', start);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  *pos = end;
  return in.substr(start, end - start);
}
}  // namespace

bool GetLine::Starts(std::string_view in) {
  if (in.size() < kPieceStartBytes || in.substr(0, kPieceStartBytes).find('\n') != in.npos) {
    return false;
  }
  const std::size_t start = std::min(in.find_first_not_of(' '), in.size());
  if (start > kMaxLeadingSpaces) {
    return false;
  }
  // memcached.c try_read_command_ascii lets only "get " and "gets " lines grow: a long gat/gats
  // line without its newline closes the connection there, and in ParseText here.
  const std::string_view head = in.substr(start);
  return head.starts_with("get ") || head.starts_with("gets ");
}

bool GetLine::ParseHead(std::string_view in, std::size_t* pos, Request* out) {
  verb_ = *VerbOf(*CompleteToken(in, pos));
  touch_ = false;
  exptime_ = 0;
  active_ = true;
  discard_ = false;
  ++line_id_;
  if (verb_ == Verb::kGat || verb_ == Verb::kGats) {
    std::optional<std::string_view> token = CompleteToken(in, pos);
    std::optional<int32_t> exptime =
        token ? text::ParseInt32Truncated(*token) : std::optional<int32_t>();
    if (!exptime) {
      out->kind = RequestKind::kError;
      out->reply = std::string(replies::kTextInvalidExptime);
      out->context = TextContext{verb_, false};
      discard_ = true;
      return false;
    }
    touch_ = true;
    exptime_ = *exptime;
  }
  return true;
}

ParseResult GetLine::Discard(std::string_view in, Request* out) {
  out->kind = RequestKind::kError;
  out->context = TextContext{verb_, false};
  const std::size_t newline = in.find('\n');
  if (newline == std::string_view::npos) {
    return {ParseStatus::kOk, in.size()};
  }
  active_ = false;
  discard_ = false;
  return {ParseStatus::kOk, newline + 1};
}

ParseResult GetLine::Finish(std::size_t consumed, bool last, Request* out) {
  TextContext ctx{verb_, false};
  ctx.more_follows = !last;
  ctx.line_id = line_id_;
  if (out->commands.empty()) {
    out->kind = RequestKind::kError;
    out->reply = last ? std::string(replies::kTextEnd) : std::string();
  } else {
    out->kind = RequestKind::kKeyed;
  }
  out->context = ctx;
  if (last) {
    active_ = false;
  }
  return {ParseStatus::kOk, consumed};
}

bool GetLine::ParseKeys(std::string_view keys, std::size_t* cursor, Request* out) const {
  while (out->commands.size() < kMaxKeysPerPiece) {
    const std::size_t start = std::min(keys.find_first_not_of(' ', *cursor), keys.size());
    if (start == keys.size()) {
      *cursor = keys.size();
      return true;
    }
    const std::size_t stop = std::min(keys.find(' ', start), keys.size());
    const std::string_view key = keys.substr(start, stop - start);
    *cursor = stop;
    if (key.size() > core::kMaxKeyLength) {
      return false;
    }
    core::Command cmd;
    cmd.op = core::Op::kGet;
    cmd.touch = touch_;
    cmd.exptime = exptime_;
    cmd.key = std::string(key);
    cmd.hash = core::KeyHash::Of(key);
    out->commands.push_back(std::move(cmd));
  }
  return true;
}

ParseResult GetLine::BadKey(std::size_t consumed, Request* out) {
  *out = Request{};
  out->kind = RequestKind::kError;
  out->reply = std::string(replies::kTextBadCommandLineFormat);
  out->context = TextContext{verb_, false};
  discard_ = true;
  return {ParseStatus::kOk, consumed};
}

ParseResult GetLine::Parse(std::string_view in, Request* out) {
  *out = Request{};
  std::size_t pos = 0;
  if (!active_ && !ParseHead(in, &pos, out)) {
    return {ParseStatus::kOk, pos};
  }
  if (discard_) {
    return Discard(in, out);
  }
  const std::size_t newline = in.find('\n', pos);
  const bool has_newline = newline != std::string_view::npos;
  std::size_t end = pos;
  if (has_newline) {
    end = newline > pos && in[newline - 1] == '\r' ? newline - 1 : newline;
  } else if (const std::size_t space = in.rfind(' ');
             space != std::string_view::npos && space > pos) {
    end = space;  // what follows the last space may be an unfinished key
  }
  std::size_t cursor = pos;
  if (!ParseKeys(in.substr(0, end), &cursor, out)) {
    return BadKey(cursor, out);
  }
  if (!has_newline && out->commands.empty()) {
    // Only an unfinished key so far: wait for its end, unless it is already too long for a key.
    if (in.size() - end > core::kMaxKeyLength + 1) {
      return BadKey(in.size(), out);
    }
    return {};
  }
  const bool last = has_newline && cursor >= end;
  return Finish(last ? newline + 1 : cursor, last, out);
}

}  // namespace corecached::proto
