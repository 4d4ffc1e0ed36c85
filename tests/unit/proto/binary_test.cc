// Binary protocol parser and encoder. Expected reply bytes are what Debian's memcached 1.6.18
// sent for the same packets (raw socket, 127.0.0.1), copied here as hex.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/binary_codec.h"
#include "proto/binary_header.h"

namespace corecached::proto {
namespace {

using binary::Opcode;

std::string FromHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Be32(uint32_t v) {
  std::string s;
  binary::AppendBe(v, 4, &s);
  return s;
}

std::string Be64(uint64_t v) {
  std::string s;
  binary::AppendBe(v, 8, &s);
  return s;
}

struct Packet {
  Opcode opcode = Opcode::kNoop;
  std::string key;
  std::string extras;
  std::string value;
  uint32_t opaque = 0;
  uint64_t cas = 0;
};

std::string Encode(const Packet& p) {
  binary::Header h;
  h.magic = binary::kRequestMagic;
  h.opcode = static_cast<uint8_t>(p.opcode);
  h.key_length = static_cast<uint16_t>(p.key.size());
  h.extras_length = static_cast<uint8_t>(p.extras.size());
  h.body_length = static_cast<uint32_t>(p.extras.size() + p.key.size() + p.value.size());
  h.opaque = p.opaque;
  h.cas = p.cas;
  std::string out;
  binary::AppendHeader(h, &out);
  return out + p.extras + p.key + p.value;
}

std::string RawHeader(uint8_t magic, uint8_t opcode, uint16_t key_length, uint8_t extras_length,
                      uint32_t body_length, uint32_t opaque) {
  binary::Header h;
  h.magic = magic;
  h.opcode = opcode;
  h.key_length = key_length;
  h.extras_length = extras_length;
  h.body_length = body_length;
  h.opaque = opaque;
  std::string out;
  binary::AppendHeader(h, &out);
  return out;
}

const ParserOptions kOptions{};

struct Parsed {
  ParseResult result;
  Request request;
};

Parsed ParseOnce(std::string_view in, const ParserOptions& options = kOptions) {
  Parsed p;
  p.result = ParseBinary(in, options, &p.request);
  return p;
}

// Feeds `in` as a buffer that grows `fragment` bytes at a time (seastar's for_each_fragment_size).
// Every prefix before the packet completes must be kNeedMore with nothing consumed.
Parsed ParseInFragments(std::string_view in, std::size_t fragment,
                        const ParserOptions& options = kOptions) {
  for (std::size_t end = fragment;; end += fragment) {
    const std::size_t size = std::min(end, in.size());
    Parsed p = ParseOnce(in.substr(0, size), options);
    if (p.result.status == ParseStatus::kOk || size == in.size()) {
      return p;
    }
    CHECK(p.result.consumed == 0);
  }
}

constexpr std::size_t kFragments[] = {1, 2, 5, 10, 100};

// Parses whole and in every fragment size; checks they agree and returns the whole parse.
Parsed ParseAllWays(const std::string& in, const ParserOptions& options = kOptions) {
  Parsed whole = ParseOnce(in, options);
  for (std::size_t fragment : kFragments) {
    CAPTURE(fragment);
    Parsed p = ParseInFragments(in, fragment, options);
    CHECK(p.result.status == whole.result.status);
    CHECK(p.result.consumed == whole.result.consumed);
    CHECK(p.request.kind == whole.request.kind);
    CHECK(p.request.commands.size() == whole.request.commands.size());
    CHECK(p.request.reply == whole.request.reply);
  }
  return whole;
}

const BinaryContext& Ctx(const Request& r) { return std::get<BinaryContext>(r.context); }

std::string Results(const Request& req, std::vector<core::Result> results) {
  std::string out;
  EncodeBinaryResults(req, results, &out);
  return out;
}

core::Result Outcome(core::Outcome o) {
  core::Result r;
  r.outcome = o;
  return r;
}

core::Result Hit(std::string value, uint32_t flags, uint64_t cas) {
  core::Result r = Outcome(core::Outcome::kHit);
  r.value = std::move(value);
  r.flags = flags;
  r.cas = cas;
  return r;
}

Request Req(const Packet& p) {
  Parsed parsed = ParseOnce(Encode(p));
  REQUIRE(parsed.result.status == ParseStatus::kOk);
  return parsed.request;
}

}  // namespace

TEST_CASE("BinaryParser: header codec round trip") {
  binary::Header h;
  h.magic = 0x80;
  h.opcode = 0x1d;
  h.key_length = 0x1234;
  h.extras_length = 0xab;
  h.data_type = 0x01;
  h.status = 0xbeef;
  h.body_length = 0x89abcdef;
  h.opaque = 0xfedcba98;
  h.cas = 0x0102030405060708;
  std::string bytes;
  binary::AppendHeader(h, &bytes);
  CHECK(bytes == FromHex("801d1234ab01beef89abcdeffedcba980102030405060708"));
  const binary::Header back = binary::DecodeHeader(bytes);
  CHECK(back.magic == h.magic);
  CHECK(back.opcode == h.opcode);
  CHECK(back.key_length == h.key_length);
  CHECK(back.extras_length == h.extras_length);
  CHECK(back.data_type == h.data_type);
  CHECK(back.status == h.status);
  CHECK(back.body_length == h.body_length);
  CHECK(back.opaque == h.opaque);
  CHECK(back.cas == h.cas);
}

TEST_CASE("BinaryParser: get family") {
  struct Case {
    Opcode opcode;
    bool quiet;
    bool return_key;
  };
  for (Case c : {Case{Opcode::kGet, false, false}, Case{Opcode::kGetQ, true, false},
                 Case{Opcode::kGetK, false, true}, Case{Opcode::kGetKQ, true, true}}) {
    CAPTURE(static_cast<int>(c.opcode));
    const std::string in = Encode({c.opcode, "foo", "", "", 0x11223344, 0}) + "trailing";
    Parsed p = ParseAllWays(in);
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed == 27);
    CHECK(p.request.kind == RequestKind::kKeyed);
    REQUIRE(p.request.commands.size() == 1);
    const core::Command& cmd = p.request.commands[0];
    CHECK(cmd.op == core::Op::kGet);
    CHECK(cmd.key == "foo");
    CHECK(cmd.hash == core::KeyHash::Of("foo"));
    CHECK_FALSE(cmd.touch);
    CHECK(Ctx(p.request).opcode == static_cast<uint8_t>(c.opcode));
    CHECK(Ctx(p.request).opaque == 0x11223344);
    CHECK(Ctx(p.request).quiet == c.quiet);
    CHECK(Ctx(p.request).return_key == c.return_key);
  }
}

TEST_CASE("BinaryParser: gat family and touch") {
  for (Opcode op : {Opcode::kGat, Opcode::kGatQ, Opcode::kGatK, Opcode::kGatKQ, Opcode::kTouch}) {
    CAPTURE(static_cast<int>(op));
    Parsed p = ParseAllWays(Encode({op, "k1", Be32(100), "", 0, 0}));
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed == 30);
    REQUIRE(p.request.commands.size() == 1);
    const core::Command& cmd = p.request.commands[0];
    CHECK(cmd.op == (op == Opcode::kTouch ? core::Op::kTouch : core::Op::kGet));
    CHECK(cmd.touch == (op != Opcode::kTouch));
    CHECK(cmd.exptime == 100);
    CHECK(cmd.key == "k1");
  }
}

TEST_CASE("BinaryParser: set, add, replace with and without CAS") {
  struct Case {
    Opcode opcode;
    core::Op op;
    bool quiet;
  };
  for (Case c :
       {Case{Opcode::kSet, core::Op::kSet, false}, Case{Opcode::kSetQ, core::Op::kSet, true},
        Case{Opcode::kAdd, core::Op::kAdd, false}, Case{Opcode::kAddQ, core::Op::kAdd, true},
        Case{Opcode::kReplace, core::Op::kReplace, false},
        Case{Opcode::kReplaceQ, core::Op::kReplace, true}}) {
    CAPTURE(static_cast<int>(c.opcode));
    const std::string extras = Be32(0xdeadbeef) + Be32(0xffffffff);
    Parsed p = ParseAllWays(Encode({c.opcode, "key", extras, "hello", 5, 0}));
    REQUIRE(p.request.commands.size() == 1);
    CHECK(p.result.consumed == 24 + 8 + 3 + 5);
    const core::Command& cmd = p.request.commands[0];
    CHECK(cmd.op == c.op);
    CHECK(cmd.flags == 0xdeadbeef);
    CHECK(cmd.exptime == 0xffffffff);  // binary exptime is unsigned
    CHECK(cmd.value == "hello");
    CHECK_FALSE(cmd.check_cas);
    CHECK(Ctx(p.request).quiet == c.quiet);

    Parsed with_cas = ParseAllWays(Encode({c.opcode, "key", extras, "", 5, 42}));
    REQUIRE(with_cas.request.commands.size() == 1);
    CHECK(with_cas.request.commands[0].op == core::Op::kCas);
    CHECK(with_cas.request.commands[0].check_cas);
    CHECK(with_cas.request.commands[0].compare_cas == 42);
    CHECK(with_cas.request.commands[0].value.empty());
  }
}

TEST_CASE("BinaryParser: append, prepend, delete") {
  struct Case {
    Opcode opcode;
    core::Op op;
    std::string value;
  };
  for (const Case& c : {Case{Opcode::kAppend, core::Op::kAppend, "xy"},
                        Case{Opcode::kAppendQ, core::Op::kAppend, "xy"},
                        Case{Opcode::kPrepend, core::Op::kPrepend, "xy"},
                        Case{Opcode::kPrependQ, core::Op::kPrepend, "xy"},
                        Case{Opcode::kDelete, core::Op::kDelete, ""},
                        Case{Opcode::kDeleteQ, core::Op::kDelete, ""}}) {
    CAPTURE(static_cast<int>(c.opcode));
    Parsed p = ParseAllWays(Encode({c.opcode, "k", "", c.value, 0, 7}));
    REQUIRE(p.request.commands.size() == 1);
    const core::Command& cmd = p.request.commands[0];
    CHECK(cmd.op == c.op);
    CHECK(cmd.value == c.value);
    CHECK(cmd.check_cas);
    CHECK(cmd.compare_cas == 7);
  }
}

TEST_CASE("BinaryParser: increment and decrement") {
  for (Opcode op :
       {Opcode::kIncrement, Opcode::kIncrementQ, Opcode::kDecrement, Opcode::kDecrementQ}) {
    CAPTURE(static_cast<int>(op));
    Parsed p = ParseAllWays(Encode({op, "n", Be64(5) + Be64(10) + Be32(300), "", 0, 0}));
    REQUIRE(p.request.commands.size() == 1);
    const core::Command& cmd = p.request.commands[0];
    const bool incr = op == Opcode::kIncrement || op == Opcode::kIncrementQ;
    CHECK(cmd.op == (incr ? core::Op::kIncr : core::Op::kDecr));
    CHECK(cmd.delta == 5);
    CHECK(cmd.initial == 10);
    CHECK(cmd.vivify);
    CHECK(cmd.vivify_exptime == 300);

    Parsed no_create =
        ParseAllWays(Encode({op, "n", Be64(1) + Be64(2) + Be32(0xffffffff), "", 0, 0}));
    REQUIRE(no_create.request.commands.size() == 1);
    CHECK_FALSE(no_create.request.commands[0].vivify);
  }
}

TEST_CASE("BinaryParser: keyless opcodes") {
  struct Case {
    Opcode opcode;
    RequestKind kind;
    bool quiet;
  };
  for (Case c : {Case{Opcode::kNoop, RequestKind::kNoop, false},
                 Case{Opcode::kVersion, RequestKind::kVersion, false},
                 Case{Opcode::kQuit, RequestKind::kQuit, false},
                 Case{Opcode::kQuitQ, RequestKind::kQuit, true},
                 Case{Opcode::kStat, RequestKind::kStats, false},
                 Case{Opcode::kFlush, RequestKind::kFlushAll, false},
                 Case{Opcode::kFlushQ, RequestKind::kFlushAll, true}}) {
    CAPTURE(static_cast<int>(c.opcode));
    Parsed p = ParseAllWays(Encode({c.opcode, "", "", "", 9, 0}));
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed == 24);
    CHECK(p.request.kind == c.kind);
    CHECK(Ctx(p.request).quiet == c.quiet);
    CHECK(p.request.arg.empty());
    CHECK_FALSE(p.request.close_after);
  }
}

TEST_CASE("BinaryParser: flush with delay, stat with group") {
  Parsed flush = ParseAllWays(Encode({Opcode::kFlush, "", Be32(60), "", 0, 0}));
  REQUIRE(flush.request.commands.size() == 1);
  CHECK(flush.request.commands[0].op == core::Op::kFlushAll);
  CHECK(flush.request.commands[0].exptime == 60);
  Parsed no_delay = ParseAllWays(Encode({Opcode::kFlush, "", "", "", 0, 0}));
  REQUIRE(no_delay.request.commands.size() == 1);
  CHECK(no_delay.request.commands[0].exptime == 0);

  Parsed stat = ParseAllWays(Encode({Opcode::kStat, "settings", "", "", 0, 0}));
  CHECK(stat.request.kind == RequestKind::kStats);
  CHECK(stat.request.arg == "settings");
}

TEST_CASE("BinaryParser: incomplete input consumes nothing") {
  const std::string in = Encode({Opcode::kSet, "key", Be32(1) + Be32(2), "value", 0, 0});
  for (std::size_t n = 0; n < in.size(); ++n) {
    CAPTURE(n);
    Parsed p = ParseOnce(std::string_view(in).substr(0, n));
    CHECK(p.result.status == ParseStatus::kNeedMore);
    CHECK(p.result.consumed == 0);
  }
}

TEST_CASE("BinaryParser: wrong magic closes without a reply") {
  std::string in = Encode({Opcode::kNoop, "", "", "", 0, 0});
  in[0] = static_cast<char>(0x81);
  Parsed p = ParseAllWays(in);
  CHECK(p.request.kind == RequestKind::kError);
  CHECK(p.request.reply.empty());
  CHECK(p.request.close_after);
}

TEST_CASE("BinaryParser: extras and key longer than the body") {
  // memcached: "Unknown command" and close (key longer than the body, or extras + key).
  Parsed key_over = ParseAllWays(RawHeader(0x80, 0x00, 3, 0, 2, 77) + "abc");
  CHECK(key_over.request.reply ==
        FromHex("81000000000000810000000f0000004d0000000000000000556e6b6e6f776e20636f6d6d616e64"));
  CHECK(key_over.request.close_after);
  Parsed extras_over = ParseAllWays(RawHeader(0x80, 0x01, 0, 8, 4, 0) + "12345678");
  CHECK(extras_over.request.reply ==
        FromHex("81010000000000810000000f000000000000000000000000556e6b6e6f776e20636f6d6d616e64"));
  CHECK(extras_over.request.close_after);
  // Also checked before the key length: memcached answers 251/0 "Unknown command".
  Parsed both = ParseOnce(RawHeader(0x80, 0x00, 251, 0, 0, 3));
  CHECK(both.request.reply.substr(0, 8) == FromHex("8100000000000081"));
}

TEST_CASE("BinaryParser: key longer than 250 bytes") {
  Parsed p = ParseAllWays(Encode({Opcode::kGet, std::string(251, 'a'), "", "", 77, 0}));
  CHECK(p.request.kind == RequestKind::kError);
  CHECK(p.request.reply ==
        FromHex("8100000000000004000000110000004d0000000000000000496e76616c696420617267756d656e"
                "7473"));
  CHECK(p.request.close_after);
  Parsed ok = ParseAllWays(Encode({Opcode::kGet, std::string(250, 'a'), "", "", 77, 0}));
  CHECK(ok.request.kind == RequestKind::kKeyed);
}

TEST_CASE("BinaryParser: wrong extras, key or value for the opcode") {
  const std::string einval =
      FromHex("810000000000000400000011000000000000000000000000496e76616c696420617267756d656e7473");
  const std::vector<Packet> bad = {
      {Opcode::kGet, "k1", "abcd", "", 0, 0},                        // get with extras
      {Opcode::kGet, "", "", "", 0, 0},                              // get without key
      {Opcode::kGet, "k1", "", "abc", 0, 0},                         // get with value
      {Opcode::kSet, "k1", "", "x", 0, 0},                           // set without extras
      {Opcode::kSet, "", Be64(0), "x", 0, 0},                        // set without key
      {Opcode::kReplace, "k", "abcd", "x", 0, 0},                    // replace with 4-byte extras
      {Opcode::kAppend, "k1", "abcd", "x", 0, 0},                    // append with extras
      {Opcode::kAppendQ, "", "", "", 0, 0},                          // appendq without key
      {Opcode::kDelete, "k1", "abcd", "", 0, 0},                     // delete with extras
      {Opcode::kDelete, "k1", "", "abcd", 0, 0},                     // delete with value
      {Opcode::kIncrement, "k1", "abcd", "", 0, 0},                  // incr with short extras
      {Opcode::kIncrement, "k1", std::string(20, '\0'), "z", 0, 0},  // incr with value
      {Opcode::kTouch, "k1", "", "", 0, 0},                          // touch without extras
      {Opcode::kTouch, "", Be32(1), "", 0, 0},                       // touch without key
      {Opcode::kGat, "k1", "", "", 0, 0},                            // gat without extras
      {Opcode::kNoop, "k", "", "", 0, 0},                            // noop with key
      {Opcode::kNoop, "", "abcd", "", 0, 0},                         // noop with extras
      {Opcode::kNoop, "", "", "abcd", 0, 0},                         // noop with value
      {Opcode::kVersion, "k", "", "", 0, 0},                         // version with key
      {Opcode::kQuit, "k", "", "", 0, 0},                            // quit with key
      {Opcode::kFlush, "", Be64(0), "", 0, 0},                       // flush with 8-byte extras
      {Opcode::kFlush, "k", "", "", 0, 0},                           // flush with key
      {Opcode::kFlush, "", "", "x", 0, 0},                           // flush with value
      {Opcode::kStat, "", "abcd", "", 0, 0},                         // stat with extras
  };
  for (const Packet& packet : bad) {
    CAPTURE(static_cast<int>(packet.opcode));
    Parsed p = ParseAllWays(Encode(packet));
    CHECK(p.request.kind == RequestKind::kError);
    CHECK(p.request.close_after);
    std::string expected = einval;
    expected[1] = static_cast<char>(packet.opcode);
    CHECK(p.request.reply == expected);
  }
}

TEST_CASE("BinaryParser: unknown opcodes answer and skip the body") {
  // 0x1b Verbosity and 0x20-0x21 SASL included: memcached 1.6.18 does not serve them either.
  for (uint8_t opcode :
       std::vector<uint8_t>{0x1b, 0x1f, 0x20, 0x21, 0x25, 0x30, 0x3d, 0x50, 0xff}) {
    CAPTURE(static_cast<int>(opcode));
    std::string in = RawHeader(0x80, opcode, 3, 0, 6, 8) + "abcxyz";
    Parsed p = ParseAllWays(in);
    CHECK(p.request.kind == RequestKind::kError);
    CHECK_FALSE(p.request.close_after);
    CHECK(p.result.consumed == 24);
    CHECK(p.request.swallow == 6);
    std::string expected =
        FromHex("81500000000000810000000f000000080000000000000000556e6b6e6f776e20636f6d6d616e64");
    expected[1] = static_cast<char>(opcode);
    CHECK(p.request.reply == expected);
  }
}

TEST_CASE("BinaryParser: value over the limit is refused and swallowed") {
  ParserOptions options;
  options.max_item_size = 100;
  const std::string too_large =
      FromHex("81010000000000030000000a000000010000000000000000546f6f206c617267652e");
  // Only the header, extras and key need to arrive.
  Parsed set = ParseAllWays(RawHeader(0x80, 0x01, 3, 8, 8 + 3 + 101, 1) + Be64(0) + "big", options);
  REQUIRE(set.result.status == ParseStatus::kOk);
  CHECK(set.result.consumed == 35);
  CHECK(set.request.swallow == 101);
  // Set deletes the old item as memcached does, and answers "Too large." whatever happens.
  CHECK(set.request.kind == RequestKind::kKeyed);
  REQUIRE(set.request.commands.size() == 1);
  CHECK(set.request.commands[0].op == core::Op::kDelete);
  CHECK(set.request.commands[0].key == "big");
  CHECK(Results(set.request, {Outcome(core::Outcome::kDeleted)}) == too_large);
  CHECK(Results(set.request, {Outcome(core::Outcome::kNotFound)}) == too_large);

  Parsed setq = ParseOnce(RawHeader(0x80, 0x11, 3, 8, 8 + 3 + 101, 1) + Be64(0) + "big", options);
  std::string quiet_expected = too_large;
  quiet_expected[1] = 0x11;
  CHECK(Results(setq.request, {Outcome(core::Outcome::kDeleted)}) == quiet_expected);

  Parsed append = ParseAllWays(RawHeader(0x80, 0x0e, 3, 0, 3 + 101, 1) + "big", options);
  CHECK(append.request.kind == RequestKind::kError);
  CHECK_FALSE(append.request.close_after);
  // Only the header is taken at once; key and value are skipped as they arrive (same total).
  CHECK(append.result.consumed == 24);
  CHECK(append.request.swallow == 104);
  std::string append_expected = too_large;
  append_expected[1] = 0x0e;
  CHECK(append.request.reply == append_expected);

  // At the limit the value is buffered and the store decides.
  Parsed at_limit =
      ParseAllWays(Encode({Opcode::kSet, "k", Be64(0), std::string(100, 'v'), 0, 0}), options);
  CHECK(at_limit.request.kind == RequestKind::kKeyed);
  CHECK(at_limit.request.commands[0].value.size() == 100);
  // A 4 GiB body is refused from the header alone.
  Parsed huge = ParseOnce(RawHeader(0x80, 0x01, 1, 8, 0xffffffff, 0) + Be64(0) + "k", options);
  CHECK(huge.request.swallow == 0xffffffffULL - 9);
}

TEST_CASE("BinaryParser: truncated header") {
  const std::string in = Encode({Opcode::kNoop, "", "", "", 0, 0});
  for (std::size_t n = 0; n < binary::kHeaderSize; ++n) {
    Parsed p = ParseOnce(std::string_view(in).substr(0, n));
    CHECK(p.result.status == ParseStatus::kNeedMore);
    CHECK(p.result.consumed == 0);
  }
}

TEST_CASE("BinaryParser: encode get hit, miss and quiet variants") {
  const core::Result hit = Hit("hello", 0xdeadbeef, 1);
  CHECK(Results(Req({Opcode::kGet, "k1", "", "", 9, 0}), {hit}) ==
        FromHex("810000000400000000000009000000090000000000000001deadbeef68656c6c6f"));
  CHECK(Results(Req({Opcode::kGetK, "k1", "", "", 0, 0}), {hit}) ==
        FromHex("810c0002040000000000000b000000000000000000000001deadbeef6b3168656c6c6f"));
  CHECK(Results(Req({Opcode::kGetQ, "k1", "", "", 0, 0}), {hit}) ==
        FromHex("810900000400000000000009000000000000000000000001deadbeef68656c6c6f"));

  const core::Result miss = Outcome(core::Outcome::kMiss);
  CHECK(Results(Req({Opcode::kGet, "nokey", "", "", 0x11223344, 0}), {miss}) ==
        FromHex("8100000000000001000000091122334400000000000000004e6f7420666f756e64"));
  CHECK(Results(Req({Opcode::kGetK, "nokey", "", "", 0, 0}), {miss}) ==
        FromHex("810c000500000001000000050000000000000000000000006e6f6b6579"));
  CHECK(Results(Req({Opcode::kGetQ, "nokey", "", "", 0, 0}), {miss}).empty());
  CHECK(Results(Req({Opcode::kGetKQ, "nokey", "", "", 0, 0}), {miss}).empty());
}

TEST_CASE("BinaryParser: encode gat and touch") {
  const core::Result hit = Hit("xhellox", 0xdeadbeef, 4);
  CHECK(Results(Req({Opcode::kGat, "k1", Be32(100), "", 0, 0}), {hit}) ==
        FromHex("811d0000040000000000000b000000000000000000000004deadbeef7868656c6c6f78"));
  CHECK(Results(Req({Opcode::kGatK, "k1", Be32(100), "", 0, 0}), {hit}) ==
        FromHex("81230002040000000000000d000000000000000000000004deadbeef6b317868656c6c6f78"));
  const core::Result miss = Outcome(core::Outcome::kMiss);
  CHECK(Results(Req({Opcode::kGat, "zz", Be32(100), "", 0, 0}), {miss}) ==
        FromHex("811d000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(Results(Req({Opcode::kGatK, "zz", Be32(100), "", 0, 0}), {miss}) ==
        FromHex("8123000200000001000000020000000000000000000000007a7a"));
  CHECK(Results(Req({Opcode::kGatQ, "zz", Be32(100), "", 0, 0}), {miss}).empty());
  CHECK(Results(Req({Opcode::kGatKQ, "zz", Be32(100), "", 0, 0}), {miss}).empty());

  core::Result touched = Outcome(core::Outcome::kTouched);
  touched.flags = 0xdeadbeef;
  touched.cas = 4;
  CHECK(Results(Req({Opcode::kTouch, "k1", Be32(100), "", 0, 0}), {touched}) ==
        FromHex("811c00000400000000000004000000000000000000000004deadbeef"));
  CHECK(Results(Req({Opcode::kTouch, "zz", Be32(100), "", 0, 0}),
                {Outcome(core::Outcome::kNotFound)}) ==
        FromHex("811c000000000001000000090000000000000000000000004e6f7420666f756e64"));
}

TEST_CASE("BinaryParser: encode storage outcomes") {
  const std::string extras = Be64(0);
  core::Result stored = Outcome(core::Outcome::kStored);
  stored.cas = 1;
  CHECK(Results(Req({Opcode::kSet, "k1", extras, "hello", 5, 0}), {stored}) ==
        FromHex("810100000000000000000000000000050000000000000001"));
  CHECK(Results(Req({Opcode::kSetQ, "k2", extras, "v2", 0, 0}), {stored}).empty());
  const core::Result not_stored = Outcome(core::Outcome::kNotStored);
  CHECK(Results(Req({Opcode::kAdd, "k1", extras, "x", 0, 0}), {not_stored}) ==
        FromHex("810200000000000200000014000000000000000000000000446174612065786973747320666f72206b"
                "65792e"));
  CHECK(Results(Req({Opcode::kReplace, "zz", extras, "x", 0, 0}), {not_stored}) ==
        FromHex("8103000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(Results(Req({Opcode::kAppend, "nok", "", "x", 0, 0}), {not_stored}) ==
        FromHex("810e0000000000050000000b0000000000000000000000004e6f742073746f7265642e"));
  core::Result appended = Outcome(core::Outcome::kStored);
  appended.cas = 3;
  CHECK(Results(Req({Opcode::kAppend, "k1", "", "x", 0, 0}), {appended}) ==
        FromHex("810e00000000000000000000000000000000000000000003"));
  CHECK(Results(Req({Opcode::kPrependQ, "k1", "", "x", 0, 0}), {appended}).empty());
  // Quiet errors are still sent.
  CHECK(
      Results(Req({Opcode::kSetQ, "k1", extras, "x", 77, 5}), {Outcome(core::Outcome::kExists)}) ==
      FromHex("8111000000000002000000140000004d0000000000000000446174612065786973747320666f72206b"
              "65792e"));
  CHECK(Results(Req({Opcode::kSet, "nok", extras, "x", 0, 12345}),
                {Outcome(core::Outcome::kNotFound)}) ==
        FromHex("8101000000000001000000090000000000000000000000004e6f7420666f756e64"));
}

TEST_CASE("BinaryParser: encode delete") {
  CHECK(Results(Req({Opcode::kDelete, "d", "", "", 4, 0}), {Outcome(core::Outcome::kDeleted)}) ==
        FromHex("810400000000000000000000000000040000000000000000"));
  CHECK(Results(Req({Opcode::kDeleteQ, "d", "", "", 4, 0}), {Outcome(core::Outcome::kDeleted)})
            .empty());
  CHECK(Results(Req({Opcode::kDelete, "nok", "", "", 0, 0}), {Outcome(core::Outcome::kNotFound)}) ==
        FromHex("8104000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(
      Results(Req({Opcode::kDeleteQ, "nok", "", "", 0, 0}), {Outcome(core::Outcome::kNotFound)}) ==
      FromHex("8114000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(Results(Req({Opcode::kDelete, "k1", "", "", 0, 999}), {Outcome(core::Outcome::kExists)}) ==
        FromHex("810400000000000200000014000000000000000000000000446174612065786973747320666f72206b"
                "65792e"));
}

TEST_CASE("BinaryParser: encode incr and decr") {
  const std::string extras = Be64(1) + Be64(10) + Be32(0);
  core::Result created = Outcome(core::Outcome::kArithOk);
  created.number = 10;
  created.cas = 5;
  CHECK(Results(Req({Opcode::kIncrement, "n1", extras, "", 0, 0}), {created}) ==
        FromHex("810500000000000000000008000000000000000000000005000000000000000a"));
  core::Result zero = Outcome(core::Outcome::kArithOk);
  zero.cas = 7;
  CHECK(Results(Req({Opcode::kDecrement, "n1", extras, "", 0, 0}), {zero}) ==
        FromHex("8106000000000000000000080000000000000000000000070000000000000000"));
  CHECK(Results(Req({Opcode::kIncrementQ, "n1", extras, "", 0, 0}), {zero}).empty());
  CHECK(Results(Req({Opcode::kIncrement, "n1", extras, "", 0, 0}),
                {Outcome(core::Outcome::kNotFound)}) ==
        FromHex("8105000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(Results(Req({Opcode::kIncrementQ, "nn", extras, "", 0, 0}),
                {Outcome(core::Outcome::kNotFound)}) ==
        FromHex("8115000000000001000000090000000000000000000000004e6f7420666f756e64"));
  CHECK(
      Results(Req({Opcode::kIncrement, "k1", extras, "", 0, 0}),
              {Outcome(core::Outcome::kNonNumeric)}) ==
      FromHex("81050000000000060000002e0000000000000000000000004e6f6e2d6e756d6572696320736572766572"
              "2d736964652076616c756520666f7220696e6372206f722064656372"));
}

TEST_CASE("BinaryParser: encode flush, noop, quit, version, stats") {
  const std::vector<core::Result> flushed(3, Outcome(core::Outcome::kOk));
  CHECK(Results(Req({Opcode::kFlush, "", "", "", 0, 0}), flushed) ==
        FromHex("810800000000000000000000000000000000000000000000"));
  CHECK(Results(Req({Opcode::kFlushQ, "", "", "", 0, 0}), flushed).empty());

  std::string out;
  EncodeBinaryOk(Req({Opcode::kNoop, "", "", "", 7, 0}), &out);
  CHECK(out == FromHex("810a00000000000000000000000000070000000000000000"));
  out.clear();
  EncodeBinaryOk(Req({Opcode::kQuit, "", "", "", 3, 0}), &out);
  CHECK(out == FromHex("810700000000000000000000000000030000000000000000"));
  out.clear();
  EncodeBinaryOk(Req({Opcode::kQuitQ, "", "", "", 3, 0}), &out);
  CHECK(out.empty());

  out.clear();
  EncodeBinaryVersion(Req({Opcode::kVersion, "", "", "", 0, 0}), "1.6.18", &out);
  CHECK(out == FromHex("810b00000000000000000006000000000000000000000000312e362e3138"));

  out.clear();
  const core::StatList stats = {{"pid", "11282"}, {"uptime", "149"}};
  EncodeBinaryStats(Req({Opcode::kStat, "", "", "", 9, 0}), stats, &out);
  CHECK(out == FromHex("8110000300000000000000080000000900000000000000007069643131323832"
                       "811000060000000000000009000000090000000000000000757074696d65313439"
                       "811000000000000000000000000000090000000000000000"));
}

TEST_CASE("BinaryParser: encode server errors") {
  const Request get = Req({Opcode::kGetQ, "k", "", "", 0x0a0b0c0d, 0});
  std::string out;
  EncodeBinaryServerError(get, core::Outcome::kBusy, 25, &out);
  CHECK(out ==
        FromHex("8109000000000086000000140a0b0c0d0000000000000000") + "busy, retry in 25 ms");
  out.clear();
  EncodeBinaryServerError(get, core::Outcome::kNoMemory, 0, &out);
  CHECK(out == FromHex("81090000000000820000000d0a0b0c0d0000000000000000") + "Out of memory");
  out.clear();
  EncodeBinaryServerError(get, core::Outcome::kTooLarge, 0, &out);
  CHECK(out == FromHex("81090000000000030000000a0a0b0c0d0000000000000000") + "Too large.");
  // The same outcomes from the store.
  core::Result busy = Outcome(core::Outcome::kBusy);
  busy.retry_after_ms = 25;
  CHECK(Results(get, {busy}) ==
        FromHex("8109000000000086000000140a0b0c0d0000000000000000") + "busy, retry in 25 ms");
  CHECK(Results(get, {Outcome(core::Outcome::kNoMemory)}) ==
        FromHex("81090000000000820000000d0a0b0c0d0000000000000000") + "Out of memory");
  CHECK(
      Results(Req({Opcode::kSet, "k", Be64(0), "v", 0, 0}), {Outcome(core::Outcome::kTooLarge)}) ==
      FromHex("81010000000000030000000a000000000000000000000000546f6f206c617267652e"));
  out.clear();
  EncodeBinaryShutdownDisabled(get, &out);
  CHECK(out ==
        FromHex("81090000000000810000000f0a0b0c0d0000000000000000556e6b6e6f776e20636f6d6d616e64"));
}

TEST_CASE("BinaryParser: pipelined requests parse one at a time") {
  const std::string in = Encode({Opcode::kGetQ, "a", "", "", 1, 0}) +
                         Encode({Opcode::kGetKQ, "bb", "", "", 2, 0}) +
                         Encode({Opcode::kNoop, "", "", "", 3, 0});
  std::string_view rest = in;
  std::vector<uint32_t> opaques;
  while (!rest.empty()) {
    Parsed p = ParseOnce(rest);
    REQUIRE(p.result.status == ParseStatus::kOk);
    opaques.push_back(Ctx(p.request).opaque);
    rest.remove_prefix(p.result.consumed);
  }
  CHECK(opaques == std::vector<uint32_t>{1, 2, 3});
}

}  // namespace corecached::proto

namespace corecached::proto {
namespace {

// Found by tests/fuzz/fuzz_binary_parser: a too-large Replace whose extras and key had not arrived
// yet made the parser claim header + extras + key bytes, more than the input held.
TEST_CASE("issue #3: too-large non-Set never consumes bytes that have not arrived") {
  ParserOptions options;
  options.max_item_size = 4096;
  // Replace (0x03), key 47 bytes, extras 8, body 65535: value far over the limit.
  std::string header = RawHeader(0x80, 0x03, 47, 8, 65535, 0x37);
  for (std::size_t extra : {std::size_t{0}, std::size_t{5}, std::size_t{13}, std::size_t{60}}) {
    std::string in = header + std::string(extra, 'k');
    Parsed p = ParseOnce(in, options);
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed <= in.size());
    // What is not consumed now is swallowed later: the whole packet, exactly once.
    CHECK(p.result.consumed + p.request.swallow == 24 + 65535);
    CHECK(Ctx(p.request).opaque == 0x37);
  }
}

}  // namespace
}  // namespace corecached::proto
