#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

// Private to the text parser: splitting a command line into tokens and reading numbers the way
// memcached 1.6 does (proto_text.c tokenize_command, util.c safe_strto*). Matching memcached here
// is what makes odd input ("set k +5 -0 1\t", 30 tokens, a NUL in the line) answer byte for byte.

namespace corecached::proto::text {

// TextTokens holds the first kMaxTokens - 1 space-separated tokens of one line, as memcached's
// tokenize_command with MAX_TOKENS = 24 does, and the unsplit rest (the multi-get key list goes
// on there). Only ' ' separates; runs of spaces count as one; tabs belong to tokens.
//
// Thread: any (value type). Every view points into the line given to Split(), which must outlive
// it.
class TextTokens {
 public:
  static constexpr std::size_t kMaxTokens = 24;  // proto_text.c MAX_TOKENS, terminal token included

  // Splits `line` (no "\r\n"; memcached stops at a NUL, so the caller cuts there first).
  void Split(std::string_view line) {
    count_ = 0;
    std::size_t pos = 0;
    while (count_ < kMaxTokens - 1) {
      std::optional<std::string_view> token = Next(line, &pos);
      if (!token) {
        break;
      }
      tokens_[count_++] = *token;
    }
    rest_ = line.substr(pos);
  }

  // Reads the next token of `line` from *pos; nullopt at the end.
  static std::optional<std::string_view> Next(std::string_view line, std::size_t* pos) {
    std::size_t start = line.find_first_not_of(' ', *pos);
    if (start == std::string_view::npos) {
      *pos = line.size();
      return std::nullopt;
    }
    std::size_t end = line.find(' ', start);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    *pos = end;
    return line.substr(start, end - start);
  }

  // memcached's ntokens: the tokens it saw plus its terminal token (2..24).
  [[nodiscard]] std::size_t Ntokens() const { return count_ + 1; }
  [[nodiscard]] std::size_t size() const { return count_; }
  [[nodiscard]] std::string_view operator[](std::size_t i) const { return tokens_[i]; }
  // The last token memcached saw (its tokens[ntokens - 2]). REQUIRES: size() > 0.
  [[nodiscard]] std::string_view Back() const { return tokens_[count_ - 1]; }
  // What follows the first kMaxTokens - 1 tokens (may hold only spaces, or nothing).
  [[nodiscard]] std::string_view Rest() const { return rest_; }

 private:
  std::array<std::string_view, kMaxTokens - 1> tokens_{};
  std::size_t count_ = 0;
  std::string_view rest_;
};

// C's isspace() in the "C" locale, which strtol() skips before a number and memcached accepts
// after one.
constexpr bool IsCSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// A decimal number as strtoull() reads it: leading C spaces, an optional sign, at least one digit,
// then the end of the token or a C space (util.c safe_strto*'s endptr check). nullopt for no
// digits, junk after the digits, or a magnitude above UINT64_MAX (ERANGE).
struct CNumber {
  bool negative = false;
  uint64_t magnitude = 0;
};

inline std::optional<CNumber> ScanCNumber(std::string_view token) {
  std::size_t i = 0;
  while (i < token.size() && IsCSpace(token[i])) {
    ++i;
  }
  CNumber n;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
    n.negative = token[i] == '-';
    ++i;
  }
  const std::size_t first_digit = i;
  for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
    const auto digit = static_cast<uint64_t>(token[i] - '0');
    if (n.magnitude > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    n.magnitude = n.magnitude * 10 + digit;
  }
  if (i == first_digit || (i < token.size() && !IsCSpace(token[i]))) {
    return std::nullopt;
  }
  return n;
}

// util.c safe_strtoull: strtoull's wrap-around for "-N", refused when the result looks negative as
// a signed number and the token holds a '-' ("-1" is refused, "-0" is 0).
inline std::optional<uint64_t> ParseUint64(std::string_view token) {
  std::optional<CNumber> n = ScanCNumber(token);
  if (!n) {
    return std::nullopt;
  }
  const uint64_t value = n->negative ? uint64_t{0} - n->magnitude : n->magnitude;
  if (value > static_cast<uint64_t>(INT64_MAX) && token.find('-') != std::string_view::npos) {
    return std::nullopt;
  }
  return value;
}

// util.c safe_strtoul into a uint32_t (client flags): unsigned long is 64 bits on our targets, so
// this is ParseUint64 cut to its low 32 bits (memcached stores "4294967296" as flags 0).
inline std::optional<uint32_t> ParseUint32Truncated(std::string_view token) {
  std::optional<uint64_t> value = ParseUint64(token);
  if (!value) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*value);
}

// util.c safe_strtol into an int32_t (exptime, byte count): strtol's 64-bit range check, then the
// low 32 bits (memcached reads "4294967297" bytes as 1).
inline std::optional<int32_t> ParseInt32Truncated(std::string_view token) {
  std::optional<CNumber> n = ScanCNumber(token);
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(INT64_MAX);
  if (!n || n->magnitude > kMaxPositive + (n->negative ? 1 : 0)) {
    return std::nullopt;
  }
  const uint64_t bits = n->negative ? uint64_t{0} - n->magnitude : n->magnitude;
  return static_cast<int32_t>(static_cast<uint32_t>(bits));
}

}  // namespace corecached::proto::text
