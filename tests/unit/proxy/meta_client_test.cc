#include "proxy/meta_client.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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

namespace corecached::proxy {
namespace {

TEST_CASE("MetaClient: a multi-get travels as one gets, hits matched in order, misses filled") {
  core::Command a = Cmd(Op::kGet, "a");
  core::Command b = Cmd(Op::kGet, "b");
  core::Command a2 = Cmd(Op::kGet, "a");
  std::vector<const core::Command*> cmds = {&a, &b, &a2};
  std::string req;
  EncodeMultiGet(cmds, &req);
  CHECK(req == "gets a b a\r\n");
  std::string in = "VALUE a 1 2 7\r\nhi\r\nVALUE a 1 2 7\r\nhi\r\nEND\r\n";
  std::vector<core::Result> results(3);
  std::vector<core::Result*> ptrs = {&results[0], &results[1], &results[2]};
  std::size_t consumed = 0;
  for (std::size_t n = 0; n < in.size(); ++n) {
    CHECK(ParseMultiGetReply(std::string_view(in).substr(0, n), cmds, ptrs, &consumed) ==
          ReplyStatus::kNeedMore);
  }
  REQUIRE(ParseMultiGetReply(in, cmds, ptrs, &consumed) == ReplyStatus::kOk);
  CHECK(consumed == in.size());
  CHECK(results[0].outcome == Outcome::kHit);
  CHECK(results[0].value == "hi");
  CHECK(results[0].flags == 1);
  CHECK(results[0].cas == 7);
  CHECK(results[1].outcome == Outcome::kMiss);
  CHECK(results[2].outcome == Outcome::kHit);
}

TEST_CASE("MetaClient: multi-get errors") {
  core::Command a = Cmd(Op::kGet, "a");
  core::Command b = Cmd(Op::kGet, "b");
  std::vector<const core::Command*> cmds = {&a, &b};
  std::vector<core::Result> results(2);
  std::vector<core::Result*> ptrs = {&results[0], &results[1]};
  std::size_t consumed = 0;
  CHECK(ParseMultiGetReply("SERVER_ERROR out of memory writing get response\r\n", cmds, ptrs,
                           &consumed) == ReplyStatus::kOk);
  CHECK(results[1].outcome == Outcome::kUpstreamError);
  // Out of order, unknown key, malformed header: the connection is out of step.
  CHECK(ParseMultiGetReply("VALUE b 0 1 1\r\nx\r\nVALUE a 0 1 1\r\nx\r\nEND\r\n", cmds, ptrs,
                           &consumed) == ReplyStatus::kError);
  CHECK(ParseMultiGetReply("VALUE c 0 1 1\r\nx\r\nEND\r\n", cmds, ptrs, &consumed) ==
        ReplyStatus::kError);
  CHECK(ParseMultiGetReply("VALUE a x 1 1\r\nx\r\nEND\r\n", cmds, ptrs, &consumed) ==
        ReplyStatus::kError);
  CHECK(ParseMultiGetReply("VALUE a 0 1 1\r\nxy\r\nEND\r\n", cmds, ptrs, &consumed) ==
        ReplyStatus::kError);
}

TEST_CASE("MetaClient: what a multi-get may carry") {
  core::Command plain = Cmd(Op::kGet, "k");
  CHECK(Batchable(plain));
  core::Command gat = plain;
  gat.touch = true;
  CHECK_FALSE(Batchable(gat));
  core::Command with_t = plain;
  with_t.ttl_steps[0] = 't';
  CHECK_FALSE(Batchable(with_t));
  CHECK_FALSE(Batchable(Cmd(Op::kGet, "a b")));
  CHECK_FALSE(Batchable(Cmd(Op::kGet, std::string("a\0b", 3))));
  CHECK(Batchable(Cmd(Op::kGet,
                      "a\x10"
                      "b")));  // memcaslap's keys
  CHECK_FALSE(Batchable(Cmd(Op::kDelete, "k")));
}

}  // namespace
}  // namespace corecached::proxy
