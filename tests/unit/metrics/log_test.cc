#include "core/log.h"

#include <doctest/doctest.h>

#include <string>

namespace corecached::core {
namespace {

TEST_CASE("Log: the level gates severities") {
  const LogSeverity saved = Log::Level();
  Log::SetLevel(LogSeverity::kWarn);
  CHECK(Log::Enabled(LogSeverity::kError));
  CHECK(Log::Enabled(LogSeverity::kWarn));
  CHECK_FALSE(Log::Enabled(LogSeverity::kInfo));
  CHECK_FALSE(Log::Enabled(LogSeverity::kDebug));
  Log::SetLevel(saved);
  CHECK(std::string(Log::Name(LogSeverity::kDebug)) == "debug");
}

TEST_CASE("RateLimitedLog: a disabled level writes nothing and counts nothing") {
  const LogSeverity saved = Log::Level();
  Log::SetLevel(LogSeverity::kError);
  RateLimitedLog limiter;
  for (int i = 0; i < 100; ++i) {
    limiter.Write(LogSeverity::kDebug, "not written");
  }
  Log::SetLevel(saved);
  CHECK(true);
}

}  // namespace
}  // namespace corecached::core
