// TextEncoder: reply bytes for every outcome, as memcached 1.6.18 sends them (checked against
// Debian's memcached 1.6.18), and parse -> encode round trips.

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/stat_list.h"
#include "proto/codec.h"
#include "proto/request.h"
#include "proto/text_codec.h"

namespace corecached::proto {
namespace {

using core::Outcome;
using core::Result;

Request Parse(std::string_view in) {
  Request req;
  ParseResult r = ParseText(in, {}, &req);
  REQUIRE(r.status == ParseStatus::kOk);
  return req;
}

Result Make(Outcome outcome) {
  Result r;
  r.outcome = outcome;
  return r;
}

Result Hit(std::string value, uint32_t flags, uint64_t cas) {
  Result r = Make(Outcome::kHit);
  r.value = std::move(value);
  r.flags = flags;
  r.cas = cas;
  return r;
}

Result Busy(uint32_t retry_after_ms) {
  Result r = Make(Outcome::kBusy);
  r.retry_after_ms = retry_after_ms;
  return r;
}

std::string Encode(const Request& req, const std::vector<Result>& results) {
  std::string out;
  EncodeTextResults(req, results, &out);
  return out;
}

std::string Encode(std::string_view line, const std::vector<Result>& results) {
  return Encode(Parse(line), results);
}

TEST_CASE("TextEncoder: get hits and misses in key order") {
  const std::vector<Result> results = {Hit("abc", 3, 32), Make(Outcome::kMiss), Hit("", 0, 7),
                                       Hit("a\r\nb", 4294967295U, 1)};
  CHECK(Encode("get a b c a\r\n", results) ==
        "VALUE a 3 3\r\nabc\r\nVALUE c 0 0\r\n\r\nVALUE a 4294967295 4\r\na\r\nb\r\nEND\r\n");
  CHECK(
      Encode("gets a b c a\r\n", results) ==
      "VALUE a 3 3 32\r\nabc\r\nVALUE c 0 0 7\r\n\r\nVALUE a 4294967295 4 1\r\na\r\nb\r\nEND\r\n");
  CHECK(Encode("gat 10 a\r\n", {Hit("x", 1, 9)}) == "VALUE a 1 1\r\nx\r\nEND\r\n");
  CHECK(Encode("gats 10 a\r\n", {Hit("x", 1, 9)}) == "VALUE a 1 1 9\r\nx\r\nEND\r\n");
  CHECK(Encode("get a b\r\n", {Make(Outcome::kMiss), Make(Outcome::kMiss)}) == "END\r\n");
}

TEST_CASE("TextEncoder: a busy key turns a multi-get into one SERVER_ERROR line") {
  CHECK(Encode("get a b c\r\n", {Hit("x", 0, 1), Busy(25), Make(Outcome::kMiss)}) ==
        "SERVER_ERROR busy, retry in 25 ms\r\n");
  CHECK(Encode("gets a\r\n", {Busy(0)}) == "SERVER_ERROR busy, retry in 0 ms\r\n");
  CHECK(Encode("get a\r\n", {Make(Outcome::kNoMemory)}) ==
        "SERVER_ERROR out of memory writing get response\r\n");
}

TEST_CASE("TextEncoder: storage outcomes") {
  CHECK(Encode("set k 0 0 1\r\nx\r\n", {Make(Outcome::kStored)}) == "STORED\r\n");
  CHECK(Encode("add k 0 0 1\r\nx\r\n", {Make(Outcome::kNotStored)}) == "NOT_STORED\r\n");
  CHECK(Encode("cas k 0 0 1 9\r\nx\r\n", {Make(Outcome::kExists)}) == "EXISTS\r\n");
  CHECK(Encode("cas k 0 0 1 9\r\nx\r\n", {Make(Outcome::kNotFound)}) == "NOT_FOUND\r\n");
  CHECK(Encode("set k 0 0 1\r\nx\r\n", {Make(Outcome::kTooLarge)}) ==
        "SERVER_ERROR object too large for cache\r\n");
  CHECK(Encode("append k 0 0 1\r\nx\r\n", {Make(Outcome::kNoMemory)}) ==
        "SERVER_ERROR out of memory storing object\r\n");
  CHECK(Encode("set k 0 0 1\r\nx\r\n", {Busy(100)}) == "SERVER_ERROR busy, retry in 100 ms\r\n");
}

TEST_CASE("TextEncoder: delete touch incr decr outcomes") {
  CHECK(Encode("delete k\r\n", {Make(Outcome::kDeleted)}) == "DELETED\r\n");
  CHECK(Encode("delete k\r\n", {Make(Outcome::kNotFound)}) == "NOT_FOUND\r\n");
  CHECK(Encode("touch k 1\r\n", {Make(Outcome::kTouched)}) == "TOUCHED\r\n");
  CHECK(Encode("touch k 1\r\n", {Make(Outcome::kNotFound)}) == "NOT_FOUND\r\n");
  Result n = Make(Outcome::kArithOk);
  n.number = 18446744073709551615ULL;
  CHECK(Encode("incr k 1\r\n", {n}) == "18446744073709551615\r\n");
  n.number = 0;
  CHECK(Encode("decr k 10\r\n", {n}) == "0\r\n");
  CHECK(Encode("incr k 1\r\n", {Make(Outcome::kNotFound)}) == "NOT_FOUND\r\n");
  CHECK(Encode("incr k 1\r\n", {Make(Outcome::kNonNumeric)}) ==
        "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
  CHECK(Encode("decr k 1\r\n", {Make(Outcome::kNoMemory)}) == "SERVER_ERROR out of memory\r\n");
}

TEST_CASE("TextEncoder: noreply suppresses every reply, errors included") {
  for (Outcome o : {Outcome::kStored, Outcome::kNotStored, Outcome::kExists, Outcome::kNotFound,
                    Outcome::kTooLarge, Outcome::kNoMemory, Outcome::kBusy}) {
    CHECK(Encode("set k 0 0 1 noreply\r\nx\r\n", {Make(o)}).empty());
    CHECK(Encode("cas k 0 0 1 5 noreply\r\nx\r\n", {Make(o)}).empty());
  }
  CHECK(Encode("delete k noreply\r\n", {Make(Outcome::kDeleted)}).empty());
  CHECK(Encode("touch k 1 noreply\r\n", {Make(Outcome::kTouched)}).empty());
  CHECK(Encode("incr k 1 noreply\r\n", {Make(Outcome::kArithOk)}).empty());
  CHECK(Encode("decr k 1 noreply\r\n", {Make(Outcome::kNonNumeric)}).empty());
  CHECK(Encode("flush_all noreply\r\n", {Make(Outcome::kOk)}).empty());
  std::string out;
  EncodeTextServerError(Parse("set k 0 0 1 noreply\r\nx\r\n"), Outcome::kBusy, 5, &out);
  EncodeTextOk(Parse("verbosity 1 noreply\r\n"), &out);
  CHECK(out.empty());
}

TEST_CASE("TextEncoder: a too-large set answers SERVER_ERROR whatever its delete found") {
  ParserOptions options;
  options.max_item_size = 4;
  Request req;
  REQUIRE(ParseText("set k 0 0 5\r\n", options, &req).status == ParseStatus::kOk);
  for (Outcome o : {Outcome::kDeleted, Outcome::kNotFound, Outcome::kBusy}) {
    CHECK(Encode(req, {Make(o)}) == "SERVER_ERROR object too large for cache\r\n");
  }
  std::string out;
  EncodeTextServerError(req, Outcome::kBusy, 3, &out);
  CHECK(out == "SERVER_ERROR object too large for cache\r\n");
  REQUIRE(ParseText("set k 0 0 5 noreply\r\n", options, &req).status == ParseStatus::kOk);
  CHECK(Encode(req, {Make(Outcome::kDeleted)}).empty());
}

TEST_CASE("TextEncoder: flush_all") {
  CHECK(Encode("flush_all\r\n", {Make(Outcome::kOk), Make(Outcome::kOk)}) == "OK\r\n");
  CHECK(Encode("flush_all 10\r\n", {Make(Outcome::kOk), Busy(7)}) ==
        "SERVER_ERROR busy, retry in 7 ms\r\n");
}

TEST_CASE("TextEncoder: stats version verbosity shutdown") {
  std::string out;
  EncodeTextStats(Parse("stats\r\n"), {{"pid", "42"}, {"version", "1.6.18"}}, &out);
  CHECK(out == "STAT pid 42\r\nSTAT version 1.6.18\r\nEND\r\n");
  out.clear();
  EncodeTextStats(Parse("stats\r\n"), {}, &out);
  CHECK(out == "END\r\n");
  out.clear();
  EncodeTextVersion(Parse("version\r\n"), "1.6.18", &out);
  CHECK(out == "VERSION 1.6.18\r\n");
  out.clear();
  EncodeTextOk(Parse("verbosity 1\r\n"), &out);
  CHECK(out == "OK\r\n");
  out.clear();
  EncodeTextShutdownDisabled(Parse("shutdown\r\n"), &out);
  CHECK(out == "ERROR: shutdown not enabled\r\n");
}

TEST_CASE("TextEncoder: server errors for requests refused before execution") {
  std::string out;
  EncodeTextServerError(Parse("get a b\r\n"), Outcome::kBusy, 250, &out);
  CHECK(out == "SERVER_ERROR busy, retry in 250 ms\r\n");
  out.clear();
  EncodeTextServerError(Parse("set k 0 0 1\r\nx\r\n"), Outcome::kNoMemory, 0, &out);
  CHECK(out == "SERVER_ERROR out of memory storing object\r\n");
  out.clear();
  EncodeTextServerError(Parse("get k\r\n"), Outcome::kNoMemory, 0, &out);
  CHECK(out == "SERVER_ERROR out of memory writing get response\r\n");
  out.clear();
  EncodeTextServerError(Parse("incr k 1\r\n"), Outcome::kNoMemory, 0, &out);
  CHECK(out == "SERVER_ERROR out of memory\r\n");
  out.clear();
  EncodeTextServerError(Parse("stats\r\n"), Outcome::kBusy, 1, &out);
  CHECK(out == "SERVER_ERROR busy, retry in 1 ms\r\n");
}

TEST_CASE("TextEncoder: encoders append to what is already there") {
  std::string out = "STORED\r\n";
  EncodeTextResults(Parse("get a\r\n"), std::vector<Result>{Hit("v", 0, 1)}, &out);
  CHECK(out == "STORED\r\nVALUE a 0 1\r\nv\r\nEND\r\n");
}

TEST_CASE("TextEncoder: round trip, a value set is the value got") {
  const std::string value("line1\r\nline2\0end", 16);
  const std::string set = "set key 77 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  Request stored = Parse(set);
  REQUIRE(stored.commands.size() == 1);
  const core::Command& cmd = stored.commands[0];
  const std::string reply = Encode("gets key\r\n", {Hit(cmd.value, cmd.flags, 5)});
  CHECK(reply == "VALUE key 77 16 5\r\n" + value + "\r\nEND\r\n");
}

}  // namespace
}  // namespace corecached::proto
