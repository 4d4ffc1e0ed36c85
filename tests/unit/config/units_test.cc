#include "config/units.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

namespace corecached::config {
namespace {

TEST_CASE("ParseSize: plain numbers and suffixes") {
  CHECK(ParseSize("0").value == 0);
  CHECK(ParseSize("64").value == 64);
  CHECK(ParseSize("1048576").value == 1048576);
  CHECK(ParseSize("1k").value == 1024);
  CHECK(ParseSize("512k").value == 512 * 1024);
  CHECK(ParseSize("512K").value == 512 * 1024);
  CHECK(ParseSize("1m").value == 1024 * 1024);
  CHECK(ParseSize("1M").value == 1024 * 1024);
  CHECK(ParseSize("1g").value == 1024ULL * 1024 * 1024);
  CHECK(ParseSize("16G").value == 16ULL * 1024 * 1024 * 1024);
  CHECK(ParseSize("0k").value == 0);
  CHECK(ParseSize("007").value == 7);
}

TEST_CASE("ParseSize: rejects bad input with a message") {
  for (const char* bad :
       {"", "12q", "k", "-1", "-1m", "+1", " 1", "1 ", "1.5m", "1kb", "1mm", "0x10", "1e3"}) {
    CAPTURE(bad);
    const Parsed<uint64_t> p = ParseSize(bad);
    CHECK_FALSE(p.Ok());
    CHECK_FALSE(p.error.empty());
  }
  CHECK(ParseSize("12q").error.find("'12q'") != std::string::npos);
}

TEST_CASE("ParseSize: overflow is an error, the largest value is not") {
  CHECK(ParseSize("18446744073709551615").value == UINT64_MAX);
  CHECK_FALSE(ParseSize("18446744073709551616").Ok());
  CHECK_FALSE(ParseSize("99999999999999999999999").Ok());
  CHECK(ParseSize("17179869183g").Ok());        // (2^64 - 1) / 2^30, rounded down
  CHECK_FALSE(ParseSize("17179869184g").Ok());  // 2^34 g = 2^64: one too many
  CHECK(ParseSize("17179869184g").error.find("too large") != std::string::npos);
}

TEST_CASE("ParseDurationMs: units and the bare unit") {
  CHECK(ParseDurationMs("0", 1000).value == 0);
  CHECK(ParseDurationMs("30", 1000).value == 30000);
  CHECK(ParseDurationMs("30", 1).value == 30);
  CHECK(ParseDurationMs("250ms", 1000).value == 250);
  CHECK(ParseDurationMs("30s", 1).value == 30000);
  CHECK(ParseDurationMs("5m", 1).value == 300000);
  CHECK(ParseDurationMs("2H", 1).value == 7200000);
  CHECK(ParseDurationMs("1d", 1).value == 86400000);
}

TEST_CASE("ParseDurationMs: rejects bad input and overflow") {
  for (const char* bad : {"", "s", "5x", "-5s", "1.5s", "5 s", "5sec"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseDurationMs(bad, 1000).Ok());
  }
  CHECK_FALSE(ParseDurationMs("18446744073709551615d", 1).Ok());
  CHECK_FALSE(ParseDurationMs("18446744073709551615", 1000).Ok());
  CHECK(ParseDurationMs("18446744073709551615", 1).Ok());
}

TEST_CASE("ParseInt: strict decimal") {
  CHECK(ParseInt("0").value == 0);
  CHECK(ParseInt("-1").value == -1);
  CHECK(ParseInt("65535").value == 65535);
  CHECK(ParseInt("-9223372036854775808").value == INT64_MIN);
  for (const char* bad : {"", "-", "+1", "1x", " 1", "abc", "1.0", "9223372036854775808"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseInt(bad).Ok());
  }
  CHECK(ParseInt("9223372036854775808").error.find("out of range") != std::string::npos);
}

TEST_CASE("ParseFraction: fixed-point only") {
  CHECK(ParseFraction("0.8").value == doctest::Approx(0.8));
  CHECK(ParseFraction("1").value == doctest::Approx(1.0));
  CHECK(ParseFraction(".5").value == doctest::Approx(0.5));
  for (const char* bad : {"", ".", "-0.5", "1e-1", "nan", "inf", "0.8.1", "0,8"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseFraction(bad).Ok());
  }
}

TEST_CASE("FormatSize: round-trips through ParseSize") {
  CHECK(FormatSize(0) == "0");
  CHECK(FormatSize(1536) == "1536");
  CHECK(FormatSize(1024) == "1k");
  CHECK(FormatSize(1024 * 1024) == "1m");
  CHECK(FormatSize(3ULL << 30) == "3g");
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{1000}, uint64_t{4096}, uint64_t{1} << 20,
                     (uint64_t{1} << 40) + 1024, uint64_t{UINT64_MAX}}) {
    CAPTURE(v);
    CHECK(ParseSize(FormatSize(v)).value == v);
  }
}

}  // namespace
}  // namespace corecached::config
