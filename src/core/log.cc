#include "core/log.h"

#include <unistd.h>

#include <chrono>
#include <string>

namespace corecached::core {

namespace {
std::atomic<LogSeverity> g_level{LogSeverity::kInfo};

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
}  // namespace

void Log::SetLevel(LogSeverity level) { g_level.store(level, std::memory_order_relaxed); }

LogSeverity Log::Level() { return g_level.load(std::memory_order_relaxed); }

const char* Log::Name(LogSeverity level) {
  switch (level) {
    case LogSeverity::kError:
      return "error";
    case LogSeverity::kWarn:
      return "warn";
    case LogSeverity::kInfo:
      return "info";
    case LogSeverity::kDebug:
      return "debug";
  }
  return "info";
}

void Log::Write(LogSeverity level, std::string_view message) {
  if (!Enabled(level)) {
    return;
  }
  std::string line = "corecached: ";
  line += Name(level);
  line += ": ";
  line += message;
  line += '\n';
  // One write(2) per line: lines from concurrent threads do not interleave. A short or failed
  // write to stderr has nowhere to be reported, so its result is deliberately ignored.
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) {
      return;
    }
    done += static_cast<std::size_t>(n);
  }
}

void RateLimitedLog::Write(LogSeverity level, std::string_view message) {
  if (!Log::Enabled(level)) {
    return;
  }
  const int64_t now = SteadyMs();
  int64_t next = next_ms_.load(std::memory_order_relaxed);
  if (now < next || !next_ms_.compare_exchange_strong(next, now + interval_ms_)) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint64_t held_back = suppressed_.exchange(0, std::memory_order_relaxed);
  if (held_back == 0) {
    Log::Write(level, message);
    return;
  }
  std::string line(message);
  line += " (" + std::to_string(held_back) + " similar suppressed)";
  Log::Write(level, line);
}

}  // namespace corecached::core
