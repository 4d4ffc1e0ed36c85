#include "proto/auth.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <vector>

#include "proto/replies.h"

namespace corecached::proto {

namespace {
// memcached's tokenize_command: split on ' ', empty tokens skipped.
std::vector<std::string_view> Tokens(std::string_view line, std::size_t max_tokens) {
  std::vector<std::string_view> tokens;
  std::size_t pos = 0;
  while (pos < line.size() && tokens.size() < max_tokens) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    if (end > pos) {
      tokens.push_back(line.substr(pos, end - pos));
    }
    pos = end + 1;
  }
  return tokens;
}

bool ParseU32(std::string_view s, uint32_t* out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

AuthParse Reply(std::size_t consumed, std::string_view reply) {
  AuthParse r;
  r.status = AuthParseStatus::kReply;
  r.consumed = consumed;
  r.reply = reply;
  return r;
}
}  // namespace

AuthParse ParseAuthRequest(std::string_view in) {
  const std::size_t nl = in.find('\n');
  if (nl == std::string_view::npos) {
    AuthParse r;
    r.status = in.size() > kMaxAuthLineBytes ? AuthParseStatus::kClose : AuthParseStatus::kNeedMore;
    return r;
  }
  std::string_view line = in.substr(0, nl);
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  std::vector<std::string_view> tokens = Tokens(line, 8);
  uint32_t bytes = 0;
  if (tokens.size() < 5 || tokens[0] != "set" || !ParseU32(tokens[4], &bytes)) {
    return Reply(nl + 1, replies::kTextUnauthenticated);
  }
  const std::size_t total = nl + 1 + std::size_t{bytes} + 2;
  if (in.size() < total) {
    return AuthParse{};
  }
  std::string_view data = in.substr(nl + 1, std::size_t{bytes} + 2);
  if (data.substr(bytes) != "\r\n") {
    return Reply(total, replies::kTextBadCommandLineTermination);
  }
  std::vector<std::string_view> creds = Tokens(data.substr(0, bytes), 2);
  if (creds.size() < 2) {
    return Reply(total, replies::kTextBadAuthTokenFormat);
  }
  AuthParse r;
  r.status = AuthParseStatus::kCredentials;
  r.consumed = total;
  r.user = creds[0];
  r.password = creds[1];
  return r;
}

std::optional<PlainCredentials> ParsePlain(std::string_view message) {
  const std::size_t first = message.find('\0');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos ||
      message.find('\0', second + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  PlainCredentials creds;
  creds.authzid = message.substr(0, first);
  creds.authcid = message.substr(first + 1, second - first - 1);
  creds.password = message.substr(second + 1);
  if (creds.authcid.empty() || creds.authzid.size() > kMaxPlainPartBytes ||
      creds.authcid.size() > kMaxPlainPartBytes || creds.password.size() > kMaxPlainPartBytes) {
    return std::nullopt;
  }
  return creds;
}

bool IsPlainMechanism(std::string_view mechanism) {
  constexpr std::string_view kPlain = "PLAIN";
  if (mechanism.size() != kPlain.size()) {
    return false;
  }
  for (std::size_t i = 0; i < kPlain.size(); ++i) {
    const char c = mechanism[i];
    const char upper = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    if (upper != kPlain[i]) {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Walk the longer length whatever the contents; any difference (length included) sticks.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

AuthTable::AuthTable(std::string_view file_text) {
  while (!file_text.empty()) {
    std::size_t nl = file_text.find('\n');
    std::string_view line = file_text.substr(0, nl);
    file_text.remove_prefix(nl == std::string_view::npos ? file_text.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    users_.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)));
  }
}

bool AuthTable::Check(std::string_view user, std::string_view password) const {
  auto it = users_.find(std::string(user));
  // An unknown user still pays for one comparison, so timing does not tell users apart.
  static const std::string kNobody;
  const std::string& expected = it == users_.end() ? kNobody : it->second;
  const bool match = ConstantTimeEquals(expected, password);
  return it != users_.end() && match;
}

}  // namespace corecached::proto
