#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/replies.h"

// Private to the binary codec (binary_parser.cc, binary_encoder.cc and their test): the 24-byte
// packet header, opcodes and response statuses of protocol-binary.xml ("Packet Structure",
// "Command Opcodes", "Response Status"). All multi-byte fields are big-endian on the wire; they are
// read and written with shifts, never with unaligned casts.
// Thread: any (pure functions and constants).

namespace corecached::proto::binary {

inline constexpr std::size_t kHeaderSize = 24;
inline constexpr uint8_t kRequestMagic = 0x80;
inline constexpr uint8_t kResponseMagic = 0x81;

// "Command Opcodes": the ones memcached 1.6.18 serves. Verbosity (0x1b) is listed in the spec but
// Debian's memcached answers it "Unknown command", so we do too. The SASL opcodes (0x20-0x22) are
// served by binary_sasl.cc when authentication is configured, and answered "Unknown command" here
// otherwise (memcached without -S).
enum class Opcode : uint8_t {
  kGet = 0x00,
  kSet = 0x01,
  kAdd = 0x02,
  kReplace = 0x03,
  kDelete = 0x04,
  kIncrement = 0x05,
  kDecrement = 0x06,
  kQuit = 0x07,
  kFlush = 0x08,
  kGetQ = 0x09,
  kNoop = 0x0a,
  kVersion = 0x0b,
  kGetK = 0x0c,
  kGetKQ = 0x0d,
  kAppend = 0x0e,
  kPrepend = 0x0f,
  kStat = 0x10,
  kSetQ = 0x11,
  kAddQ = 0x12,
  kReplaceQ = 0x13,
  kDeleteQ = 0x14,
  kIncrementQ = 0x15,
  kDecrementQ = 0x16,
  kQuitQ = 0x17,
  kFlushQ = 0x18,
  kAppendQ = 0x19,
  kPrependQ = 0x1a,
  kVerbosity = 0x1b,
  kTouch = 0x1c,
  kGat = 0x1d,
  kGatQ = 0x1e,
  kSaslListMechs = 0x20,
  kSaslAuth = 0x21,
  kSaslStep = 0x22,
  kGatK = 0x23,
  kGatKQ = 0x24,
};

// "Response Status". kBusy's wording is ours (0x86 is "Temporary failure" in the spec).
enum class Status : uint16_t {
  kNoError = 0x0000,
  kKeyNotFound = 0x0001,
  kKeyExists = 0x0002,
  kValueTooLarge = 0x0003,
  kInvalidArguments = 0x0004,
  kItemNotStored = 0x0005,
  kNonNumeric = 0x0006,
  kAuthError = 0x0020,
  kAuthContinue = 0x0021,
  kUnknownCommand = 0x0081,
  kOutOfMemory = 0x0082,
  kTemporaryFailure = 0x0086,
};

// The header of a request or a response. `status` is the vbucket id in requests.
struct Header {
  uint8_t magic = kResponseMagic;
  uint8_t opcode = 0;
  uint16_t key_length = 0;
  uint8_t extras_length = 0;
  uint8_t data_type = 0;
  uint16_t status = 0;
  uint32_t body_length = 0;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

inline uint16_t LoadBe16(const char* p) {
  return static_cast<uint16_t>((static_cast<unsigned>(static_cast<unsigned char>(p[0])) << 8U) |
                               static_cast<unsigned char>(p[1]));
}

inline uint32_t LoadBe32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    v = (v << 8U) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

inline uint64_t LoadBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) {
    v = (v << 8U) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

// Appends the low `bytes` bytes of `v`, most significant first.
inline void AppendBe(uint64_t v, int bytes, std::string* out) {
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    out->push_back(
        static_cast<char>(static_cast<unsigned char>(v >> static_cast<unsigned>(shift))));
  }
}

// REQUIRES: in.size() >= kHeaderSize. Reads the first kHeaderSize bytes only.
inline Header DecodeHeader(std::string_view in) {
  const char* p = in.data();
  Header h;
  h.magic = static_cast<unsigned char>(p[0]);
  h.opcode = static_cast<unsigned char>(p[1]);
  h.key_length = LoadBe16(p + 2);
  h.extras_length = static_cast<unsigned char>(p[4]);
  h.data_type = static_cast<unsigned char>(p[5]);
  h.status = LoadBe16(p + 6);
  h.body_length = LoadBe32(p + 8);
  h.opaque = LoadBe32(p + 12);
  h.cas = LoadBe64(p + 16);
  return h;
}

// Appends exactly kHeaderSize bytes.
inline void AppendHeader(const Header& h, std::string* out) {
  out->push_back(static_cast<char>(h.magic));
  out->push_back(static_cast<char>(h.opcode));
  AppendBe(h.key_length, 2, out);
  out->push_back(static_cast<char>(h.extras_length));
  out->push_back(static_cast<char>(h.data_type));
  AppendBe(h.status, 2, out);
  AppendBe(h.body_length, 4, out);
  AppendBe(h.opaque, 4, out);
  AppendBe(h.cas, 8, out);
}

// The parts of one response packet. The views must stay valid until AppendResponse returns.
struct Response {
  uint8_t opcode = 0;
  Status status = Status::kNoError;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
};

// Appends one response packet: header (magic 0x81, data type 0) then extras, key and value.
// REQUIRES: extras <= 255 bytes, key <= 65535 bytes, and the body fits in 32 bits.
inline void AppendResponse(const Response& r, std::string* out) {
  Header h;
  h.opcode = r.opcode;
  h.key_length = static_cast<uint16_t>(r.key.size());
  h.extras_length = static_cast<uint8_t>(r.extras.size());
  h.status = static_cast<uint16_t>(r.status);
  h.body_length = static_cast<uint32_t>(r.extras.size() + r.key.size() + r.value.size());
  h.opaque = r.opaque;
  h.cas = r.cas;
  out->reserve(out->size() + kHeaderSize + h.body_length);
  AppendHeader(h, out);
  out->append(r.extras);
  out->append(r.key);
  out->append(r.value);
}

// The body text memcached sends with an error status (replies.h). Empty for kNoError.
inline std::string_view StatusText(Status status) {
  switch (status) {
    case Status::kNoError:
      return {};
    case Status::kKeyNotFound:
      return replies::kBinaryNotFound;
    case Status::kKeyExists:
      return replies::kBinaryExists;
    case Status::kValueTooLarge:
      return replies::kBinaryTooLarge;
    case Status::kInvalidArguments:
      return replies::kBinaryInvalidArguments;
    case Status::kItemNotStored:
      return replies::kBinaryNotStored;
    case Status::kNonNumeric:
      return replies::kBinaryNonNumeric;
    case Status::kAuthError:
      return replies::kBinaryAuthFailure;
    case Status::kAuthContinue:
      return {};
    case Status::kUnknownCommand:
      return replies::kBinaryUnknownCommand;
    case Status::kOutOfMemory:
      return replies::kBinaryOutOfMemory;
    case Status::kTemporaryFailure:
      break;  // carries a retry hint: see the encoder
  }
  return {};
}

// Appends an error response as memcached's write_bin_error sends it: no extras, no key, CAS 0,
// the status text as the value.
inline void AppendError(uint8_t opcode, uint32_t opaque, Status status, std::string* out) {
  Response r;
  r.opcode = opcode;
  r.status = status;
  r.opaque = opaque;
  r.value = StatusText(status);
  AppendResponse(r, out);
}

}  // namespace corecached::proto::binary
