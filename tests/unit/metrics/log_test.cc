#include "core/log.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
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

// Captures what the code under test writes to stderr (Log writes there with write(2)).
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()), saved_(dup(STDERR_FILENO)) {
    dup2(fileno(file_), STDERR_FILENO);
  }
  ~StderrCapture() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    std::fclose(file_);
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  std::string Text() {
    std::fflush(file_);
    std::string out;
    std::rewind(file_);
    char buf[4096];
    for (std::size_t n = 0; (n = std::fread(buf, 1, sizeof(buf), file_)) > 0;) {
      out.append(buf, n);
    }
    return out;
  }

 private:
  std::FILE* file_;
  int saved_;
};

TEST_CASE(
    "RateLimitedLog: a disabled level writes nothing; an enabled one writes once per interval") {
  const LogSeverity saved = Log::Level();
  StderrCapture capture;
  Log::SetLevel(LogSeverity::kError);
  RateLimitedLog limiter(/*interval_ms=*/60'000);
  for (int i = 0; i < 100; ++i) {
    limiter.Write(LogSeverity::kDebug, "not written");
  }
  CHECK(capture.Text().empty());
  for (int i = 0; i < 3; ++i) {
    limiter.Write(LogSeverity::kError, "disk full");  // the first passes, the rest are held back
  }
  Log::SetLevel(saved);
  const std::string text = capture.Text();
  CHECK(text.find("not written") == std::string::npos);
  CHECK(text.find("disk full") != std::string::npos);
  CHECK(text.find("disk full") == text.rfind("disk full"));
}

}  // namespace
}  // namespace corecached::core
