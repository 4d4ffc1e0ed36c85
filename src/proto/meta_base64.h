#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Base64 (RFC 4648, standard alphabet, padded) for meta keys sent with the `b` flag.
// Thread: any (pure functions). Private to proto/meta_*.
//
// Hand-written rather than taken from a library: OpenSSL's EVP_DecodeBlock is the only Debian
// codec at hand, it would add a dependency to proto/, and its rules differ from memcached 1.6.18's
// on exactly the inputs the oracle shows: memcached skips bytes outside the alphabet ("YW!Jj" is
// "abc"), stops at the first padded quad ("YQ==YQ==" is "a"), and fails on a partial quad ("YQ",
// "YWJjZA", "YQ===") or on "====".
namespace corecached::proto::meta_base64 {

inline constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Returns the 6-bit value of `c`, or -1 when `c` is not in the alphabet.
inline int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '+') {
    return 62;
  }
  if (c == '/') {
    return 63;
  }
  return -1;
}

// Decodes `in` as memcached's base64_decode does; nullopt where memcached returns 0 (failure).
// Bytes outside the alphabet are skipped; the alphabet and '=' together must count a non-zero
// multiple of 4; '=' decodes as 0 and the first quad holding one ends the decoding, dropping one
// byte per '=' (three or four '=' in a quad fail).
inline std::optional<std::string> Decode(std::string_view in) {
  std::size_t valid = 0;
  for (const char c : in) {
    valid += (c == '=' || Sextet(c) >= 0) ? 1U : 0U;
  }
  if (valid == 0 || valid % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(valid / 4 * 3);
  uint32_t group = 0;
  std::size_t in_group = 0;
  std::size_t pad = 0;
  for (const char c : in) {
    const int sextet = c == '=' ? 0 : Sextet(c);
    if (sextet < 0) {
      continue;
    }
    pad += c == '=' ? 1U : 0U;
    group = (group << 6) | static_cast<uint32_t>(sextet);
    if (++in_group < 4) {
      continue;
    }
    out.push_back(static_cast<char>((group >> 16) & 0xFF));
    out.push_back(static_cast<char>((group >> 8) & 0xFF));
    out.push_back(static_cast<char>(group & 0xFF));
    group = 0;
    in_group = 0;
    if (pad > 0) {
      if (pad > 2) {
        return std::nullopt;
      }
      out.resize(out.size() - pad);
      break;
    }
  }
  return out;
}

// Appends the padded base64 form of `in` to `out`.
inline void Encode(std::string_view in, std::string* out) {
  std::size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t group = (static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                           (static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                           static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out->push_back(kAlphabet[(group >> 18) & 0x3F]);
    out->push_back(kAlphabet[(group >> 12) & 0x3F]);
    out->push_back(kAlphabet[(group >> 6) & 0x3F]);
    out->push_back(kAlphabet[group & 0x3F]);
  }
  const std::size_t rest = in.size() - i;
  if (rest == 0) {
    return;
  }
  uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
  if (rest == 2) {
    group |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
  }
  out->push_back(kAlphabet[(group >> 18) & 0x3F]);
  out->push_back(kAlphabet[(group >> 12) & 0x3F]);
  out->push_back(rest == 2 ? kAlphabet[(group >> 6) & 0x3F] : '=');
  out->push_back('=');
}

}  // namespace corecached::proto::meta_base64
