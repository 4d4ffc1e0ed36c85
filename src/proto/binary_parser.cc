// Binary request parser (protocol-binary.xml). Checks run in the order memcached 1.6.18 runs them,
// each answered as Debian's memcached answers it:
//   magic != 0x80                    -> close, no reply
//   extras + key > body              -> 0x0081 "Unknown command", close
//   key > 250                        -> 0x0004 "Invalid arguments", close
//   opcode not served                -> 0x0081 "Unknown command", body swallowed, stay open
//   extras/key/value wrong for opcode -> 0x0004 "Invalid arguments", close
//   value > max_item_size            -> 0x0003 "Too large.", value swallowed (Set deletes the key)
#include <array>
#include <string>
#include <string_view>

#include "core/protocol_limits.h"
#include "proto/binary_codec.h"
#include "proto/binary_header.h"

namespace corecached::proto {

namespace {

using binary::Header;
using binary::kHeaderSize;
using binary::Opcode;
using binary::Status;

enum class KeyRule : uint8_t { kRequired, kForbidden, kOptional };

// What one opcode means and which packet shapes memcached accepts for it (dispatch_bin_command).
struct OpcodeSpec {
  Opcode opcode;
  RequestKind kind;
  core::Op op;
  uint8_t extras_length;  // the extras the opcode requires
  bool extras_optional;   // Flush: no extras or `extras_length`
  KeyRule key;
  bool has_value;  // a value may follow the key
  bool quiet;
  bool return_key;
};

constexpr RequestKind kKeyed = RequestKind::kKeyed;
constexpr KeyRule kKey = KeyRule::kRequired;
constexpr KeyRule kNoKey = KeyRule::kForbidden;

// clang-format off
constexpr std::array kSpecs{
    OpcodeSpec{Opcode::kGet,        kKeyed, core::Op::kGet,     0,  false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kGetQ,       kKeyed, core::Op::kGet,     0,  false, kKey,   false, true,  false},
    OpcodeSpec{Opcode::kGetK,       kKeyed, core::Op::kGet,     0,  false, kKey,   false, false, true},
    OpcodeSpec{Opcode::kGetKQ,      kKeyed, core::Op::kGet,     0,  false, kKey,   false, true,  true},
    OpcodeSpec{Opcode::kGat,        kKeyed, core::Op::kGet,     4,  false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kGatQ,       kKeyed, core::Op::kGet,     4,  false, kKey,   false, true,  false},
    OpcodeSpec{Opcode::kGatK,       kKeyed, core::Op::kGet,     4,  false, kKey,   false, false, true},
    OpcodeSpec{Opcode::kGatKQ,      kKeyed, core::Op::kGet,     4,  false, kKey,   false, true,  true},
    OpcodeSpec{Opcode::kTouch,      kKeyed, core::Op::kTouch,   4,  false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kSet,        kKeyed, core::Op::kSet,     8,  false, kKey,   true,  false, false},
    OpcodeSpec{Opcode::kSetQ,       kKeyed, core::Op::kSet,     8,  false, kKey,   true,  true,  false},
    OpcodeSpec{Opcode::kAdd,        kKeyed, core::Op::kAdd,     8,  false, kKey,   true,  false, false},
    OpcodeSpec{Opcode::kAddQ,       kKeyed, core::Op::kAdd,     8,  false, kKey,   true,  true,  false},
    OpcodeSpec{Opcode::kReplace,    kKeyed, core::Op::kReplace, 8,  false, kKey,   true,  false, false},
    OpcodeSpec{Opcode::kReplaceQ,   kKeyed, core::Op::kReplace, 8,  false, kKey,   true,  true,  false},
    OpcodeSpec{Opcode::kAppend,     kKeyed, core::Op::kAppend,  0,  false, kKey,   true,  false, false},
    OpcodeSpec{Opcode::kAppendQ,    kKeyed, core::Op::kAppend,  0,  false, kKey,   true,  true,  false},
    OpcodeSpec{Opcode::kPrepend,    kKeyed, core::Op::kPrepend, 0,  false, kKey,   true,  false, false},
    OpcodeSpec{Opcode::kPrependQ,   kKeyed, core::Op::kPrepend, 0,  false, kKey,   true,  true,  false},
    OpcodeSpec{Opcode::kDelete,     kKeyed, core::Op::kDelete,  0,  false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kDeleteQ,    kKeyed, core::Op::kDelete,  0,  false, kKey,   false, true,  false},
    OpcodeSpec{Opcode::kIncrement,  kKeyed, core::Op::kIncr,    20, false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kIncrementQ, kKeyed, core::Op::kIncr,    20, false, kKey,   false, true,  false},
    OpcodeSpec{Opcode::kDecrement,  kKeyed, core::Op::kDecr,    20, false, kKey,   false, false, false},
    OpcodeSpec{Opcode::kDecrementQ, kKeyed, core::Op::kDecr,    20, false, kKey,   false, true,  false},
    OpcodeSpec{Opcode::kFlush,      RequestKind::kFlushAll, core::Op::kFlushAll, 4, true, kNoKey, false, false, false},
    OpcodeSpec{Opcode::kFlushQ,     RequestKind::kFlushAll, core::Op::kFlushAll, 4, true, kNoKey, false, true,  false},
    OpcodeSpec{Opcode::kQuit,       RequestKind::kQuit,    core::Op::kGet, 0, false, kNoKey, false, false, false},
    OpcodeSpec{Opcode::kQuitQ,      RequestKind::kQuit,    core::Op::kGet, 0, false, kNoKey, false, true,  false},
    OpcodeSpec{Opcode::kNoop,       RequestKind::kNoop,    core::Op::kGet, 0, false, kNoKey, false, false, false},
    OpcodeSpec{Opcode::kVersion,    RequestKind::kVersion, core::Op::kGet, 0, false, kNoKey, false, false, false},
    OpcodeSpec{Opcode::kStat,       RequestKind::kStats,   core::Op::kGet, 0, false, KeyRule::kOptional, false, false, false},
};
// clang-format on

const OpcodeSpec* FindSpec(uint8_t opcode) {
  for (const OpcodeSpec& spec : kSpecs) {
    if (static_cast<uint8_t>(spec.opcode) == opcode) {
      return &spec;
    }
  }
  return nullptr;
}

bool ShapeOk(const OpcodeSpec& spec, const Header& h) {
  const bool extras_ok =
      h.extras_length == spec.extras_length || (spec.extras_optional && h.extras_length == 0);
  const bool key_ok =
      spec.key == KeyRule::kOptional || (spec.key == KeyRule::kRequired) == (h.key_length != 0);
  const uint64_t fixed = uint64_t{h.extras_length} + h.key_length;
  const bool value_ok = spec.has_value || h.body_length == fixed;
  return extras_ok && key_ok && value_ok;
}

BinaryContext ContextOf(const Header& h, const OpcodeSpec* spec) {
  BinaryContext ctx;
  ctx.opcode = h.opcode;
  ctx.opaque = h.opaque;
  if (spec != nullptr) {
    ctx.quiet = spec->quiet;
    ctx.return_key = spec->return_key;
  }
  return ctx;
}

// A request the parser answers itself. `consumed` bytes are taken now, `swallow` more are skipped.
ParseResult Refuse(const Header& h, Status status, bool close, std::size_t consumed,
                   uint64_t swallow, Request* out) {
  out->kind = RequestKind::kError;
  out->close_after = close;
  out->swallow = swallow;
  out->context = ContextOf(h, nullptr);
  binary::AppendError(h.opcode, h.opaque, status, &out->reply);
  return {ParseStatus::kOk, consumed};
}

core::Command KeyedCommand(core::Op op, std::string_view key) {
  core::Command cmd;
  cmd.op = op;
  cmd.key = std::string(key);
  cmd.hash = core::KeyHash::Of(cmd.key);
  return cmd;
}

// A non-zero CAS in the header makes every update conditional (memcached process_bin_update,
// process_bin_append_prepend, process_bin_delete, process_bin_arithmetic).
void ApplyCas(const Header& h, core::Command* cmd) {
  if (h.cas == 0) {
    return;
  }
  cmd->check_cas = true;
  cmd->compare_cas = h.cas;
  if (cmd->op == core::Op::kSet || cmd->op == core::Op::kAdd || cmd->op == core::Op::kReplace) {
    cmd->op = core::Op::kCas;  // memcached: any set/add/replace with a CAS is NREAD_CAS
  }
}

// Incr/Decr extras: delta (8), initial (8), exptime (4). Exptime 0xffffffff: fail on a miss.
void ParseArithExtras(const char* extras, core::Command* cmd) {
  constexpr uint32_t kNoCreate = 0xffffffff;
  cmd->delta = binary::LoadBe64(extras);
  cmd->initial = binary::LoadBe64(extras + 8);
  const uint32_t exptime = binary::LoadBe32(extras + 16);
  if (exptime != kNoCreate) {
    cmd->vivify = true;
    cmd->vivify_exptime = exptime;
  }
}

core::Command BuildKeyed(const OpcodeSpec& spec, const Header& h, std::string_view body) {
  const std::string_view extras = body.substr(0, h.extras_length);
  core::Command cmd = KeyedCommand(spec.op, body.substr(h.extras_length, h.key_length));
  switch (spec.op) {
    case core::Op::kSet:
    case core::Op::kAdd:
    case core::Op::kReplace:
      cmd.flags = binary::LoadBe32(extras.data());
      cmd.exptime = binary::LoadBe32(extras.data() + 4);
      break;
    case core::Op::kIncr:
    case core::Op::kDecr:
      ParseArithExtras(extras.data(), &cmd);
      break;
    case core::Op::kGet:
    case core::Op::kTouch:
      if (!extras.empty()) {  // GAT/Touch: the new exptime
        cmd.touch = spec.op == core::Op::kGet;
        cmd.exptime = binary::LoadBe32(extras.data());
      }
      break;
    default:
      break;
  }
  if (spec.op != core::Op::kGet && spec.op != core::Op::kTouch) {
    ApplyCas(h, &cmd);
  }
  if (spec.has_value) {
    cmd.value = std::string(body.substr(uint64_t{h.extras_length} + h.key_length));
  }
  return cmd;
}

void Build(const OpcodeSpec& spec, const Header& h, std::string_view body, Request* out) {
  out->kind = spec.kind;
  out->context = ContextOf(h, &spec);
  switch (spec.kind) {
    case RequestKind::kKeyed:
      out->commands.push_back(BuildKeyed(spec, h, body));
      break;
    case RequestKind::kFlushAll: {
      core::Command cmd;
      cmd.op = core::Op::kFlushAll;
      cmd.exptime = h.extras_length == 4 ? binary::LoadBe32(body.data()) : 0;
      out->commands.push_back(std::move(cmd));
      break;
    }
    case RequestKind::kStats:
      out->arg = std::string(body.substr(0, h.key_length));
      break;
    default:
      break;
  }
}

// The value can never be stored: answer "Too large." and skip the value without buffering it.
// memcached also unlinks the old item on a refused Set (with or without CAS), so Set becomes a
// delete whose result the encoder ignores.
ParseResult RefuseTooLarge(const OpcodeSpec& spec, const Header& h, std::string_view in,
                           Request* out) {
  const std::size_t fixed = std::size_t{h.extras_length} + h.key_length;
  const std::size_t consumed = kHeaderSize + fixed;
  const uint64_t value_length = uint64_t{h.body_length} - fixed;
  if (spec.op != core::Op::kSet) {
    // Only the header is known to be here: take it, skip the whole body as it arrives. (Taking
    // extras + key too would claim bytes that may not have arrived: found by fuzz_binary_parser.)
    return Refuse(h, Status::kValueTooLarge, false, kHeaderSize, h.body_length, out);
  }
  if (in.size() < consumed) {
    return {};
  }
  out->kind = RequestKind::kKeyed;
  BinaryContext ctx = ContextOf(h, &spec);
  ctx.too_large = true;
  out->context = ctx;
  const std::string_view key = in.substr(kHeaderSize + h.extras_length, h.key_length);
  out->commands.push_back(KeyedCommand(core::Op::kDelete, key));
  out->swallow = value_length;
  return {ParseStatus::kOk, consumed};
}

}  // namespace

ParseResult ParseBinary(std::string_view in, const ParserOptions& options, Request* out) {
  if (in.size() < kHeaderSize) {
    return {};
  }
  const Header h = binary::DecodeHeader(in);
  *out = Request{};
  if (h.magic != binary::kRequestMagic) {
    // memcached: "Invalid magic" -> conn_closing, nothing written.
    out->close_after = true;
    out->context = ContextOf(h, nullptr);
    return {ParseStatus::kOk, kHeaderSize};
  }
  const uint64_t fixed = uint64_t{h.extras_length} + h.key_length;
  if (fixed > h.body_length) {
    return Refuse(h, Status::kUnknownCommand, true, kHeaderSize, 0, out);
  }
  if (h.key_length > core::kMaxKeyLength) {
    return Refuse(h, Status::kInvalidArguments, true, kHeaderSize, 0, out);
  }
  const OpcodeSpec* spec = FindSpec(h.opcode);
  if (spec == nullptr) {
    return Refuse(h, Status::kUnknownCommand, false, kHeaderSize, h.body_length, out);
  }
  if (!ShapeOk(*spec, h)) {
    return Refuse(h, Status::kInvalidArguments, true, kHeaderSize, 0, out);
  }
  if (spec->has_value && h.body_length - fixed > options.max_item_size) {
    return RefuseTooLarge(*spec, h, in, out);
  }
  if (in.size() - kHeaderSize < h.body_length) {
    return {};
  }
  Build(*spec, h, in.substr(kHeaderSize, h.body_length), out);
  return {ParseStatus::kOk, kHeaderSize + std::size_t{h.body_length}};
}

}  // namespace corecached::proto
