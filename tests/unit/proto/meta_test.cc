// Meta protocol parser and encoder. Every expected reply below is what Debian's memcached 1.6.18
// sent for the same request (probed over a socket); the Result fields are what its item held.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/command.h"
#include "core/result.h"
#include "proto/meta_base64.h"
#include "proto/meta_codec.h"

namespace corecached::proto {
namespace {

constexpr std::array<std::size_t, 5> kFragmentSizes = {1, 2, 5, 10, 100};

const MetaContext& Ctx(const Request& req) { return std::get<MetaContext>(req.context); }

void CheckSame(const Request& a, const Request& b) {
  CHECK(a.kind == b.kind);
  CHECK(a.reply == b.reply);
  CHECK(a.close_after == b.close_after);
  CHECK(a.swallow == b.swallow);
  REQUIRE(a.commands.size() == b.commands.size());
  for (std::size_t i = 0; i < a.commands.size(); ++i) {
    CHECK(a.commands[i].key == b.commands[i].key);
    CHECK(a.commands[i].value == b.commands[i].value);
    CHECK(a.commands[i].op == b.commands[i].op);
  }
  CHECK(Ctx(a).return_flags == Ctx(b).return_flags);
  CHECK(Ctx(a).opaque == Ctx(b).opaque);
}

// Parses `in` whole and in fragments of 1, 2, 5, 10 and 100 bytes. Until `consumed` bytes have
// arrived every call must say kNeedMore and consume nothing; then kOk consuming exactly that.
Request Parse(std::string_view in, std::size_t consumed, ParserOptions options = {}) {
  Request whole;
  const ParseResult r = ParseMeta(in, options, &whole);
  REQUIRE(r.status == ParseStatus::kOk);
  REQUIRE(r.consumed == consumed);
  for (const std::size_t step : kFragmentSizes) {
    std::string buf;
    for (std::size_t pos = 0; pos < in.size();) {
      const std::size_t n = std::min(step, in.size() - pos);
      buf.append(in.substr(pos, n));
      pos += n;
      Request part;
      const ParseResult pr = ParseMeta(buf, options, &part);
      if (buf.size() < consumed) {
        REQUIRE(pr.status == ParseStatus::kNeedMore);
        REQUIRE(pr.consumed == 0);
        continue;
      }
      REQUIRE(pr.status == ParseStatus::kOk);
      REQUIRE(pr.consumed == consumed);
      CheckSame(whole, part);
      break;
    }
  }
  return whole;
}

Request Parse(std::string_view in) { return Parse(in, in.size()); }

const core::Command& Cmd(const Request& req) {
  REQUIRE(req.kind == RequestKind::kKeyed);
  REQUIRE(req.commands.size() == 1);
  return req.commands[0];
}

std::string Encode(const Request& req, const core::Result& result) {
  std::string out;
  EncodeMetaResults(req, std::span<const core::Result>(&result, 1), &out);
  return out;
}

std::string ParseAndEncode(std::string_view in, const core::Result& result) {
  return Encode(Parse(in), result);
}

core::Result Hit(std::string value, uint32_t flags, uint64_t cas, int64_t ttl = -1) {
  core::Result r;
  r.outcome = core::Outcome::kHit;
  r.value = std::move(value);
  r.flags = flags;
  r.cas = cas;
  r.ttl_seconds = ttl;
  return r;
}

core::Result Outcome(core::Outcome outcome, uint64_t cas = 0) {
  core::Result r;
  r.outcome = outcome;
  r.cas = cas;
  return r;
}

core::Result Arith(uint64_t number, uint64_t cas = 0, bool created = false) {
  core::Result r;
  r.outcome = core::Outcome::kArithOk;
  r.number = number;
  r.cas = cas;
  r.win = created;
  return r;
}

// A request the parser refuses: the exact reply, nothing to swallow unless said.
void CheckError(std::string_view in, std::string_view reply, uint64_t swallow = 0,
                ParserOptions options = {}) {
  CAPTURE(in);
  const std::size_t line_end = in.find('\n') + 1;
  const Request req = Parse(in.substr(0, line_end), line_end, options);
  CHECK(req.kind == RequestKind::kError);
  CHECK(req.reply == reply);
  CHECK(req.swallow == swallow);
  CHECK_FALSE(req.close_after);
}

constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format\r\n";
constexpr std::string_view kInvalidFlag = "CLIENT_ERROR invalid flag\r\n";
constexpr std::string_view kInvalidOrDup = "CLIENT_ERROR invalid or duplicate flag\r\n";
constexpr std::string_view kDecodeKey = "CLIENT_ERROR error decoding key\r\n";

}  // namespace

TEST_CASE("MetaParser: mn, with and without arguments") {
  for (std::string_view in : {"mn\r\n", "mn foo bar\r\n", "mn\n"}) {
    const Request req = Parse(in);
    CHECK(req.kind == RequestKind::kNoop);
    std::string out;
    EncodeMetaOk(req, &out);
    CHECK(out == "MN\r\n");
  }
}

TEST_CASE("MetaParser: mg maps every flag onto the Command") {
  const Request req = Parse("mg foo s v t f c k O1 l h q u N30 R40 T50\r\n");
  const core::Command& cmd = Cmd(req);
  CHECK(cmd.op == core::Op::kGet);
  CHECK(cmd.key == "foo");
  CHECK(cmd.hash == core::KeyHash::Of("foo"));
  CHECK(cmd.no_lru_bump);
  CHECK(cmd.vivify);
  CHECK(cmd.vivify_exptime == 30);  // mg keeps N's own TTL; ttl_steps give the order
  CHECK(cmd.ttl_steps == std::array<char, 3>{'t', 'N', 'T'});
  CHECK(cmd.recache);
  CHECK(cmd.recache_threshold == 40);
  CHECK(cmd.touch);
  CHECK(cmd.exptime == 50);
  CHECK_FALSE(cmd.check_cas);  // C, F, M, D, J, I are accepted and ignored by mg
  CHECK(Ctx(req).verb == 'g');
  CHECK(Ctx(req).quiet);
  CHECK(Ctx(req).opaque == "1");
  CHECK(Ctx(req).return_flags == "svtfckOlhquNRT");
  const Request ignored = Parse("mg foo P L C7 F3 MX D2 J9 I\r\n");
  CHECK_FALSE(Cmd(ignored).check_cas);
  CHECK_FALSE(Cmd(ignored).invalidate);
  CHECK(Cmd(ignored).flags == 0);
  const Request plain = Parse("mg foo\r\n");
  CHECK_FALSE(Cmd(plain).touch);
  CHECK_FALSE(Cmd(plain).vivify);
  CHECK_FALSE(Cmd(plain).no_lru_bump);
}

TEST_CASE("MetaEncoder: mg hit returns flags in request order") {
  core::Result r = Hit("bar", 5, 1);
  r.last_access_seconds = 1;
  CHECK(ParseAndEncode("mg foo s v t f c k O1 l h\r\n", r) ==
        "VA 3 s3 t-1 f5 c1 kfoo O1 l1 h0\r\nbar\r\n");
  r = Hit("bar", 5, 2);
  CHECK(ParseAndEncode("mg a1 v c f h k l O123 s t q u\r\n", r) ==
        "VA 3 c2 f5 h0 ka1 l0 O123 s3 t-1\r\nbar\r\n");
  CHECK(ParseAndEncode("mg foo\r\n", r) == "HD\r\n");
  CHECK(ParseAndEncode("mg foo q\r\n", r) == "HD\r\n");  // q hides EN only
  r.hit_before = true;
  CHECK(ParseAndEncode("mg l1 h l u\r\n", r) == "HD h1 l0\r\n");
  CHECK(ParseAndEncode("mg l1 O k h l\r\n", Hit("x", 0, 1)) == "HD O kl1 h0 l0\r\n");
  CHECK(ParseAndEncode("mg c2 T50 t\r\n", Hit("x", 0, 1, 50)) == "HD t50\r\n");
  CHECK(ParseAndEncode("mg a6 c s f t\r\n", Hit("hi", 0, 9)) == "HD c9 s2 f0 t-1\r\n");
  CHECK(ParseAndEncode("mg a1 vx cx\r\n", Hit("hi", 0, 9)) == "VA 2 c9\r\nhi\r\n");
}

TEST_CASE("MetaEncoder: mg miss, quiet miss, opaque and key on EN") {
  const core::Result miss = Outcome(core::Outcome::kMiss);
  CHECK(ParseAndEncode("mg miss\r\n", miss) == "EN\r\n");
  CHECK(ParseAndEncode("mg miss q\r\n", miss).empty());
  CHECK(ParseAndEncode("mg miss k O5 v\r\n", miss) == "EN kmiss O5\r\n");
  CHECK(ParseAndEncode("mg l3 O\r\n", miss) == "EN O\r\n");
  CHECK(ParseAndEncode("mg l3 k O\r\n", miss) == "EN kl3 O\r\n");
  CHECK(ParseAndEncode("mg e1 O1234567890123456789012345678901\r\n", miss) ==
        "EN O1234567890123456789012345678901\r\n");
  CHECK(ParseAndEncode("mg f1 c f h k l O1 s t u P L C1 F1 MS D1 J1 I\r\n", miss) ==
        "EN kf1 O1\r\n");
}

TEST_CASE("MetaEncoder: mg W, X and Z come last, as Z X W") {
  core::Result won = Hit("", 0, 22, 30);
  won.win = true;
  CHECK(ParseAndEncode("mg c1 N30 v c t s k\r\n", won) == "VA 0 c22 t30 s0 kc1 W\r\n\r\n");
  core::Result lost = Hit("", 0, 22, 30);
  lost.already_won = true;
  CHECK(ParseAndEncode("mg c1 N30 v c t s\r\n", lost) == "VA 0 c22 t30 s0 Z\r\n\r\n");
  core::Result stale = Hit("x", 3, 17, 30);
  stale.stale = true;
  stale.win = true;
  CHECK(ParseAndEncode("mg b4 v c t f\r\n", stale) == "VA 1 c17 t30 f3 X W\r\nx\r\n");
  stale.win = false;
  stale.already_won = true;
  CHECK(ParseAndEncode("mg b4 v c t\r\n", stale) == "VA 1 c17 t30 Z X\r\nx\r\n");
  CHECK(ParseAndEncode("mg b6 s\r\n", [] {
          core::Result r = Hit("x", 0, 1);
          r.stale = true;
          r.win = true;
          return r;
        }()) == "HD s1 X W\r\n");
  core::Result recache = Hit("hi", 0, 1, 60);
  recache.win = true;
  CHECK(ParseAndEncode("mg c1 R100 t v\r\n", recache) == "VA 2 t60 W\r\nhi\r\n");
}

TEST_CASE("MetaParser: mg base64 keys decode, and replies re-encode them") {
  const Request req = Parse("mg YTI= b k v f t c\r\n");
  CHECK(Cmd(req).key == "a2");
  CHECK(Cmd(req).hash == core::KeyHash::Of("a2"));
  CHECK(Ctx(req).base64_key);
  // A hit prints the key as the item was stored (oracle: ms with b, then mg with or without b).
  core::Result binary_item = Hit("xyz", 7, 3, 100);
  binary_item.key_binary = true;
  CHECK(Encode(req, binary_item) == "VA 3 kYTI= b f7 t100 c3\r\nxyz\r\n");
  CHECK(Encode(req, Hit("xyz", 7, 3, 100)) == "VA 3 ka2 f7 t100 c3\r\nxyz\r\n");
  CHECK(ParseAndEncode("mg a2 k\r\n", binary_item) == "HD kYTI= b\r\n");
  const core::Result miss = Outcome(core::Outcome::kMiss);
  CHECK(ParseAndEncode("mg YQ== b k v\r\n", miss) == "EN kYQ== b\r\n");
  CHECK(ParseAndEncode("mg YWI= b k v\r\n", miss) == "EN kYWI= b\r\n");
  CHECK(ParseAndEncode("mg YWJjZA== b k v\r\n", miss) == "EN kYWJjZA== b\r\n");
  CHECK(Cmd(Parse("mg AAAA b\r\n")).key == std::string(3, '\0'));
  // Decoding stops at the first padded quad.
  CHECK(ParseAndEncode("mg YQ==YQ== b k v\r\n", miss) == "EN kYQ== b\r\n");
  CHECK(ParseAndEncode("mg YQ== bx k\r\n", miss) == "EN kYQ== b\r\n");
  // Bytes outside the alphabet are skipped; '=' inside a quad drops bytes.
  CHECK(ParseAndEncode("mg YW!Jj b k\r\n", miss) == "EN kYWJj b\r\n");
  CHECK(ParseAndEncode("mg YWJj!!!! b k\r\n", miss) == "EN kYWJj b\r\n");
  CHECK(ParseAndEncode("mg YQ=A b k\r\n", miss) == "EN kYQA= b\r\n");
  CHECK(ParseAndEncode("mg =YQ= b k\r\n", miss) == "EN kAQ== b\r\n");
  CHECK(ParseAndEncode("mg YQ=\x80= b k\r\n", miss) == "EN kYQ== b\r\n");
  for (std::string_view bad :
       {"YQ", "YQ=", "!!!!", "Y", "YQ===", "YWJjZA", "====", "a1", "k", "YWJj=", "YQ==YQ="}) {
    CheckError("mg " + std::string(bad) + " b k v\r\n", kDecodeKey);
  }
}

TEST_CASE("MetaParser: base64 round trip") {
  std::string bytes;
  for (int i = 0; i < 64; ++i) {
    bytes.push_back(static_cast<char>((i * 37 + 11) & 0xFF));
    std::string encoded;
    meta_base64::Encode(bytes, &encoded);
    CHECK(encoded.size() == (bytes.size() + 2) / 3 * 4);
    const auto decoded = meta_base64::Decode(encoded);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == bytes);
    const Request req = Parse("mg " + encoded + " b k\r\n");
    CHECK(Cmd(req).key == bytes);
    CHECK(Encode(req, Outcome(core::Outcome::kMiss)) == "EN k" + encoded + " b\r\n");
  }
}

TEST_CASE("MetaParser: mg malformed lines") {
  CheckError("mg\r\n", "ERROR\r\n");
  CheckError("mg \r\n", "ERROR\r\n");
  CheckError("mg " + std::string(251, 'k') + " k\r\n", kBadFormat);
  CHECK(Cmd(Parse("mg " + std::string(250, 'k') + " k\r\n")).key.size() == 250);
  CheckError("mg e1 v v\r\n", "CLIENT_ERROR duplicate flag\r\n");
  CheckError("mg k Cx c c\r\n", "CLIENT_ERROR duplicate flag\r\n");
  CheckError("mg e1 v \x80\r\n", "CLIENT_ERROR duplicate flag\r\n");
  for (std::string_view flag : {"zz", "x", "E5", "S100", "W", "Z"}) {
    CheckError("mg e1 " + std::string(flag) + "\r\n", kInvalidFlag);
  }
  CheckError("mg e1 O12345678901234567890123456789012\r\n",
             "CLIENT_ERROR opaque token too long\r\n");
  CheckError("mg f1 a b c d e f g h i j k l m n o p q r\r\n",
             "CLIENT_ERROR options flags are too long\r\n");
  CheckError("mg f1 a b c d e f g h i j k l m n o p q\r\n", kInvalidFlag);
  CheckError("mg f1 c f h k l O1 s t u P L C1 F1 MS D1 J1 I T0\r\n",
             "CLIENT_ERROR options flags are too long\r\n");
  CheckError("mg g1 Fx\r\n", kBadFormat);
  CheckError("mg g1 F-1\r\n", kBadFormat);
  CheckError("mg g1 Mxx\r\n", "CLIENT_ERROR incorrect length for M token\r\n");
  CheckError("mg g1 Dx\r\n", "CLIENT_ERROR invalid numeric delta value\r\n");
  CheckError("mg g1 Jx\r\n", "CLIENT_ERROR invalid numeric initial value\r\n");
  for (std::string_view flag :
       {"Cx", "C-1", "N", "R", "T", "T1x", "T9223372036854775808", "C18446744073709551616"}) {
    CheckError("mg g1 " + std::string(flag) + "\r\n", kBadToken);
  }
  // Errors accumulate: the last one with a message wins; unknown and repeated flags stop at once.
  CheckError("mg k Cx Fx\r\n", kBadToken);
  CheckError("mg k Fx Cx\r\n", kBadToken);
  CheckError("mg k Fx Z\r\n", kInvalidFlag);
  CheckError("mg k Tx O123456789012345678901234567890123\r\n", kBadToken);
  CheckError("mg k b Tx\r\n", kBadToken);
  CheckError("mg k Tx b\r\n", kDecodeKey);
}

TEST_CASE("MetaParser: N and T: the last one on the line is the TTL of an item N creates") {
  // memcached 1.6.18: "ma k N10 T20 t" on a miss answers t20, "ma k T20 N10 t" answers t10; on a
  // hit T is the new TTL whatever the order (update_ttl/exptime).
  const Request nt = Parse("ma k N10 T20 t v\r\n");
  CHECK(Cmd(nt).vivify_exptime == 20);
  CHECK(Cmd(nt).exptime == 20);
  CHECK(Cmd(nt).update_ttl);
  const Request tn = Parse("ma k T20 N10 t v\r\n");
  CHECK(Cmd(tn).vivify_exptime == 10);
  CHECK(Cmd(tn).exptime == 20);
  CHECK(Cmd(Parse("ma k N10 T0\r\n")).vivify_exptime == 0);
  CHECK(Cmd(Parse("mg k N10 v\r\n")).vivify_exptime == 10);
}

TEST_CASE("MetaParser: mg records T, N and t in request order (the store applies them so)") {
  const Request nt = Parse("mg k N10 t v T20\r\n");
  CHECK(Cmd(nt).vivify_exptime == 10);
  CHECK(Cmd(nt).exptime == 20);
  CHECK(Cmd(nt).touch);
  CHECK(Cmd(nt).ttl_steps == std::array<char, 3>{'N', 't', 'T'});
  CHECK(Cmd(Parse("mg k T20 N10 v\r\n")).ttl_steps == std::array<char, 3>{'T', 'N', 0});
  CHECK(Cmd(Parse("mg k v\r\n")).ttl_steps == std::array<char, 3>{});
  CHECK(Cmd(Parse("mg k s t v\r\n")).ttl_steps == std::array<char, 3>{'t', 0, 0});
}

TEST_CASE("MetaParser: numbers follow memcached's safe_strto* rules") {
  CHECK(Cmd(Parse("mg g1 T+5\r\n")).exptime == 5);
  CHECK(Cmd(Parse("mg g1 T-1\r\n")).exptime == -1);
  CHECK(Cmd(Parse("mg g1 N99999999999\r\n")).vivify_exptime == 1215752191);  // int32 truncation
  CHECK(Cmd(Parse("mg g1 T-9223372036854775808\r\n")).exptime == 0);
  CHECK(Cmd(Parse("ms h1 1 F4294967295\r\nx\r\n")).flags == 4294967295U);
  CHECK(Cmd(Parse("ms h1 1 F4294967297\r\nx\r\n")).flags == 1);
  CHECK(Cmd(Parse("ms h2 1 C18446744073709551615\r\nx\r\n")).compare_cas == UINT64_MAX);
  CHECK(Cmd(Parse("ma h2 N0 J+5 v\r\n")).initial == 5);
  CHECK(Cmd(Parse("ms h3 +2\r\nhi\r\n")).value == "hi");
  CHECK(Cmd(Parse("ms h3 02\r\nhi\r\n")).value == "hi");
}

TEST_CASE("MetaParser: ms modes, CAS and flags map onto the Command") {
  const Request req = Parse("ms a3 2 c k O99 T60 F5 q\r\nhi\r\n");
  const core::Command& cmd = Cmd(req);
  CHECK(cmd.op == core::Op::kSet);
  CHECK(cmd.key == "a3");
  CHECK(cmd.value == "hi");
  CHECK(cmd.exptime == 60);
  CHECK(cmd.flags == 5);
  CHECK_FALSE(cmd.check_cas);
  CHECK(Ctx(req).verb == 's');
  CHECK(Ctx(req).quiet);
  struct Case {
    std::string_view line;
    core::Op op;
    bool check_cas;
    uint64_t compare_cas;
    bool invalidate;
  };
  const Case cases[] = {
      {"ms k 2 ME", core::Op::kAdd, false, 0, false},
      {"ms k 2 ME C1", core::Op::kAdd, false, 0, false},  // add ignores C
      {"ms k 2 MR", core::Op::kReplace, false, 0, false},
      {"ms k 2 MR C1", core::Op::kCas, true, 1, false},
      {"ms k 2 MA", core::Op::kAppend, false, 0, false},
      {"ms k 2 MA C1", core::Op::kAppend, true, 1, false},
      {"ms k 2 MA C0", core::Op::kAppend, false, 0, false},  // C0 checks nothing here
      {"ms k 2 MP C3", core::Op::kPrepend, true, 3, false},
      {"ms k 2 MS", core::Op::kSet, false, 0, false},
      {"ms k 2 C5", core::Op::kCas, true, 5, false},
      {"ms k 2 C0", core::Op::kCas, true, 0, false},  // answers EX: no item has CAS 0
      {"ms k 2 C1 I", core::Op::kCas, true, 1, true},
      {"ms k 2 I", core::Op::kSet, false, 0, false},          // I only counts with C
      {"ms k 2 MA N30", core::Op::kAppend, false, 0, false},  // 1.6.18: no ms autovivify
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    const Request parsed = Parse(std::string(c.line) + "\r\nhi\r\n");
    const core::Command& m = Cmd(parsed);
    CHECK(m.op == c.op);
    CHECK(m.check_cas == c.check_cas);
    CHECK(m.compare_cas == c.compare_cas);
    CHECK(m.invalidate == c.invalidate);
    CHECK_FALSE(m.vivify);
  }
  CHECK(Cmd(Parse("ms h3 0\r\n\r\n")).value.empty());
}

TEST_CASE("MetaParser: ms waits for its data block and leaves what follows") {
  const std::string in = "ms k 5 T0\r\nab\r\nc\r\nmn\r\n";
  const Request req = Parse(in, in.size() - 4);
  CHECK(Cmd(req).value == "ab\r\nc");
  Request out;
  CHECK(ParseMeta("ms k 5\r\nab\r\nc\r", {}, &out).status == ParseStatus::kNeedMore);
}

TEST_CASE("MetaEncoder: ms replies") {
  CHECK(ParseAndEncode("ms a3 2 c k O99\r\nhi\r\n", Outcome(core::Outcome::kStored, 4)) ==
        "HD c4 ka3 O99\r\n");
  CHECK(ParseAndEncode("ms a3 2 c k O99 q\r\nhi\r\n", Outcome(core::Outcome::kStored, 4)).empty());
  CHECK(ParseAndEncode("ms a1 3 T0 F5\r\nbar\r\n", Outcome(core::Outcome::kStored, 1)) == "HD\r\n");
  CHECK(ParseAndEncode("ms a4 2 ME q k O1\r\nhi\r\n", Outcome(core::Outcome::kNotStored)) ==
        "NS ka4 O1\r\n");
  CHECK(ParseAndEncode("ms a5 2 MR\r\nhi\r\n", Outcome(core::Outcome::kNotStored)) == "NS\r\n");
  CHECK(ParseAndEncode("ms a6 2 C5 c\r\nhi\r\n", Outcome(core::Outcome::kNotFound, 7)) ==
        "NF c0\r\n");
  CHECK(ParseAndEncode("ms a6 2 C1 c\r\nhi\r\n", Outcome(core::Outcome::kExists, 7)) ==
        "EX c0\r\n");
  CHECK(ParseAndEncode("ms a6 2 C1 c q\r\nhi\r\n", Outcome(core::Outcome::kExists, 7)) ==
        "EX c0\r\n");
  CHECK(ParseAndEncode("ms a7 2 s f t v h l u\r\nhi\r\n", Outcome(core::Outcome::kStored, 3)) ==
        "HD\r\n");
  CHECK(ParseAndEncode("ms j4 1 T0 c k s\r\nx\r\n", Outcome(core::Outcome::kStored, 76)) ==
        "HD c76 kj4\r\n");
  const Request b64 = Parse("ms YWJj 2 b k c\r\nhi\r\n");
  CHECK(Cmd(b64).key == "abc");
  CHECK(Encode(b64, Outcome(core::Outcome::kStored, 57)) == "HD kYWJj b c57\r\n");
  CHECK(ParseAndEncode("ms e2 1 O1234567890123456789012345678901\r\nx\r\n",
                       Outcome(core::Outcome::kStored, 1)) ==
        "HD O1234567890123456789012345678901\r\n");
}

TEST_CASE("MetaParser: ms malformed lines, and which of them swallow the data block") {
  // Before the datalen is known nothing is swallowed: memcached reads the block as a command.
  CheckError("ms\r\n", "ERROR\r\n");
  CheckError("ms g1\r\n", kBadFormat);
  CheckError("ms g1 abc\r\n", kBadFormat);
  CheckError("ms g1 -1\r\n", kBadFormat);
  CheckError("ms g1 2x\r\n", kBadFormat);
  CheckError("ms g1 2147483646\r\n", kBadFormat);
  CheckError("ms " + std::string(251, 'k') + " 2\r\n", kBadFormat);
  CheckError("ms f2 1 c f h k l O1 s t u P L C1 F1 MS D1 J1 I\r\n",
             "CLIENT_ERROR options flags too long\r\n");
  // After it, the announced bytes + 2 are swallowed.
  CheckError("ms a4 2 MX\r\n", "CLIENT_ERROR invalid mode for ms M token\r\n", 4);
  CheckError("ms a4 2 MSS\r\n", "CLIENT_ERROR incorrect length for M token\r\n", 4);
  CheckError("ms a6 2 E12345 c\r\n", kInvalidFlag, 4);
  CheckError("ms l4 2 S100\r\n", kInvalidFlag, 4);
  CheckError("ms g1 2 zz\r\n", kInvalidFlag, 4);
  CheckError("ms g1 2 c c\r\n", "CLIENT_ERROR duplicate flag\r\n", 4);
  CheckError("ms g1 2 D\r\n", "CLIENT_ERROR invalid numeric delta value\r\n", 4);
  CheckError("ms g1 2 J\r\n", "CLIENT_ERROR invalid numeric initial value\r\n", 4);
  CheckError("ms a8 2 T\r\n", kBadToken, 4);
  CheckError("ms a8 2 Tabc\r\n", kBadToken, 4);
  CheckError("ms a8 2 C\r\n", kBadToken, 4);
  CheckError("ms a8 2 F\r\n", kBadFormat, 4);
  CheckError("ms h1 1 F-1\r\n", kBadFormat, 3);
  CheckError("ms h2 1 F 1\r\n", kInvalidFlag, 3);
  CheckError("ms a3 2 c k O99 b\r\n", kDecodeKey, 4);
  CheckError("ms e2 1 O12345678901234567890123456789012\r\n",
             "CLIENT_ERROR opaque token too long\r\n", 3);
  CheckError("ms k 1 MX O123456789012345678901234567890123\r\n",
             "CLIENT_ERROR invalid mode for ms M token\r\n", 3);
  ParserOptions small;
  small.max_item_size = 100;
  CheckError("ms g1 101 T0\r\n", "SERVER_ERROR object too large for cache\r\n", 103, small);
  CheckError("ms g1 101 T0 q\r\n", "SERVER_ERROR object too large for cache\r\n", 103, small);
  CHECK(Cmd(Parse("ms g1 100\r\n" + std::string(100, 'x') + "\r\n", 113, small)).value.size() ==
        100);
}

TEST_CASE("MetaParser: ms bad data chunk consumes the block and answers even with q") {
  for (std::string_view in :
       {"ms g1 2\r\nhixx\r\n", "ms g1 2\r\nhi\nmn\r\n", "ms g1 2 q\r\nhixx"}) {
    CAPTURE(in);
    const Request req = Parse(in, 9 + (in.find(" q") != std::string_view::npos ? 2 : 0) + 4);
    CHECK(req.kind == RequestKind::kError);
    CHECK(req.reply == "CLIENT_ERROR bad data chunk\r\n");
    CHECK(req.swallow == 0);
  }
}

TEST_CASE("MetaParser: md flags") {
  const Request req = Parse("md b4 I T30 k O2 C9 q\r\n");
  const core::Command& cmd = Cmd(req);
  CHECK(cmd.op == core::Op::kDelete);
  CHECK(cmd.invalidate);
  CHECK(cmd.update_ttl);
  CHECK(cmd.exptime == 30);
  CHECK(cmd.check_cas);
  CHECK(cmd.compare_cas == 9);
  CHECK(Ctx(req).verb == 'd');
  const Request plain_req = Parse("md j5 T30 C0\r\n");
  const core::Command& plain = Cmd(plain_req);
  CHECK_FALSE(plain.update_ttl);  // T only counts with I
  CHECK_FALSE(plain.invalidate);
  CHECK(plain.check_cas);  // C0 compares (and answers EX)
  CHECK(plain.compare_cas == 0);
  CHECK(Cmd(Parse("md b7 c f s t v h l u N5 F3 M+ D5 J5 R5 P L\r\n")).key == "b7");
}

TEST_CASE("MetaEncoder: md replies; q hides HD only") {
  CHECK(ParseAndEncode("md b1\r\n", Outcome(core::Outcome::kNotFound)) == "NF\r\n");
  CHECK(ParseAndEncode("md b1 q\r\n", Outcome(core::Outcome::kNotFound)) == "NF\r\n");
  CHECK(ParseAndEncode("md b1 q k O1\r\n", Outcome(core::Outcome::kNotFound)) == "NF kb1 O1\r\n");
  CHECK(ParseAndEncode("md b2 k O5 q\r\n", Outcome(core::Outcome::kDeleted)).empty());
  CHECK(ParseAndEncode("md b3 C1 k\r\n", Outcome(core::Outcome::kExists)) == "EX kb3\r\n");
  CHECK(ParseAndEncode("md b3 C1 q\r\n", Outcome(core::Outcome::kExists)) == "EX\r\n");
  CHECK(ParseAndEncode("md b4 I T30 k O2\r\n", Outcome(core::Outcome::kDeleted)) ==
        "HD kb4 O2\r\n");
  CHECK(ParseAndEncode("md l3 O q\r\n", Outcome(core::Outcome::kNotFound)) == "NF O\r\n");
  CHECK(ParseAndEncode("md e4 c f h k l O1 q s t u v N1 R1 T1 P L C1\r\n",
                       Outcome(core::Outcome::kNotFound)) == "NF ke4 O1\r\n");
  CHECK(ParseAndEncode("md YWJj b k\r\n", Outcome(core::Outcome::kNotFound)) == "NF kYWJj b\r\n");
}

TEST_CASE("MetaParser: md malformed lines") {
  CheckError("md\r\n", "ERROR\r\n");
  CheckError("md " + std::string(251, 'k') + " q\r\n", kBadFormat);
  for (std::string_view flag : {"x", "E5", "Tx", "zz", "q q", "Cx", "Fx", "Mxx"}) {
    CheckError("md b7 " + std::string(flag) + "\r\n", kInvalidOrDup);
  }
  CheckError("md YQ b\r\n", kInvalidOrDup);
  CheckError("md k O" + std::string(40, 'x') + "\r\n", "CLIENT_ERROR opaque token too long\r\n");
  CheckError("md f3 c f h k l O1 s t u P L C1 F1 MS D1 J1 I T0\r\n",
             "CLIENT_ERROR options flags too long\r\n");
}

TEST_CASE("MetaParser: ma flags and modes") {
  const Request dflt_req = Parse("ma d1\r\n");
  const core::Command& dflt = Cmd(dflt_req);
  CHECK(dflt.op == core::Op::kIncr);
  CHECK(dflt.delta == 1);
  CHECK(dflt.initial == 0);
  CHECK_FALSE(dflt.vivify);
  const Request req = Parse("ma d1 v M- D5 N100 J18446744073709551615 T20 C3 t c k O9 q\r\n");
  const core::Command& cmd = Cmd(req);
  CHECK(cmd.op == core::Op::kDecr);
  CHECK(cmd.delta == 5);
  CHECK(cmd.vivify);
  CHECK(cmd.vivify_exptime == 20);  // T comes after N: see "N and T: the last one ..."
  CHECK(cmd.initial == UINT64_MAX);
  CHECK(cmd.update_ttl);
  CHECK(cmd.exptime == 20);
  CHECK(cmd.check_cas);
  CHECK(cmd.compare_cas == 3);
  CHECK(Ctx(req).verb == 'a');
  CHECK(Cmd(Parse("ma d1 MD\r\n")).op == core::Op::kDecr);
  CHECK(Cmd(Parse("ma d1 MI\r\n")).op == core::Op::kIncr);
  CHECK(Cmd(Parse("ma d1 M+\r\n")).op == core::Op::kIncr);
  CHECK_FALSE(Cmd(Parse("ma l1 C0\r\n")).check_cas);  // 1.6.18: ma C0 checks nothing
}

TEST_CASE("MetaEncoder: ma replies; q hides success unless the item was created") {
  CHECK(ParseAndEncode("ma d1\r\n", Outcome(core::Outcome::kNotFound)) == "NF\r\n");
  CHECK(ParseAndEncode("ma d1 q\r\n", Outcome(core::Outcome::kNotFound)) == "NF\r\n");
  CHECK(ParseAndEncode("ma d1 q O1 k\r\n", Outcome(core::Outcome::kNotFound)) == "NF O1 kd1\r\n");
  CHECK(ParseAndEncode("ma d1 N0 J10 v\r\n", Arith(10, 30, true)) == "VA 2\r\n10\r\n");
  CHECK(ParseAndEncode("ma d1 v\r\n", Arith(11)) == "VA 2\r\n11\r\n");
  CHECK(ParseAndEncode("ma d1 q v\r\n", Arith(12)).empty());
  CHECK(ParseAndEncode("ma d1 q\r\n", Arith(13)).empty());
  CHECK(ParseAndEncode("ma j6 N0 J10 v q\r\n", Arith(10, 1, true)) == "VA 2\r\n10\r\n");
  CHECK(ParseAndEncode("ma d1 v D5 MD\r\n", Arith(8)) == "VA 1\r\n8\r\n");
  core::Result r = Arith(3, 31);
  CHECK(ParseAndEncode("ma d1 v M+ D3 t c k O9 N0 T0\r\n", r) == "VA 1 t-1 c31 kd1 O9\r\n3\r\n");
  r = Arith(5, 32);
  r.ttl_seconds = 100;
  r.win = true;
  CHECK(ParseAndEncode("ma d2 N100 J5 v t c\r\n", r) == "VA 1 t100 c32\r\n5\r\n");
  CHECK(ParseAndEncode("ma d2 C1 v\r\n", Outcome(core::Outcome::kExists)) == "EX\r\n");
  CHECK(ParseAndEncode("ma d2 C1 q\r\n", Outcome(core::Outcome::kExists)) == "EX\r\n");
  CHECK(ParseAndEncode("ma d7 N0 c f s h l u\r\n", Arith(0, 38, true)) == "HD c38\r\n");
  CHECK(ParseAndEncode("ma d7 v f s h l u\r\n", Arith(1, 38)) == "VA 1\r\n1\r\n");
  CHECK(ParseAndEncode("ma d5 N0 J18446744073709551615 v\r\n", Arith(UINT64_MAX, 1, true)) ==
        "VA 20\r\n18446744073709551615\r\n");
  CHECK(ParseAndEncode("ma d4\r\n", Outcome(core::Outcome::kNonNumeric)) ==
        "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  CHECK(ParseAndEncode("ma YWJj b k\r\n", Outcome(core::Outcome::kNotFound)) == "NF kYWJj b\r\n");
}

TEST_CASE("MetaParser: ma malformed lines") {
  CheckError("ma\r\n", "ERROR\r\n");
  CheckError("ma " + std::string(251, 'k') + "\r\n", kBadFormat);
  for (std::string_view flag :
       {"Dx", "Jx", "Mxx", "Nx", "zz", "E1", "x", "D-1", "J-1", "D18446744073709551616"}) {
    CheckError("ma d4 " + std::string(flag) + "\r\n", kInvalidOrDup);
  }
  CheckError("ma d6 f s h l u b\r\n", kInvalidOrDup);
  CheckError("ma d4 MX\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n");
  CheckError("ma j6 Md v\r\n", "CLIENT_ERROR invalid mode for ma M token\r\n");
  CheckError("ma k MX O" + std::string(40, 'x') + "\r\n",
             "CLIENT_ERROR invalid mode for ma M token\r\n");
  CheckError("ma k O" + std::string(40, 'x') + "\r\n", "CLIENT_ERROR opaque token too long\r\n");
}

TEST_CASE("MetaParser: me, and the debug line it answers with") {
  const Request req = Parse("me j2\r\n");
  CHECK(Cmd(req).op == core::Op::kGet);
  CHECK(Cmd(req).no_lru_bump);
  CHECK(Ctx(req).verb == 'e');
  core::Result r = Hit("abc", 0, 72);
  CHECK(Encode(req, r) == "ME j2 exp=-1 la=0 cas=72 fetch=no cls=1 size=64\r\n");
  r.hit_before = true;
  CHECK(Encode(req, r) == "ME j2 exp=-1 la=0 cas=72 fetch=yes cls=1 size=64\r\n");
  CHECK(ParseAndEncode("me j3\r\n", Hit("abc", 1, 73, 1000)) ==
        "ME j3 exp=-1000 la=0 cas=73 fetch=no cls=1 size=68\r\n");
  CHECK(ParseAndEncode("me jjjjjjjjjj\r\n", Hit("0123456789", 1, 74, 1000)) ==
        "ME jjjjjjjjjj exp=-1000 la=0 cas=74 fetch=no cls=1 size=83\r\n");
  r = Hit("xyz", 7, 3, 100);
  r.hit_before = true;
  const Request b64 = Parse("me YTI= b\r\n");
  CHECK(Cmd(b64).key == "a2");
  CHECK(Encode(b64, r) == "ME a2 exp=-100 la=0 cas=3 fetch=yes cls=1 size=68\r\n");
  r.key_binary = true;  // me follows the item's flag, not the request's b (oracle)
  CHECK(Encode(b64, r) == "ME YTI= exp=-100 la=0 cas=3 fetch=yes cls=1 size=68\r\n");
  CHECK(ParseAndEncode("me a2\r\n", r) ==
        "ME YTI= exp=-100 la=0 cas=3 fetch=yes cls=1 size=68\r\n");
  CHECK(ParseAndEncode("me a2\r\n", Outcome(core::Outcome::kMiss)) == "EN\r\n");
  CHECK(Cmd(Parse("me k k\r\n")).key == "k");  // only an exact "b" decodes
  CHECK(Cmd(Parse("me YQ== bx\r\n")).key == "YQ==");
  CHECK(Cmd(Parse("me YQ== b x\r\n")).key == "a");
  CheckError("me\r\n", kBadFormat);
  CheckError("me YQ b\r\n", kBadFormat);
  CheckError("me " + std::string(251, 'k') + "\r\n", kBadFormat);
}

TEST_CASE("MetaParser: line endings, separators and unknown verbs") {
  CHECK(Cmd(Parse("mg g1\n")).key == "g1");
  CHECK(Ctx(Parse("mg  g1  v\r\n")).return_flags == "v");
  CHECK(Cmd(Parse("mg g1 \r\n")).key == "g1");
  CHECK(Cmd(Parse("mg g1\tk\r\n")).key == "g1\tk");  // only ' ' separates tokens
  CheckError("mx foo\r\n", "ERROR\r\n");
  CheckError("mgfoo\r\n", "ERROR\r\n");
  CheckError("mg\tg1\r\n", "ERROR\r\n");
}

TEST_CASE("MetaParser: a line over 2048 bytes without a newline closes the connection") {
  Request out;
  const std::string almost = "mg " + std::string(2045, 'k');
  CHECK(ParseMeta(almost, {}, &out).status == ParseStatus::kNeedMore);
  const std::string over = almost + "k";
  const ParseResult r = ParseMeta(over, {}, &out);
  CHECK(r.status == ParseStatus::kOk);
  CHECK(out.kind == RequestKind::kError);
  CHECK(out.reply.empty());
  CHECK(out.close_after);
}

TEST_CASE("MetaEncoder: refused and failed requests") {
  const Request get = Parse("mg k v\r\n");
  const Request set = Parse("ms k 1\r\nx\r\n");
  const Request arith = Parse("ma k\r\n");
  core::Result busy = Outcome(core::Outcome::kBusy);
  busy.retry_after_ms = 5;
  CHECK(Encode(get, busy) == "SERVER_ERROR busy, retry in 5 ms\r\n");
  CHECK(Encode(set, Outcome(core::Outcome::kTooLarge)) ==
        "SERVER_ERROR object too large for cache\r\n");
  CHECK(Encode(set, Outcome(core::Outcome::kNoMemory)) ==
        "SERVER_ERROR out of memory storing object\r\n");
  CHECK(Encode(arith, Outcome(core::Outcome::kNoMemory)) == "SERVER_ERROR out of memory\r\n");
  std::string out;
  EncodeMetaServerError(set, core::Outcome::kBusy, 7, &out);
  CHECK(out == "SERVER_ERROR busy, retry in 7 ms\r\n");
  out.clear();
  EncodeMetaServerError(set, core::Outcome::kNoMemory, 0, &out);
  CHECK(out == "SERVER_ERROR out of memory storing object\r\n");
  out.clear();
  EncodeMetaVersion(get, "1.6.18", &out);
  CHECK(out == "VERSION 1.6.18\r\n");
  out.clear();
  EncodeMetaStats(get, {{"pid", "1"}}, &out);
  CHECK(out == "STAT pid 1\r\nEND\r\n");
}

}  // namespace corecached::proto
