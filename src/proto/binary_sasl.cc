#include "proto/binary_sasl.h"

#include "core/protocol_limits.h"
#include "proto/auth.h"
#include "proto/binary_header.h"
#include "proto/replies.h"

namespace corecached::proto {

namespace {

using binary::Header;
using binary::kHeaderSize;
using binary::Opcode;
using binary::Status;

// memcached.h MAX_SASL_MECH_LEN: a longer mechanism name is "Invalid arguments".
constexpr std::size_t kMaxMechanismBytes = 32;

bool IsSaslOpcode(uint8_t opcode) {
  return opcode == static_cast<uint8_t>(Opcode::kSaslListMechs) ||
         opcode == static_cast<uint8_t>(Opcode::kSaslAuth) ||
         opcode == static_cast<uint8_t>(Opcode::kSaslStep);
}

BinaryAuthParse Refuse(const Header& h, Status status, bool close, uint64_t swallow) {
  BinaryAuthParse r;
  r.status = BinaryAuthStatus::kReply;
  r.consumed = kHeaderSize;
  r.swallow = swallow;
  r.close_after = close;
  binary::AppendError(h.opcode, h.opaque, status, &r.reply);
  return r;
}

// dispatch_bin_command's checks for 0x20 (nothing but the header) and 0x21/0x22 (a key, no
// extras); protocol errors close the connection.
bool SaslShapeOk(const Header& h) {
  if (h.opcode == static_cast<uint8_t>(Opcode::kSaslListMechs)) {
    return h.extras_length == 0 && h.key_length == 0 && h.body_length == 0;
  }
  return h.extras_length == 0 && h.key_length != 0 && h.key_length <= core::kMaxKeyLength;
}

BinaryAuthParse ParseSasl(const Header& h, std::string_view in) {
  if (!SaslShapeOk(h)) {
    return Refuse(h, Status::kInvalidArguments, true, 0);
  }
  if (h.key_length > kMaxMechanismBytes) {
    return Refuse(h, Status::kInvalidArguments, false, h.body_length);
  }
  const std::size_t value_length = std::size_t{h.body_length} - h.key_length;
  const bool oversized = value_length > kMaxPlainMessageBytes;
  const std::size_t needed = kHeaderSize + h.key_length + (oversized ? 0 : value_length);
  BinaryAuthParse r;
  if (in.size() < needed) {
    return r;
  }
  r.status = BinaryAuthStatus::kSasl;
  r.consumed = needed;
  r.swallow = oversized ? value_length : 0;
  r.request.opcode = h.opcode;
  r.request.opaque = h.opaque;
  r.request.mechanism = in.substr(kHeaderSize, h.key_length);
  r.request.oversized = oversized;
  if (!oversized) {
    r.request.data = in.substr(kHeaderSize + h.key_length, value_length);
  }
  return r;
}

}  // namespace

BinaryAuthParse ParseBinaryAuth(std::string_view in, bool authenticated) {
  BinaryAuthParse r;
  if (in.size() < kHeaderSize) {
    return r;
  }
  const Header h = binary::DecodeHeader(in);
  const uint64_t fixed = uint64_t{h.extras_length} + h.key_length;
  if (h.magic != binary::kRequestMagic || fixed > h.body_length) {
    r.status = BinaryAuthStatus::kPass;
    return r;
  }
  if (IsSaslOpcode(h.opcode)) {
    return ParseSasl(h, in);
  }
  if (authenticated || h.opcode == static_cast<uint8_t>(Opcode::kVersion)) {
    r.status = BinaryAuthStatus::kPass;
    return r;
  }
  // memcached: write_bin_error(AUTH_ERROR) and close_after_write, before any other check.
  return Refuse(h, Status::kAuthError, true, 0);
}

bool SaslServer::CheckPlain(std::string_view data, const Checker& check) {
  std::optional<PlainCredentials> creds = ParsePlain(data);
  if (!creds) {
    return false;
  }
  // Evaluated before the authzid test, so a refused authzid costs the same as a wrong password.
  const bool valid = check(creds->authcid, creds->password);
  return valid && (creds->authzid.empty() || creds->authzid == creds->authcid);
}

SaslOutcome SaslServer::Auth(const SaslRequest& req, const Checker& check) {
  state_ = State::kIdle;
  if (req.oversized || !IsPlainMechanism(req.mechanism)) {
    return SaslOutcome::kFailed;
  }
  if (req.data.empty()) {
    state_ = State::kAwaitingStep;
    return SaslOutcome::kContinue;
  }
  if (!CheckPlain(req.data, check)) {
    return SaslOutcome::kFailed;
  }
  state_ = State::kAuthenticated;
  return SaslOutcome::kAuthenticated;
}

SaslOutcome SaslServer::Step(const SaslRequest& req, const Checker& check) {
  if (state_ != State::kAwaitingStep) {
    // memcached: "SASL_STEP called but sasl_server_start not called for this connection!"
    state_ = State::kIdle;
    return SaslOutcome::kFailed;
  }
  if (req.oversized || !CheckPlain(req.data, check)) {
    return SaslOutcome::kFailed;  // the pending Auth stays: Cyrus lets the client step again
  }
  state_ = State::kAuthenticated;
  return SaslOutcome::kAuthenticated;
}

SaslOutcome SaslServer::Handle(const SaslRequest& req, const Checker& check, std::string* out) {
  SaslOutcome outcome = SaslOutcome::kMechanisms;
  if (req.opcode == static_cast<uint8_t>(Opcode::kSaslAuth)) {
    outcome = Auth(req, check);
  } else if (req.opcode == static_cast<uint8_t>(Opcode::kSaslStep)) {
    outcome = Step(req, check);
  }
  binary::Response resp;
  resp.opcode = req.opcode;
  resp.opaque = req.opaque;
  switch (outcome) {
    case SaslOutcome::kMechanisms:
      resp.value = replies::kBinarySaslMechanisms;
      break;
    case SaslOutcome::kContinue:
      resp.status = Status::kAuthContinue;
      break;
    case SaslOutcome::kAuthenticated:
      resp.value = replies::kBinaryAuthenticated;
      break;
    case SaslOutcome::kFailed:
      binary::AppendError(req.opcode, req.opaque, Status::kAuthError, out);
      return outcome;
  }
  binary::AppendResponse(resp, out);
  return outcome;
}

}  // namespace corecached::proto
