#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace corecached::proto {

// Binary-protocol SASL as memcached 1.6.18 serves it with -S (proto_bin.c: dispatch_bin_command,
// bin_list_sasl_mechs, process_bin_sasl_auth), with one mechanism, PLAIN, checked against the
// users of the auth file (-Y). Only used on connections of a server with authentication
// configured; without it the SASL opcodes are "Unknown command" (binary_parser.cc).
// Thread: any (pure functions); SaslServer: owning network thread. No I/O, no clock, no store.

enum class BinaryAuthStatus : uint8_t {
  kPass,      // not ours: the binary parser takes the packet (authenticated, or Version)
  kNeedMore,  // the packet is not complete yet; nothing consumed
  kReply,     // answer `reply`, consume `consumed`, then skip `swallow` bytes; maybe close
  kSasl,      // a SASL request for SaslServer::Handle; consume `consumed`
};

// One SASL request: views into the input, valid while it is unchanged.
struct SaslRequest {
  uint8_t opcode = 0;  // 0x20 List mechanisms, 0x21 Auth, 0x22 Step
  uint32_t opaque = 0;
  std::string_view mechanism;  // the key
  std::string_view data;       // the value
  // The value is longer than any PLAIN message (proto::kMaxPlainMessageBytes): it is skipped, not
  // buffered (`data` is empty), and the request fails.
  bool oversized = false;
};

struct BinaryAuthParse {
  BinaryAuthStatus status = BinaryAuthStatus::kNeedMore;
  std::size_t consumed = 0;
  uint64_t swallow = 0;
  bool close_after = false;
  std::string reply;    // kReply: one whole response packet
  SaslRequest request;  // kSasl
};

// Looks at the binary packet at the front of `in` on a connection of a server with authentication
// configured, in memcached's order: a bad magic or lengths that do not add up go to the parser
// (it answers them); then everything but SASL and Version is refused with "Auth failure." and the
// connection closed while `authenticated` is false; then the SASL opcodes' shapes are checked
// (extras or a missing key: "Invalid arguments" and close; a mechanism over 32 bytes: "Invalid
// arguments", value skipped, stay open).
[[nodiscard]] BinaryAuthParse ParseBinaryAuth(std::string_view in, bool authenticated);

enum class SaslOutcome : uint8_t {
  kMechanisms,     // List mechanisms answered
  kContinue,       // Auth PLAIN without data: status 0x21, send the credentials with Step
  kAuthenticated,  // "Authenticated"
  kFailed,         // status 0x20 "Auth failure."; the connection is not authenticated any more
};

// SaslServer is one connection's SASL state, kept as memcached 1.6.18 with Cyrus SASL keeps it:
// Auth starts over; Auth PLAIN without data waits for a Step; Step without a pending Auth fails;
// a failed Step leaves the pending Auth in place (a later Step may still succeed); any failure
// ends an earlier authentication.
// Differs from memcached 1.6.18 on an already authenticated connection: there memcached (Cyrus)
// refuses the first new Auth with credentials and List mechanisms drops the authentication; here
// a new Auth simply starts over and List changes nothing.
// Owner: the Session. Thread: owning network thread.
class SaslServer {
 public:
  using Checker = std::function<bool(std::string_view user, std::string_view password)>;

  // Applies one request and appends its response packet to `out`.
  SaslOutcome Handle(const SaslRequest& req, const Checker& check, std::string* out);
  [[nodiscard]] bool Authenticated() const { return state_ == State::kAuthenticated; }

 private:
  enum class State : uint8_t { kIdle, kAwaitingStep, kAuthenticated };
  // Checks a PLAIN message; authzid must be empty or the authcid (no proxy authorization).
  [[nodiscard]] static bool CheckPlain(std::string_view data, const Checker& check);
  SaslOutcome Auth(const SaslRequest& req, const Checker& check);
  SaslOutcome Step(const SaslRequest& req, const Checker& check);

  State state_ = State::kIdle;
};

}  // namespace corecached::proto
