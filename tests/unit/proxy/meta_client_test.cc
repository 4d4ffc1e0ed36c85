#include "proxy/meta_client.h"

#include <doctest/doctest.h>

#include <string>

namespace corecached::proxy {
namespace {

using core::Op;
using core::Outcome;

core::Command Cmd(Op op, std::string key) {
  core::Command c;
  c.op = op;
  c.key = std::move(key);
  return c;
}

std::string Encode(const core::Command& c) {
  std::string out;
  EncodeRequest(c, &out);
  return out;
}

// Parses `in` whole, and checks that every strict prefix needs more and consumes nothing.
core::Result ParseWhole(std::string_view in, const core::Command& cmd) {
  core::Result r;
  std::size_t consumed = 0;
  for (std::size_t n = 0; n < in.size(); ++n) {
    CHECK(ParseReply(in.substr(0, n), cmd, &r, &consumed) == ReplyStatus::kNeedMore);
  }
  REQUIRE(ParseReply(in, cmd, &r, &consumed) == ReplyStatus::kOk);
  CHECK(consumed == in.size());
  return r;
}

TEST_CASE("MetaClient: requests for each op") {
  CHECK(Encode(Cmd(Op::kGet, "k")) == "mg k v f c t\r\n");
  core::Command gat = Cmd(Op::kGet, "k");
  gat.touch = true;
  gat.exptime = 60;
  CHECK(Encode(gat) == "mg k v f c t T60\r\n");
  core::Command touch = Cmd(Op::kTouch, "k");
  touch.exptime = 5;
  CHECK(Encode(touch) == "mg k T5\r\n");
  core::Command set = Cmd(Op::kSet, "k");
  set.value = "abc";
  set.flags = 7;
  set.exptime = -1;
  CHECK(Encode(set) == "ms k 3 c F7 T-1 MS\r\nabc\r\n");
  core::Command cas = Cmd(Op::kCas, "k");
  cas.value = "v";
  cas.check_cas = true;
  cas.compare_cas = 42;
  CHECK(Encode(cas) == "ms k 1 c F0 T0 MS C42\r\nv\r\n");
  set.op = Op::kAdd;
  CHECK(Encode(set).substr(0, 22) == "ms k 3 c F7 T-1 ME\r\nab");
  CHECK(Encode(Cmd(Op::kDelete, "k")) == "md k\r\n");
  core::Command incr = Cmd(Op::kIncr, "n");
  incr.delta = 5;
  CHECK(Encode(incr) == "ma n v c MI D5\r\n");
  incr.op = Op::kDecr;
  CHECK(Encode(incr) == "ma n v c MD D5\r\n");
  core::Command flush = Cmd(Op::kFlushAll, "");
  CHECK(Encode(flush) == "flush_all\r\n");
  flush.exptime = 10;
  CHECK(Encode(flush) == "flush_all 10\r\n");
}

TEST_CASE("MetaClient: a key a text request cannot carry travels base64 with b") {
  CHECK(Encode(Cmd(Op::kDelete, "a b")) == "md YSBi b\r\n");
  core::Command set = Cmd(Op::kSet, std::string("k\x10", 2));
  set.value = "v";
  // ms: the b flag follows the datalen token (memcached: "ms <key> <datalen> <flags>*").
  CHECK(Encode(set) == "ms axA= 1 b c F0 T0 MS\r\nv\r\n");
}

TEST_CASE("MetaClient: replies, whole and byte by byte") {
  core::Result hit = ParseWhole("VA 3 f7 c99 t-1\r\nabc\r\n", Cmd(Op::kGet, "k"));
  CHECK(hit.outcome == Outcome::kHit);
  CHECK(hit.value == "abc");
  CHECK(hit.flags == 7);
  CHECK(hit.cas == 99);
  CHECK(hit.ttl_seconds == -1);
  CHECK(ParseWhole("EN\r\n", Cmd(Op::kGet, "k")).outcome == Outcome::kMiss);
  CHECK(ParseWhole("EN\r\n", Cmd(Op::kTouch, "k")).outcome == Outcome::kNotFound);
  CHECK(ParseWhole("HD\r\n", Cmd(Op::kTouch, "k")).outcome == Outcome::kTouched);
  core::Result stored = ParseWhole("HD c12\r\n", Cmd(Op::kSet, "k"));
  CHECK(stored.outcome == Outcome::kStored);
  CHECK(stored.cas == 12);
  CHECK(ParseWhole("NS\r\n", Cmd(Op::kAdd, "k")).outcome == Outcome::kNotStored);
  CHECK(ParseWhole("EX\r\n", Cmd(Op::kCas, "k")).outcome == Outcome::kExists);
  CHECK(ParseWhole("NF\r\n", Cmd(Op::kCas, "k")).outcome == Outcome::kNotFound);
  CHECK(ParseWhole("HD\r\n", Cmd(Op::kDelete, "k")).outcome == Outcome::kDeleted);
  CHECK(ParseWhole("NF\r\n", Cmd(Op::kDelete, "k")).outcome == Outcome::kNotFound);
  core::Result n = ParseWhole("VA 2 c5\r\n15\r\n", Cmd(Op::kIncr, "n"));
  CHECK(n.outcome == Outcome::kArithOk);
  CHECK(n.number == 15);
  CHECK(ParseWhole("OK\r\n", Cmd(Op::kFlushAll, "")).outcome == Outcome::kOk);
}

TEST_CASE("MetaClient: upstream errors") {
  CHECK(ParseWhole("CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
                   Cmd(Op::kIncr, "n"))
            .outcome == Outcome::kNonNumeric);
  CHECK(ParseWhole("SERVER_ERROR out of memory storing object\r\n", Cmd(Op::kSet, "k")).outcome ==
        Outcome::kNoMemory);
  CHECK(ParseWhole("SERVER_ERROR object too large for cache\r\n", Cmd(Op::kSet, "k")).outcome ==
        Outcome::kTooLarge);
  CHECK(ParseWhole("ERROR\r\n", Cmd(Op::kGet, "k")).outcome == Outcome::kUpstreamError);
  CHECK(ParseWhole("SERVER_ERROR something\r\n", Cmd(Op::kGet, "k")).outcome ==
        Outcome::kUpstreamError);
  CHECK(ParseWhole("HDX\r\n", Cmd(Op::kGet, "k")).outcome == Outcome::kUpstreamError);
}

TEST_CASE("MetaClient: malformed value replies put the connection out of step") {
  core::Result r;
  std::size_t consumed = 0;
  CHECK(ParseReply("VA x\r\n", Cmd(Op::kGet, "k"), &r, &consumed) == ReplyStatus::kError);
  CHECK(ParseReply("VA 1\r\nabXY", Cmd(Op::kGet, "k"), &r, &consumed) == ReplyStatus::kError);
  CHECK(ParseReply(std::string(5000, 'a'), Cmd(Op::kGet, "k"), &r, &consumed) ==
        ReplyStatus::kError);
}

TEST_CASE("MetaClient: two pipelined replies parse one at a time") {
  std::string in = "HD c1\r\nVA 1 f0 c1 t-1\r\nx\r\n";
  core::Result r;
  std::size_t consumed = 0;
  REQUIRE(ParseReply(in, Cmd(Op::kSet, "k"), &r, &consumed) == ReplyStatus::kOk);
  CHECK(consumed == 7);
  REQUIRE(ParseReply(std::string_view(in).substr(consumed), Cmd(Op::kGet, "k"), &r, &consumed) ==
          ReplyStatus::kOk);
  CHECK(r.value == "x");
}

}  // namespace
}  // namespace corecached::proxy
