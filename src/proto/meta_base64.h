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
// on exactly the inputs the oracle shows: memcached stops at the first padded quad ("YQ==YQ=="
// decodes to "a"), and fails on a partial quad ("YQ", "YWJjZA") or an empty result ("====").
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
inline std::optional<std::string> Decode(std::string_view in) {
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::size_t i = 0;
  for (; i + 4 <= in.size(); i += 4) {
    const int a = Sextet(in[i]);
    const int b = Sextet(in[i + 1]);
    const bool pad2 = in[i + 2] == '=';
    const bool pad3 = in[i + 3] == '=';
    const int c = pad2 ? 0 : Sextet(in[i + 2]);
    const int d = pad3 ? 0 : Sextet(in[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0 || (pad2 && !pad3)) {
      return std::nullopt;
    }
    const auto group = static_cast<uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
    out.push_back(static_cast<char>((group >> 16) & 0xFF));
    if (pad2) {
      break;  // "xx==": one byte, and decoding ends here.
    }
    out.push_back(static_cast<char>((group >> 8) & 0xFF));
    if (pad3) {
      break;  // "xxx=": two bytes, and decoding ends here.
    }
    out.push_back(static_cast<char>(group & 0xFF));
  }
  const bool stopped_at_padding = i + 4 <= in.size();
  if ((!stopped_at_padding && i != in.size()) || out.empty()) {
    return std::nullopt;
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
