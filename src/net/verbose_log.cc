#include "net/verbose_log.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <variant>

namespace corecached::net {

namespace {
// A line without its "\r\n" / "\n".
std::string_view FirstLine(std::string_view bytes) {
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

void Write(const std::string& line) {
  // One write per line; a short or failed write to stderr loses a log line, nothing else.
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}
}  // namespace

void VerboseLog::Line(char direction, int fd, std::string_view text) {
  std::string line(1, direction);
  line += std::to_string(fd);
  line += ' ';
  line += text;
  line += '\n';
  Write(line);
}

void VerboseLog::Opened(int fd) { Line('<', fd, "new auto-negotiating client connection"); }

void VerboseLog::Closed(int fd) { Line('<', fd, "connection closed."); }

void VerboseLog::Protocol(int fd) {
  Write(std::to_string(fd) + ": Client using the ascii protocol\n");
}

void VerboseLog::Request(int fd, std::string_view consumed) { Line('<', fd, FirstLine(consumed)); }

void VerboseLog::Reply(int fd, const proto::Request& req, std::string_view reply) {
  if (!std::holds_alternative<proto::TextContext>(req.context) ||
      req.kind == proto::RequestKind::kStats || req.kind == proto::RequestKind::kAdmin) {
    return;  // memcached prints neither STAT tables nor dumps
  }
  constexpr std::string_view kValue = "VALUE ";
  // At most as many lines as the reply has: each turn consumes at least one.
  for (std::size_t pos = 0; pos < reply.size();) {
    const std::size_t eol = reply.find('\n', pos);
    const std::string_view line = FirstLine(reply.substr(pos));
    if (!line.starts_with(kValue) || eol == std::string_view::npos) {
      Line('>', fd, line);
      return;
    }
    // VALUE <key> <flags> <bytes>[ <cas>]: print the key, skip the data block and its "\r\n".
    std::string_view rest = line.substr(kValue.size());
    const std::string_view key = rest.substr(0, rest.find(' '));
    Line('>', fd, "sending key " + std::string(key));
    rest.remove_prefix(std::min(rest.size(), key.size() + 1));
    rest.remove_prefix(std::min(rest.size(), rest.find(' ') + 1));
    std::size_t bytes = 0;
    std::from_chars(rest.data(), rest.data() + rest.size(), bytes);
    pos = eol + 1 + bytes + 2;
  }
}

}  // namespace corecached::net
