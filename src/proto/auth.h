#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace corecached::proto {

// Text-protocol authentication as memcached 1.6.18 does it with -Y (proto_text.c
// try_read_command_asciiauth): until a connection authenticates, every line is refused
// (replies::kTextUnauthenticated) except `set <key> <flags> <exptime> <bytes>`, whose data block
// "<user> <password>" is checked against the auth file. No I/O, no clock: the session feeds bytes.

enum class AuthParseStatus : uint8_t {
  kNeedMore,     // no complete line or data block yet; nothing consumed
  kReply,        // answer `reply`, consume `consumed` bytes, stay unauthenticated
  kCredentials,  // `user` and `password` to check; consume `consumed` bytes
  kClose,        // a line longer than memcached waits for: close the connection
};

struct AuthParse {
  AuthParseStatus status = AuthParseStatus::kNeedMore;
  std::size_t consumed = 0;
  std::string_view reply;  // kReply: one of replies::kTextUnauthenticated, ...
  std::string_view user;   // kCredentials: views into the input, valid while it is unchanged
  std::string_view password;
};

// Parses one request of an unauthenticated text connection from `in`.
[[nodiscard]] AuthParse ParseAuthRequest(std::string_view in);

// memcached waits this long for a newline on an unauthenticated connection, then closes it
// (measured on 1.6.18: 1500 bytes wait, 2100 close).
inline constexpr std::size_t kMaxAuthLineBytes = 2048;

// SASL PLAIN (RFC 4616 section 2): message = [authzid] NUL authcid NUL passwd. Each part is at most
// 255 bytes (RFC 4616: "up to 255 octets"), so a message is at most kMaxPlainMessageBytes.
inline constexpr std::size_t kMaxPlainPartBytes = 255;
inline constexpr std::size_t kMaxPlainMessageBytes = 3 * kMaxPlainPartBytes + 2;

// The parts of one PLAIN message: views into it, valid while it is unchanged.
struct PlainCredentials {
  std::string_view authzid;  // may be empty: act as authcid
  std::string_view authcid;  // the user to check; never empty
  std::string_view password;
};

// Splits a PLAIN message as Cyrus SASL's plain plugin does: exactly two NULs, a non-empty authcid,
// the password running to the end (no NUL in it). nullopt for anything else, and for a part over
// kMaxPlainPartBytes.
[[nodiscard]] std::optional<PlainCredentials> ParsePlain(std::string_view message);

// True when `mechanism` names PLAIN (SASL mechanism names compare case-insensitively, as
// Cyrus SASL's sasl_server_start does).
[[nodiscard]] bool IsPlainMechanism(std::string_view mechanism);

// Compares in time that depends on the lengths only, never on where the bytes differ.
[[nodiscard]] bool ConstantTimeEquals(std::string_view a, std::string_view b);

// AuthTable: the users of an auth file, parsed from its text ("user:password" per line, as
// memcached's authfile.c: blank lines and lines without ':' are skipped; the password runs to the
// end of the line, a trailing '\r' dropped). Thread: any (immutable after construction).
class AuthTable {
 public:
  AuthTable() = default;
  explicit AuthTable(std::string_view file_text);
  // True when `user` exists and `password` matches (constant time in the password).
  [[nodiscard]] bool Check(std::string_view user, std::string_view password) const;
  [[nodiscard]] std::size_t size() const { return users_.size(); }

 private:
  std::unordered_map<std::string, std::string> users_;
};

}  // namespace corecached::proto
