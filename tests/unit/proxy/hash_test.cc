#include "proxy/hash.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

namespace corecached::proxy {
namespace {

std::string Hex(const std::array<uint8_t, 16>& d) {
  std::string s;
  for (uint8_t b : d) {
    char buf[3];
    std::snprintf(buf, sizeof(buf), "%02x", b);
    s += buf;
  }
  return s;
}

// RFC 1321 appendix A.5 test suite.
TEST_CASE("Md5: RFC 1321 test suite") {
  CHECK(Hex(Md5("")) == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(Hex(Md5("a")) == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(Hex(Md5("abc")) == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(Hex(Md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(Hex(Md5("abcdefghijklmnopqrstuvwxyz")) == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(Hex(Md5(
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890")) ==
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST_CASE("Md5: lengths around the padding boundary (55, 56, 64, 65 bytes)") {
  // Values from coreutils md5sum.
  CHECK(Hex(Md5(std::string(55, 'x'))) == "04364420e25c512fd958a70738aa8f72");
  CHECK(Hex(Md5(std::string(56, 'x'))) == "668a72d5ba17f08e62dabcafad6db14b");
  CHECK(Hex(Md5(std::string(64, 'x'))) == "c1bb4f81d892b2d57947682aeb252456");
  CHECK(Hex(Md5(std::string(65, 'x'))) == "1bc932052302d074bdec39795fe00cf6");
}

TEST_CASE("Md5Word: little-endian words, as ketama reads them") {
  auto d = Md5("abc");  // 90 01 50 98 ...
  CHECK(Md5Word(d, 0) == 0x98500190U);
}

// Values from a Python transcription of libhashkit's one_at_a_time and nutcracker's
// hash_fnv1a_64 (the same transcription placed 2,000 of 2,000 keys as pylibmc and nutcracker did
// against three real memcached servers).
TEST_CASE("OneAtATime and Fnv1a64Truncated: known values, bytes >= 0x80 sign-extended") {
  CHECK(OneAtATime("hello") == 0xc8fd181bU);
  CHECK(Fnv1a64Truncated("hello") == 0x80aabd0bU);
  CHECK(OneAtATime("caf\xe9") == 0xcdc7b50fU);
  CHECK(OneAtATime("") == 0U);
}

}  // namespace
}  // namespace corecached::proxy
