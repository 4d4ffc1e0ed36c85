#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"

namespace corecached::config {

// Parsed<T> is a value or an error message: the part of std::expected the unit parsers need
// (GCC 12 has no std::expected in C++20, and core/ has no Expected yet). Never throws.
// Thread: any (plain value type).
template <typename T>
struct Parsed {
  T value{};
  std::string error;  // empty on success; otherwise a message without the key ("'12q' is not ...")

  [[nodiscard]] bool Ok() const { return error.empty(); }
  static Parsed Value(T v) { return Parsed{v, {}}; }
  static Parsed Error(std::string message) { return Parsed{T{}, std::move(message)}; }
};

// A size in bytes: decimal digits and an optional suffix k, m or g (case-insensitive, powers of
// 1024), like memcached's -I ("1m", "512k", "1048576") and extstore's "1G". No sign, no spaces,
// no fraction; "0" is 0. Fails on empty input, an unknown suffix ("12q") and overflow past 2^64-1.
[[nodiscard]] Parsed<uint64_t> ParseSize(std::string_view text);

// A duration with a unit: "250ms", "30s", "5m", "2h", "1d" (case-insensitive). A bare number is
// taken in `bare_unit_ms` milliseconds per unit (1000 for a key measured in seconds, 1 for
// milliseconds). Returns milliseconds; fails on empty input, unknown units and overflow.
[[nodiscard]] Parsed<uint64_t> ParseDurationMs(std::string_view text, uint64_t bare_unit_ms);

// A strict decimal integer: optional '-', then digits, nothing else ("", "+1", " 1", "1x" fail).
[[nodiscard]] Parsed<int64_t> ParseInt(std::string_view text);

// A strict decimal or fixed-point number ("0.8", "1", ".5"); no exponent, no inf/nan.
[[nodiscard]] Parsed<double> ParseFraction(std::string_view text);

// A file mode in octal, as memcached's -a and chmod(1) read it: "700", "0755". At most 0777.
[[nodiscard]] Parsed<uint32_t> ParseOctalMask(std::string_view text);

// Formats a mode as "0700" (how ParseOctalMask reads it back).
[[nodiscard]] std::string FormatOctalMask(uint32_t mask);

// memcached -B: "auto", "ascii" or "binary". The error is memcached's own sentence.
[[nodiscard]] Parsed<Protocol> ParseProtocol(std::string_view text);

// Formats a size the way ParseSize reads it, exactly: 1048576 -> "1m", 1536 -> "1536", 0 -> "0".
[[nodiscard]] std::string FormatSize(uint64_t bytes);

}  // namespace corecached::config
