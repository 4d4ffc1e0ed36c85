#include "config/units.h"

#include <cctype>
#include <charconv>
#include <limits>
#include <system_error>

namespace corecached::config {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Splits "512k" into digits "512" and suffix "k".
void SplitNumber(std::string_view text, std::string_view* digits, std::string* suffix) {
  std::size_t i = 0;
  while (i < text.size() && IsDigit(text[i])) {
    ++i;
  }
  *digits = text.substr(0, i);
  suffix->clear();
  for (char c : text.substr(i)) {
    suffix->push_back(Lower(c));
  }
}

Parsed<uint64_t> ParseUnsigned(std::string_view digits, std::string_view whole) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Parsed<uint64_t>::Error("'" + std::string(whole) + "' is too large");
  }
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty()) {
    return Parsed<uint64_t>::Error("'" + std::string(whole) + "' is not a number");
  }
  return Parsed<uint64_t>::Value(v);
}

Parsed<uint64_t> Scale(uint64_t v, uint64_t factor, std::string_view whole) {
  if (factor != 0 && v > std::numeric_limits<uint64_t>::max() / factor) {
    return Parsed<uint64_t>::Error("'" + std::string(whole) + "' is too large");
  }
  return Parsed<uint64_t>::Value(v * factor);
}

uint64_t SizeFactor(const std::string& suffix) {
  if (suffix.empty()) {
    return 1;
  }
  if (suffix == "k") {
    return 1024;
  }
  if (suffix == "m") {
    return uint64_t{1024} * 1024;
  }
  if (suffix == "g") {
    return uint64_t{1024} * 1024 * 1024;
  }
  return 0;
}

uint64_t DurationFactorMs(const std::string& suffix, uint64_t bare_unit_ms) {
  if (suffix.empty()) {
    return bare_unit_ms;
  }
  if (suffix == "ms") {
    return 1;
  }
  if (suffix == "s") {
    return 1000;
  }
  if (suffix == "m") {
    return uint64_t{60} * 1000;
  }
  if (suffix == "h") {
    return uint64_t{60} * 60 * 1000;
  }
  if (suffix == "d") {
    return uint64_t{24} * 60 * 60 * 1000;
  }
  return 0;
}

}  // namespace

Parsed<uint64_t> ParseSize(std::string_view text) {
  if (text.empty()) {
    return Parsed<uint64_t>::Error("a size is required (\"64\", \"512k\", \"1m\", \"1g\")");
  }
  std::string_view digits;
  std::string suffix;
  SplitNumber(text, &digits, &suffix);
  const uint64_t factor = SizeFactor(suffix);
  if (digits.empty() || factor == 0) {
    return Parsed<uint64_t>::Error("'" + std::string(text) +
                                   "' is not a size (digits with an optional k, m or g)");
  }
  Parsed<uint64_t> v = ParseUnsigned(digits, text);
  return v.Ok() ? Scale(v.value, factor, text) : v;
}

Parsed<uint64_t> ParseDurationMs(std::string_view text, uint64_t bare_unit_ms) {
  if (text.empty()) {
    return Parsed<uint64_t>::Error("a duration is required (\"250ms\", \"30s\", \"5m\", \"1h\")");
  }
  std::string_view digits;
  std::string suffix;
  SplitNumber(text, &digits, &suffix);
  const uint64_t factor = DurationFactorMs(suffix, bare_unit_ms);
  if (digits.empty() || factor == 0) {
    return Parsed<uint64_t>::Error("'" + std::string(text) +
                                   "' is not a duration (digits with ms, s, m, h or d)");
  }
  Parsed<uint64_t> v = ParseUnsigned(digits, text);
  return v.Ok() ? Scale(v.value, factor, text) : v;
}

Parsed<int64_t> ParseInt(std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Parsed<int64_t>::Error("'" + std::string(text) + "' is out of range");
  }
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return Parsed<int64_t>::Error("'" + std::string(text) + "' is not an integer");
  }
  return Parsed<int64_t>::Value(v);
}

Parsed<uint32_t> ParseOctalMask(std::string_view text) {
  constexpr uint32_t kMaxMode = 0777;
  uint32_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, 8);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v > kMaxMode) {
    return Parsed<uint32_t>::Error("'" + std::string(text) +
                                   "' is not an octal file mode (000 .. 0777)");
  }
  return Parsed<uint32_t>::Value(v);
}

std::string FormatOctalMask(uint32_t mask) {
  std::string digits;
  for (int shift = 6; shift >= 0; shift -= 3) {
    digits.push_back(static_cast<char>('0' + ((mask >> shift) & 7U)));
  }
  return "0" + digits;
}

Parsed<Protocol> ParseProtocol(std::string_view text) {
  for (Protocol p : {Protocol::kAuto, Protocol::kAscii, Protocol::kBinary}) {
    if (text == ToString(p)) {
      return Parsed<Protocol>::Value(p);
    }
  }
  // memcached.c, case 'B'.
  return Parsed<Protocol>::Error("Invalid value for binding protocol: " + std::string(text) +
                                 " -- should be one of auto, binary, or ascii");
}

Parsed<double> ParseFraction(std::string_view text) {
  bool digit_seen = false;
  bool dot_seen = false;
  for (char c : text) {
    if (IsDigit(c)) {
      digit_seen = true;
    } else if (c == '.' && !dot_seen) {
      dot_seen = true;
    } else {
      digit_seen = false;
      break;
    }
  }
  double v = 0;
  auto [ptr, ec] =
      std::from_chars(text.data(), text.data() + text.size(), v, std::chars_format::fixed);
  if (!digit_seen || ec != std::errc() || ptr != text.data() + text.size()) {
    return Parsed<double>::Error("'" + std::string(text) + "' is not a number");
  }
  return Parsed<double>::Value(v);
}

std::string FormatSize(uint64_t bytes) {
  constexpr const char* kSuffixes[] = {"g", "m", "k"};
  constexpr uint64_t kFactors[] = {1024ULL * 1024 * 1024, 1024ULL * 1024, 1024ULL};
  for (std::size_t i = 0; i < 3; ++i) {
    if (bytes != 0 && bytes % kFactors[i] == 0) {
      return std::to_string(bytes / kFactors[i]) + kSuffixes[i];
    }
  }
  return std::to_string(bytes);
}

}  // namespace corecached::config
