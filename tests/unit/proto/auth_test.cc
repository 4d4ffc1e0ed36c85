// Authentication: SASL PLAIN parsing, the binary SASL gate and state machine, the auth file table.
// Expected packets are what Debian's memcached 1.6.18 -S (Cyrus SASL, sasldb) sent for the same
// requests.
#include "proto/auth.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/binary_header.h"
#include "proto/binary_sasl.h"

namespace corecached::proto {
namespace {

using namespace std::string_view_literals;

std::string Packet(uint8_t opcode, std::string_view key, std::string_view value,
                   std::string_view extras = {}, uint32_t opaque = 0x01020304) {
  binary::Header h;
  h.magic = binary::kRequestMagic;
  h.opcode = opcode;
  h.key_length = static_cast<uint16_t>(key.size());
  h.extras_length = static_cast<uint8_t>(extras.size());
  h.body_length = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  h.opaque = opaque;
  std::string out;
  binary::AppendHeader(h, &out);
  out.append(extras);
  out.append(key);
  out.append(value);
  return out;
}

// A response as memcached sends it: no extras, no key, CAS 0.
std::string Response(uint8_t opcode, uint16_t status, std::string_view body,
                     uint32_t opaque = 0x01020304) {
  binary::Header h;
  h.opcode = opcode;
  h.status = status;
  h.body_length = static_cast<uint32_t>(body.size());
  h.opaque = opaque;
  std::string out;
  binary::AppendHeader(h, &out);
  out.append(body);
  return out;
}

constexpr uint8_t kList = 0x20;
constexpr uint8_t kAuth = 0x21;
constexpr uint8_t kStep = 0x22;

bool AliceOnly(std::string_view user, std::string_view password) {
  return user == "alice" && password == "secret";
}

}  // namespace

TEST_CASE("ParsePlain: authcid and password without authzid") {
  auto creds = ParsePlain("\0alice\0secret"sv);
  REQUIRE(creds.has_value());
  CHECK(creds->authzid.empty());
  CHECK(creds->authcid == "alice");
  CHECK(creds->password == "secret");
}

TEST_CASE("ParsePlain: authzid forms") {
  auto same = ParsePlain("alice\0alice\0secret"sv);
  REQUIRE(same.has_value());
  CHECK(same->authzid == "alice");
  CHECK(same->authcid == "alice");
  auto other = ParsePlain("bob\0alice\0secret"sv);
  REQUIRE(other.has_value());  // syntactically fine; SaslServer refuses proxy authorization
  CHECK(other->authzid == "bob");
  auto empty_password = ParsePlain("\0alice\0"sv);
  REQUIRE(empty_password.has_value());
  CHECK(empty_password->password.empty());
}

TEST_CASE("ParsePlain: malformed messages") {
  CHECK_FALSE(ParsePlain(""sv).has_value());
  CHECK_FALSE(ParsePlain("alicesecret"sv).has_value());        // no NUL
  CHECK_FALSE(ParsePlain("\0alicesecret"sv).has_value());      // one NUL
  CHECK_FALSE(ParsePlain("\0alice\0secret\0"sv).has_value());  // a third NUL
  CHECK_FALSE(ParsePlain("\0alice\0sec\0ret"sv).has_value());  // NUL inside the password
  CHECK_FALSE(ParsePlain("alice\0\0secret"sv).has_value());    // empty authcid
  CHECK_FALSE(ParsePlain("\0\0"sv).has_value());
}

TEST_CASE("ParsePlain: each part at most 255 bytes") {
  const std::string max(kMaxPlainPartBytes, 'x');
  const std::string over(kMaxPlainPartBytes + 1, 'x');
  CHECK(ParsePlain(max + '\0' + max + '\0' + max).has_value());
  CHECK_FALSE(ParsePlain(over + '\0' + "alice" + '\0' + "pw").has_value());
  CHECK_FALSE(ParsePlain(std::string(1, '\0') + over + '\0' + "pw").has_value());
  CHECK_FALSE(ParsePlain(std::string(1, '\0') + "alice" + '\0' + over).has_value());
  CHECK((max + '\0' + max + '\0' + max).size() == kMaxPlainMessageBytes);
}

TEST_CASE("IsPlainMechanism: case-insensitive, exact") {
  CHECK(IsPlainMechanism("PLAIN"));
  CHECK(IsPlainMechanism("plain"));
  CHECK(IsPlainMechanism("PlAiN"));
  CHECK_FALSE(IsPlainMechanism("PLAIN "));
  CHECK_FALSE(IsPlainMechanism("PLAI"));
  CHECK_FALSE(IsPlainMechanism("CRAM-MD5"));
  CHECK_FALSE(IsPlainMechanism(""));
}

TEST_CASE("ConstantTimeEquals and AuthTable") {
  CHECK(ConstantTimeEquals("secret", "secret"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secreT"));
  CHECK_FALSE(ConstantTimeEquals("secret", "secret1"));
  CHECK_FALSE(ConstantTimeEquals("", "x"));
  AuthTable table("alice:secret\r\n\nnocolon\n:nouser\nbob:pw:with:colons\n");
  CHECK(table.size() == 2);
  CHECK(table.Check("alice", "secret"));
  CHECK_FALSE(table.Check("alice", "secret\r"));
  CHECK(table.Check("bob", "pw:with:colons"));
  CHECK_FALSE(table.Check("carol", ""));
}

TEST_CASE("ParseBinaryAuth: refuses everything but SASL and Version before authentication") {
  const std::string get = Packet(0x00, "foo", "");
  BinaryAuthParse r = ParseBinaryAuth(get, false);
  CHECK(r.status == BinaryAuthStatus::kReply);
  CHECK(r.close_after);
  CHECK(r.reply == Response(0x00, 0x0020, "Auth failure."));
  CHECK(ParseBinaryAuth(get, true).status == BinaryAuthStatus::kPass);
  CHECK(ParseBinaryAuth(Packet(0x0b, "", ""), false).status == BinaryAuthStatus::kPass);
  // An unknown opcode and a key over 250 bytes: memcached checks authentication first.
  CHECK(ParseBinaryAuth(Packet(0x55, "", ""), false).reply ==
        Response(0x55, 0x0020, "Auth failure."));
  CHECK(ParseBinaryAuth(Packet(0x00, std::string(300, 'k'), ""), false).close_after);
  // Bad magic and lengths that do not add up are the binary parser's to answer.
  std::string bad_magic = get;
  bad_magic[0] = '\x81';
  CHECK(ParseBinaryAuth(bad_magic, false).status == BinaryAuthStatus::kPass);
  std::string lying = Packet(0x00, "", "");
  lying[3] = 5;  // key length 5, body length 0
  CHECK(ParseBinaryAuth(lying, false).status == BinaryAuthStatus::kPass);
}

TEST_CASE("ParseBinaryAuth: SASL requests whole and in fragments") {
  const std::string auth = Packet(kAuth, "PLAIN", "\0alice\0secret"sv);
  for (std::size_t cut = 0; cut < auth.size(); ++cut) {
    BinaryAuthParse partial = ParseBinaryAuth(std::string_view(auth).substr(0, cut), false);
    CHECK(partial.status == BinaryAuthStatus::kNeedMore);
    CHECK(partial.consumed == 0);
  }
  const std::string pipelined = auth + Packet(0x0a, "", "");  // the views point into it
  BinaryAuthParse r = ParseBinaryAuth(pipelined, false);
  REQUIRE(r.status == BinaryAuthStatus::kSasl);
  CHECK(r.consumed == auth.size());
  CHECK(r.request.opcode == kAuth);
  CHECK(r.request.opaque == 0x01020304);
  CHECK(r.request.mechanism == "PLAIN");
  CHECK(r.request.data == "\0alice\0secret"sv);
  CHECK_FALSE(r.request.oversized);
  CHECK(ParseBinaryAuth(Packet(kList, "", ""), false).status == BinaryAuthStatus::kSasl);
}

TEST_CASE("ParseBinaryAuth: malformed SASL packets get memcached's replies") {
  // List with a key or a body, Auth without a key or with extras: Invalid arguments, close.
  for (const std::string& bad :
       {Packet(kList, "x", ""), Packet(kList, "", "x"), Packet(kAuth, "", "\0a\0b"sv),
        Packet(kStep, "PLAIN", "x", "\0\0\0\0"sv), Packet(kAuth, std::string(251, 'M'), "")}) {
    BinaryAuthParse r = ParseBinaryAuth(bad, true);
    REQUIRE(r.status == BinaryAuthStatus::kReply);
    CHECK(r.close_after);
    CHECK(r.reply.substr(6, 2) == "\x00\x04"sv);
  }
  // A mechanism over 32 bytes: Invalid arguments, the value skipped, the connection stays.
  const std::string long_mech = Packet(kAuth, std::string(33, 'P'), "abc");
  BinaryAuthParse r = ParseBinaryAuth(long_mech, false);
  REQUIRE(r.status == BinaryAuthStatus::kReply);
  CHECK_FALSE(r.close_after);
  CHECK(r.consumed == binary::kHeaderSize);
  CHECK(r.swallow == 36);
  CHECK(r.reply == Response(kAuth, 0x0004, "Invalid arguments"));
  CHECK(ParseBinaryAuth(Packet(kAuth, std::string(32, 'P'), "abc"), false).status ==
        BinaryAuthStatus::kSasl);
}

TEST_CASE("ParseBinaryAuth: an oversized value is skipped, not buffered") {
  const std::string value(kMaxPlainMessageBytes + 1, 'v');
  const std::string packet = Packet(kAuth, "PLAIN", value);
  // Header and key suffice: the value is never waited for.
  BinaryAuthParse r =
      ParseBinaryAuth(std::string_view(packet).substr(0, binary::kHeaderSize + 5), false);
  REQUIRE(r.status == BinaryAuthStatus::kSasl);
  CHECK(r.request.oversized);
  CHECK(r.request.data.empty());
  CHECK(r.consumed == binary::kHeaderSize + 5);
  CHECK(r.swallow == value.size());
  SaslServer sasl;
  std::string out;
  CHECK(sasl.Handle(r.request, AliceOnly, &out) == SaslOutcome::kFailed);
  CHECK(out == Response(kAuth, 0x0020, "Auth failure."));
}

TEST_CASE("SaslServer: list, auth, wrong password, unknown mechanism") {
  SaslServer sasl;
  std::string out;
  CHECK(sasl.Handle({kList, 7, {}, {}, false}, AliceOnly, &out) == SaslOutcome::kMechanisms);
  CHECK(out == Response(kList, 0, "PLAIN", 7));
  out.clear();
  CHECK(sasl.Handle({kAuth, 1, "PLAIN", "\0alice\0wrong"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK(out == Response(kAuth, 0x0020, "Auth failure.", 1));
  CHECK_FALSE(sasl.Authenticated());
  out.clear();
  CHECK(sasl.Handle({kAuth, 2, "CRAM-MD5", "x", false}, AliceOnly, &out) == SaslOutcome::kFailed);
  CHECK(sasl.Handle({kAuth, 3, "plain", "alice\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kAuthenticated);
  CHECK(out.substr(out.size() - 24 - 13) == Response(kAuth, 0, "Authenticated", 3));
  CHECK(sasl.Authenticated());
}

TEST_CASE("SaslServer: proxy authorization and malformed messages fail") {
  SaslServer sasl;
  std::string out;
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", "bob\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", "\0alice\0secret\0"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", "alicesecret", false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK_FALSE(sasl.Authenticated());
}

TEST_CASE("SaslServer: Auth without data, then Step (memcached 1.6.18 with Cyrus)") {
  SaslServer sasl;
  std::string out;
  CHECK(sasl.Handle({kStep, 0, "PLAIN", "\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);  // no Auth before
  out.clear();
  CHECK(sasl.Handle({kAuth, 9, "PLAIN", {}, false}, AliceOnly, &out) == SaslOutcome::kContinue);
  CHECK(out == Response(kAuth, 0x0021, "", 9));
  CHECK_FALSE(sasl.Authenticated());
  CHECK(sasl.Handle({kStep, 0, "PLAIN", {}, false}, AliceOnly, &out) == SaslOutcome::kFailed);
  CHECK(sasl.Handle({kStep, 0, "PLAIN", "\0alice\0bad"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  // A failed Step leaves the Auth pending; the key of a Step is not looked at.
  CHECK(sasl.Handle({kStep, 0, "FOO", "\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kAuthenticated);
  CHECK(sasl.Authenticated());
  // Step once authenticated fails and ends the authentication.
  CHECK(sasl.Handle({kStep, 0, "PLAIN", "\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK_FALSE(sasl.Authenticated());
}

TEST_CASE("SaslServer: a failed Auth ends an earlier authentication and any pending Step") {
  SaslServer sasl;
  std::string out;
  REQUIRE(sasl.Handle({kAuth, 0, "PLAIN", "\0alice\0secret"sv, false}, AliceOnly, &out) ==
          SaslOutcome::kAuthenticated);
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", "\0alice\0bad"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK_FALSE(sasl.Authenticated());
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", {}, false}, AliceOnly, &out) == SaslOutcome::kContinue);
  CHECK(sasl.Handle({kAuth, 0, "PLAIN", "\0alice\0bad"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
  CHECK(sasl.Handle({kStep, 0, "PLAIN", "\0alice\0secret"sv, false}, AliceOnly, &out) ==
        SaslOutcome::kFailed);
}

}  // namespace corecached::proto
