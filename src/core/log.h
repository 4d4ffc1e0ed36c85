#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

namespace corecached::core {

// Severity of a log line; a line is written when its level <= the current level.
enum class LogSeverity : uint8_t { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// The process-wide logger: one line per event on stderr, "corecached: <level>: <message>\n",
// written with a single write(2) so lines from different threads never interleave (journald
// captures stderr, STYLE.md 10.11). No per-request logging at the default level.
//
// Thread: any (atomics only). The level may change at run time (SIGHUP reload).
class Log {
 public:
  // The most verbose severity still written. Default kInfo.
  static void SetLevel(LogSeverity level);
  [[nodiscard]] static LogSeverity Level();
  [[nodiscard]] static bool Enabled(LogSeverity level) { return level <= Level(); }

  // Writes one line if `level` is enabled. `message` should not end in '\n'.
  static void Write(LogSeverity level, std::string_view message);

  static void Error(std::string_view message) { Write(LogSeverity::kError, message); }
  static void Warn(std::string_view message) { Write(LogSeverity::kWarn, message); }
  static void Info(std::string_view message) { Write(LogSeverity::kInfo, message); }
  static void Debug(std::string_view message) { Write(LogSeverity::kDebug, message); }

  // The name written for a severity ("error", "warn", "info", "debug").
  [[nodiscard]] static const char* Name(LogSeverity level);
};

// RateLimitedLog is for warnings on the request path (dragonfly's LOG_EVERY_T(WARNING, 1)): at
// most one line per interval per call site; the lines it held back are counted and reported on
// the next line it writes ("(N similar suppressed)").
//
// Declare one per call site as a function-local static. Thread: any (atomics only).
class RateLimitedLog {
 public:
  explicit RateLimitedLog(int64_t interval_ms = 1000) : interval_ms_(interval_ms) {}
  void Write(LogSeverity level, std::string_view message);

 private:
  const int64_t interval_ms_;
  std::atomic<int64_t> next_ms_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace corecached::core
