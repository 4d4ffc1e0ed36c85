// TextParser: every classic command, whole and in fragments, and every malformed form with the
// exact bytes memcached 1.6.18 answers (each expectation below was checked against Debian's
// memcached 1.6.18 with printf | nc).

#include <doctest/doctest.h>

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/command.h"
#include "core/key_hash.h"
#include "proto/codec.h"
#include "proto/replies.h"
#include "proto/request.h"
#include "proto/text_codec.h"

namespace corecached::proto {
namespace {

using Verb = TextContext::Verb;
using namespace std::string_view_literals;

constexpr std::size_t kFragmentSizes[] = {1, 2, 5, 10, 100};

// Everything a Request holds, as text, so two parses compare field by field with a readable diff.
std::string Describe(const ParseResult& r, const Request& req) {
  std::string s = "status=" + std::to_string(static_cast<int>(r.status)) +
                  " consumed=" + std::to_string(r.consumed);
  if (r.status == ParseStatus::kNeedMore) {
    return s;
  }
  s += " kind=" + std::to_string(static_cast<int>(req.kind)) + " arg=[" + req.arg + "] reply=[" +
       req.reply + "] close=" + std::to_string(req.close_after) +
       " swallow=" + std::to_string(req.swallow);
  if (const auto* ctx = std::get_if<TextContext>(&req.context)) {
    s += " verb=" + std::to_string(static_cast<int>(ctx->verb)) +
         " noreply=" + std::to_string(ctx->noreply);
  }
  for (const core::Command& c : req.commands) {
    s += " {op=" + std::to_string(static_cast<int>(c.op)) + " key=[" + c.key +
         "] hash_ok=" + std::to_string(c.hash == core::KeyHash::Of(c.key)) + " value=[" + c.value +
         "] flags=" + std::to_string(c.flags) + " exptime=" + std::to_string(c.exptime) +
         " check_cas=" + std::to_string(c.check_cas) + " cas=" + std::to_string(c.compare_cas) +
         " delta=" + std::to_string(c.delta) + " touch=" + std::to_string(c.touch) + "}";
  }
  return s;
}

struct Parsed {
  ParseResult result;
  Request request;
};

Parsed ParseWhole(std::string_view in, ParserOptions options = {}) {
  Parsed p;
  p.result = ParseText(in, options, &p.request);
  return p;
}

// Feeds `in` `step` bytes at a time until a request comes out; every shorter prefix must give
// kNeedMore and consume nothing.
Parsed ParseInFragments(std::string_view in, std::size_t step, ParserOptions options = {}) {
  Parsed p;
  for (std::size_t size = std::min(step, in.size());; size = std::min(size + step, in.size())) {
    p.request = Request{};
    p.result = ParseText(in.substr(0, size), options, &p.request);
    if (p.result.status == ParseStatus::kOk || size == in.size()) {
      return p;
    }
    REQUIRE(p.result.consumed == 0);
  }
}

// Parses `in` whole and in every fragment size; all must agree. Returns the whole parse.
Parsed ParseAll(std::string_view in, ParserOptions options = {}) {
  Parsed whole = ParseWhole(in, options);
  const std::string expected = Describe(whole.result, whole.request);
  for (std::size_t step : kFragmentSizes) {
    Parsed part = ParseInFragments(in, step, options);
    INFO("fragment size " << step);
    CHECK(Describe(part.result, part.request) == expected);
  }
  return whole;
}

const TextContext& Ctx(const Request& req) { return std::get<TextContext>(req.context); }

// A complete request that parses to exactly this kError reply, consuming all of `in`.
void CheckError(std::string_view in, std::string_view reply, bool close = false) {
  INFO("input: " << std::string(in));
  Parsed p = ParseAll(in);
  REQUIRE(p.result.status == ParseStatus::kOk);
  CHECK(p.result.consumed == in.size());
  CHECK(p.request.kind == RequestKind::kError);
  CHECK(p.request.reply == reply);
  CHECK(p.request.close_after == close);
  CHECK(p.request.swallow == 0);
  CHECK(p.request.commands.empty());
}

// A complete keyed request with one command, consuming all of `in`.
core::Command CheckOneCommand(std::string_view in, Verb verb, bool noreply = false) {
  INFO("input: " << std::string(in));
  Parsed p = ParseAll(in);
  REQUIRE(p.result.status == ParseStatus::kOk);
  CHECK(p.result.consumed == in.size());
  REQUIRE(p.request.kind == RequestKind::kKeyed);
  REQUIRE(p.request.commands.size() == 1);
  CHECK(Ctx(p.request).verb == verb);
  CHECK(Ctx(p.request).noreply == noreply);
  CHECK(p.request.commands[0].hash == core::KeyHash::Of(p.request.commands[0].key));
  return p.request.commands[0];
}

std::vector<std::string> Keys(const Request& req) {
  std::vector<std::string> keys;
  for (const core::Command& c : req.commands) {
    keys.push_back(c.key);
  }
  return keys;
}

// ---- Storage ------------------------------------------------------------------------------------

TEST_CASE("TextParser: set") {
  core::Command c = CheckOneCommand("set foo 5 100 3\r\nbar\r\n", Verb::kSet);
  CHECK(c.op == core::Op::kSet);
  CHECK(c.key == "foo");
  CHECK(c.value == "bar");
  CHECK(c.flags == 5);
  CHECK(c.exptime == 100);
  CHECK_FALSE(c.check_cas);
}

TEST_CASE("TextParser: set with noreply") {
  core::Command c = CheckOneCommand("set foo 0 0 3 noreply\r\nbar\r\n", Verb::kSet, true);
  CHECK(c.value == "bar");
}

TEST_CASE("TextParser: set ignores a last token that is not noreply") {
  core::Command c = CheckOneCommand("set foo 0 0 1 bogus\r\nx\r\n", Verb::kSet, false);
  CHECK(c.value == "x");
}

TEST_CASE("TextParser: add replace append prepend map to their ops") {
  CHECK(CheckOneCommand("add k 1 2 1\r\na\r\n", Verb::kAdd).op == core::Op::kAdd);
  CHECK(CheckOneCommand("replace k 1 2 1\r\na\r\n", Verb::kReplace).op == core::Op::kReplace);
  CHECK(CheckOneCommand("append k 1 2 1\r\na\r\n", Verb::kAppend).op == core::Op::kAppend);
  CHECK(CheckOneCommand("prepend k 1 2 1 noreply\r\na\r\n", Verb::kPrepend, true).op ==
        core::Op::kPrepend);
}

TEST_CASE("TextParser: cas") {
  core::Command c = CheckOneCommand("cas k 7 0 2 18446744073709551615\r\nhi\r\n", Verb::kCas);
  CHECK(c.op == core::Op::kCas);
  CHECK(c.check_cas);
  CHECK(c.compare_cas == 18446744073709551615ULL);
  CHECK(c.flags == 7);
  c = CheckOneCommand("cas k 0 0 2 42 noreply\r\nhi\r\n", Verb::kCas, true);
  CHECK(c.compare_cas == 42);
}

TEST_CASE("TextParser: empty value, binary value and bare \\n line ends") {
  CHECK(CheckOneCommand("set k 0 0 0\r\n\r\n", Verb::kSet).value.empty());
  CHECK(CheckOneCommand("set k 0 0 6\r\na\r\nb\0c\r\n"sv, Verb::kSet).value == "a\r\nb\0c"sv);
  CHECK(CheckOneCommand("set k 0 0 4\r\na\r\n\0\r\n"sv, Verb::kSet).value == "a\r\n\0"sv);
  // memcached accepts a command line ending in "\n"; the data block must still end in "\r\n".
  CHECK(CheckOneCommand("set k 0 0 1\nx\r\n", Verb::kSet).value == "x");
}

TEST_CASE("TextParser: spaces between and before tokens are skipped") {
  core::Command c = CheckOneCommand("  set  k  3  0  1 \r\nx\r\n", Verb::kSet);
  CHECK(c.key == "k");
  CHECK(c.flags == 3);
}

TEST_CASE("TextParser: numbers are read as memcached's strtol/strtoul read them") {
  // flags: a 64-bit strtoul cut to 32 bits; "-N" wraps unless the result looks negative.
  CHECK(CheckOneCommand("set k 4294967296 0 1\r\nx\r\n", Verb::kSet).flags == 0);
  CHECK(CheckOneCommand("set k 18446744073709551615 0 1\r\nx\r\n", Verb::kSet).flags ==
        4294967295U);
  CHECK(CheckOneCommand("set k -18446744073709551615 0 1\r\nx\r\n", Verb::kSet).flags == 1);
  CHECK(CheckOneCommand("set k -0 0 1\r\nx\r\n", Verb::kSet).flags == 0);
  CHECK(CheckOneCommand("set k +5 0 1\r\nx\r\n", Verb::kSet).flags == 5);
  CHECK(CheckOneCommand("set k 1\t 0 1\r\nx\r\n", Verb::kSet).flags == 1);
  // exptime and bytes: strtol cut to 32 bits.
  CHECK(CheckOneCommand("set k 0 -1 1\r\nx\r\n", Verb::kSet).exptime == -1);
  CHECK(CheckOneCommand("set k 0 4294967296 1\r\nx\r\n", Verb::kSet).exptime == 0);
  CHECK(CheckOneCommand("set k 0 0 4294967297\r\nx\r\n", Verb::kSet).value == "x");
  CHECK(CheckOneCommand("set k 0 0 -4294967295\r\nx\r\n", Verb::kSet).value == "x");
  CHECK(CheckOneCommand("set k 0 0 01\r\nx\r\n", Verb::kSet).value == "x");
}

TEST_CASE("TextParser: a key of exactly 250 bytes is accepted") {
  const std::string key(250, 'k');
  CHECK(CheckOneCommand("set " + key + " 0 0 1\r\nx\r\n", Verb::kSet).key == key);
  CHECK(CheckOneCommand("get " + key + "\r\n", Verb::kGet).key == key);
}

TEST_CASE("TextParser: storage errors") {
  const std::string bad(replies::kTextBadCommandLineFormat);
  const std::string long_key(251, 'k');
  CheckError("set k 0 0 -1\r\n", bad);
  CheckError("set k 0 0 abc\r\n", bad);
  CheckError("set k 0 0 1x\r\n", bad);
  CheckError("set k -1 0 1\r\n", bad);
  CheckError("set k x 0 1\r\n", bad);
  CheckError("set k 0 abc 1\r\n", bad);
  CheckError("set k 99999999999999999999 0 1\r\n", bad);
  CheckError("set k 0 99999999999999999999 1\r\n", bad);
  CheckError("set k 0 0 2147483646\r\n", bad);  // INT_MAX - 1: no room for "\r\n"
  CheckError("set k 0 0 2147483647\r\n", bad);
  CheckError("cas k 0 0 1 x\r\n", bad);
  CheckError("cas k 0 0 1 -1\r\n", bad);
  CheckError("set " + long_key + " 0 0 1\r\n", bad);
  // Wrong token counts are ERROR, and noreply does not silence them.
  CheckError("set k 0 0\r\n", replies::kTextError);
  CheckError("set k 0 0 1 noreply extra\r\n", replies::kTextError);
  CheckError("cas k 0 0 1\r\n", replies::kTextError);
  CheckError("SET k 0 0 1\r\n", replies::kTextError);
}

TEST_CASE("TextParser: a bad command line does not swallow the data block") {
  // memcached reads "x\r\n" as the next command: CLIENT_ERROR then ERROR.
  const std::string_view in = "set k -1 0 1\r\nx\r\n";
  Parsed first = ParseWhole(in);
  REQUIRE(first.result.status == ParseStatus::kOk);
  CHECK(first.result.consumed == 14);
  CHECK(first.request.reply == replies::kTextBadCommandLineFormat);
  CHECK(first.request.swallow == 0);
  Parsed second = ParseWhole(in.substr(first.result.consumed));
  CHECK(second.request.reply == replies::kTextError);
  CHECK(second.result.consumed == 3);
}

TEST_CASE("TextParser: noreply silences storage errors") {
  CheckError("set k 0 0 -1 noreply\r\n", "");
  CheckError("set k x 0 1 noreply\r\n", "");
  CheckError("set " + std::string(251, 'k') + " 0 0 1 noreply\r\n", "");
  // "noreply" in the bytes position both sets noreply and is a bad number.
  CheckError("set k 0 0 noreply\r\n", "");
}

TEST_CASE("TextParser: bad data chunk") {
  CheckError("set k 0 0 1\r\nxAB", replies::kTextBadDataChunk);
  CheckError("set k 0 0 1\r\nx\nZ", replies::kTextBadDataChunk);
  CheckError("set k 0 0 1\r\nx\rZ", replies::kTextBadDataChunk);
  CheckError("set k 0 0 1 noreply\r\nxAB", "");
  // Exactly <bytes> + 2 are taken; memcached then reads the leftover "\n" as an empty line.
  const std::string_view in = "set k 0 0 1\r\nxy\r\n";
  Parsed first = ParseWhole(in);
  CHECK(first.result.consumed == 16);
  CHECK(first.request.reply == replies::kTextBadDataChunk);
  Parsed second = ParseWhole(in.substr(16));
  CHECK(second.request.reply == replies::kTextError);
}

TEST_CASE("TextParser: a value over max_item_size is refused at once and swallowed") {
  ParserOptions options;
  options.max_item_size = 10;
  for (std::string_view line : {"add k 0 0 11\r\n", "append k 0 0 11 noreply\r\n",
                                "cas k 0 0 11 5\r\n", "prepend k 0 0 11\r\n"}) {
    const bool noreply = line.find("noreply") != std::string_view::npos;
    // Only the command line is needed; the data block is left to the session to discard.
    Parsed p = ParseAll(line, options);
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed == line.size());
    CHECK(p.request.kind == RequestKind::kError);
    CHECK(p.request.reply == (noreply ? "" : replies::kTextObjectTooLarge));
    CHECK(p.request.swallow == 13);
    CHECK_FALSE(p.request.close_after);
    CHECK_FALSE(Ctx(p.request).too_large);
  }
  CHECK(ParseWhole("set k 0 0 10\r\n0123456789\r\n", options).request.kind == RequestKind::kKeyed);
}

TEST_CASE("TextParser: a set over max_item_size also deletes the old item") {
  // memcached: "set k 0 0 1\r\nx\r\n" then a too-large set of k, then "get k" answers END.
  ParserOptions options;
  options.max_item_size = 10;
  for (std::string_view line : {"set k 0 0 11\r\n", "set k 0 0 11 noreply\r\n"}) {
    Parsed p = ParseAll(line, options);
    REQUIRE(p.result.status == ParseStatus::kOk);
    CHECK(p.result.consumed == line.size());
    CHECK(p.request.kind == RequestKind::kKeyed);
    REQUIRE(p.request.commands.size() == 1);
    CHECK(p.request.commands[0].op == core::Op::kDelete);
    CHECK(p.request.commands[0].key == "k");
    CHECK(p.request.commands[0].hash == core::KeyHash::Of("k"));
    CHECK(p.request.swallow == 13);
    CHECK(Ctx(p.request).too_large);
    CHECK(Ctx(p.request).verb == Verb::kSet);
    CHECK(Ctx(p.request).noreply == (line.find("noreply") != std::string_view::npos));
  }
}

TEST_CASE("TextParser: storage waits for the whole data block") {
  Request req;
  for (std::string_view in : {"set k 0 0 5\r\n", "set k 0 0 5\r\nabc", "set k 0 0 5\r\nabcde",
                              "set k 0 0 5\r\nabcde\r", "set k 0 0 5"}) {
    ParseResult r = ParseText(in, {}, &req);
    CHECK(r.status == ParseStatus::kNeedMore);
    CHECK(r.consumed == 0);
  }
}

// ---- Retrieval ----------------------------------------------------------------------------------

TEST_CASE("TextParser: get one key") {
  core::Command c = CheckOneCommand("get foo\r\n", Verb::kGet);
  CHECK(c.op == core::Op::kGet);
  CHECK(c.key == "foo");
  CHECK_FALSE(c.touch);
}

TEST_CASE("TextParser: get many keys keeps their order, duplicates included") {
  Parsed p = ParseAll("get a b a noreply\r\n");
  REQUIRE(p.request.kind == RequestKind::kKeyed);
  // get has no noreply: memcached looks it up as a key.
  CHECK(Keys(p.request) == std::vector<std::string>{"a", "b", "a", "noreply"});
  CHECK_FALSE(Ctx(p.request).noreply);
}

TEST_CASE("TextParser: get with more keys than memcached's 24 tokens") {
  std::string line = "gets";
  std::vector<std::string> expected;
  for (int i = 0; i < 60; ++i) {
    expected.push_back("key" + std::to_string(i));
    line += (i % 7 == 0 ? "   " : " ") + expected.back();
  }
  Parsed p = ParseAll(line + "  \r\n");
  REQUIRE(p.request.kind == RequestKind::kKeyed);
  CHECK(Ctx(p.request).verb == Verb::kGets);
  CHECK(Keys(p.request) == expected);
}

TEST_CASE("TextParser: gat and gats") {
  Parsed p = ParseAll("gat 300 a b\r\n");
  REQUIRE(p.request.kind == RequestKind::kKeyed);
  CHECK(Ctx(p.request).verb == Verb::kGat);
  REQUIRE(p.request.commands.size() == 2);
  for (const core::Command& c : p.request.commands) {
    CHECK(c.op == core::Op::kGet);
    CHECK(c.touch);
    CHECK(c.exptime == 300);
  }
  core::Command c = CheckOneCommand("gats -1 k\r\n", Verb::kGats);
  CHECK(c.touch);
  CHECK(c.exptime == -1);
  CHECK(CheckOneCommand("bget k\r\n", Verb::kGet).key == "k");
}

TEST_CASE("TextParser: gat without keys answers END") {
  CheckError("gat 10\r\n", replies::kTextEnd);
}

TEST_CASE("TextParser: retrieval errors") {
  const std::string long_key(251, 'k');
  CheckError("get\r\n", replies::kTextError);
  CheckError("gat\r\n", replies::kTextError);
  CheckError("gx a\r\n", replies::kTextError);
  CheckError("get a " + long_key + " b\r\n", replies::kTextBadCommandLineFormat);
  CheckError("gat 10 a " + long_key + "\r\n", replies::kTextBadCommandLineFormat);
  CheckError("gat x a\r\n", replies::kTextInvalidExptime);
  CheckError("gats 1x a\r\n", replies::kTextInvalidExptime);
}

// ---- delete, incr/decr, touch -------------------------------------------------------------------

TEST_CASE("TextParser: delete") {
  CHECK(CheckOneCommand("delete k\r\n", Verb::kDelete).op == core::Op::kDelete);
  CHECK(CheckOneCommand("delete k 0\r\n", Verb::kDelete).key == "k");
  CHECK(CheckOneCommand("delete k noreply\r\n", Verb::kDelete, true).key == "k");
  CHECK(CheckOneCommand("delete k 0 noreply\r\n", Verb::kDelete, true).key == "k");
}

TEST_CASE("TextParser: delete with a time") {
  CheckError("delete k 5\r\n", replies::kTextDeleteUsage);
  CheckError("delete k 0 0\r\n", replies::kTextDeleteUsage);
  CheckError("delete " + std::string(251, 'k') + " 5\r\n", replies::kTextDeleteUsage);
  CheckError("delete k 5 noreply\r\n", "");
  CheckError("delete\r\n", replies::kTextError);
  CheckError("delete a b c d\r\n", replies::kTextError);
  CheckError("delete " + std::string(251, 'k') + "\r\n", replies::kTextBadCommandLineFormat);
  CheckError("delete " + std::string(251, 'k') + " noreply\r\n", "");
}

TEST_CASE("TextParser: incr and decr") {
  core::Command c = CheckOneCommand("incr n 18446744073709551615\r\n", Verb::kIncr);
  CHECK(c.op == core::Op::kIncr);
  CHECK(c.delta == 18446744073709551615ULL);
  c = CheckOneCommand("decr n 3 noreply\r\n", Verb::kDecr, true);
  CHECK(c.op == core::Op::kDecr);
  CHECK(c.delta == 3);
  CHECK(CheckOneCommand("incr n -0\r\n", Verb::kIncr).delta == 0);
  CHECK(CheckOneCommand("incr n 1 x\r\n", Verb::kIncr).delta == 1);
}

TEST_CASE("TextParser: incr and decr errors") {
  CheckError("incr n\r\n", replies::kTextError);
  CheckError("decr n 1 2 3\r\n", replies::kTextError);
  CheckError("incr n -1\r\n", replies::kTextInvalidDelta);
  CheckError("incr n abc\r\n", replies::kTextInvalidDelta);
  CheckError("decr n 18446744073709551616\r\n", replies::kTextInvalidDelta);
  CheckError("incr n abc noreply\r\n", "");
  CheckError("incr " + std::string(251, 'k') + " 1\r\n", replies::kTextBadCommandLineFormat);
}

TEST_CASE("TextParser: touch") {
  core::Command c = CheckOneCommand("touch k 10\r\n", Verb::kTouch);
  CHECK(c.op == core::Op::kTouch);
  CHECK(c.exptime == 10);
  CHECK(CheckOneCommand("touch k -5 noreply\r\n", Verb::kTouch, true).exptime == -5);
  CheckError("touch k\r\n", replies::kTextError);
  CheckError("touch k 1 2 3\r\n", replies::kTextError);
  CheckError("touch k x\r\n", replies::kTextInvalidExptime);
  CheckError("touch k x noreply\r\n", "");
  CheckError("touch " + std::string(251, 'k') + " 10\r\n", replies::kTextBadCommandLineFormat);
}

// ---- Server-level commands ----------------------------------------------------------------------

Parsed CheckKind(std::string_view in, RequestKind kind, Verb verb, bool noreply = false) {
  INFO("input: " << std::string(in));
  Parsed p = ParseAll(in);
  REQUIRE(p.result.status == ParseStatus::kOk);
  CHECK(p.result.consumed == in.size());
  CHECK(p.request.kind == kind);
  CHECK(Ctx(p.request).verb == verb);
  CHECK(Ctx(p.request).noreply == noreply);
  return p;
}

TEST_CASE("TextParser: flush_all") {
  struct Case {
    std::string_view in;
    int64_t delay;
    bool noreply;
  };
  for (const Case& c :
       {Case{"flush_all\r\n", 0, false}, Case{"flush_all 0\r\n", 0, false},
        Case{"flush_all 30\r\n", 30, false}, Case{"flush_all -5\r\n", 0, false},
        Case{"flush_all noreply\r\n", 0, true}, Case{"flush_all 7 noreply\r\n", 7, true},
        Case{"flush_all 10 junk\r\n", 10, false}}) {
    Parsed p = CheckKind(c.in, RequestKind::kFlushAll, Verb::kFlushAll, c.noreply);
    REQUIRE(p.request.commands.size() == 1);
    CHECK(p.request.commands[0].op == core::Op::kFlushAll);
    CHECK(p.request.commands[0].exptime == c.delay);
  }
  CheckError("flush_all x\r\n", replies::kTextInvalidExptime);
  CheckError("flush_all noreply 10\r\n", replies::kTextInvalidExptime);
  CheckError("flush_all x noreply\r\n", "");
  CheckError("flush_all 1 2 3\r\n", replies::kTextError);
}

TEST_CASE("TextParser: verbosity") {
  CHECK(CheckKind("verbosity 1\r\n", RequestKind::kVerbosity, Verb::kVerbosity).request.arg == "1");
  CHECK(CheckKind("verbosity +2 noreply\r\n", RequestKind::kVerbosity, Verb::kVerbosity, true)
            .request.arg == "2");
  CHECK(CheckKind("verbosity 1 junk\r\n", RequestKind::kVerbosity, Verb::kVerbosity).request.arg ==
        "1");
  CheckError("verbosity\r\n", replies::kTextError);
  CheckError("verbosity 1 2 3\r\n", replies::kTextError);
  CheckError("verbosity x\r\n", replies::kTextBadCommandLineFormat);
  CheckError("verbosity noreply\r\n", "");
}

TEST_CASE("TextParser: version quit stats shutdown") {
  CheckKind("version\r\n", RequestKind::kVersion, Verb::kVersion);
  CheckKind("version x y\r\n", RequestKind::kVersion, Verb::kVersion);
  CHECK(CheckKind("quit\r\n", RequestKind::kQuit, Verb::kQuit).request.close_after);
  CHECK(CheckKind("stats\r\n", RequestKind::kStats, Verb::kStats).request.arg.empty());
  CHECK(CheckKind("stats  settings\r\n", RequestKind::kStats, Verb::kStats).request.arg ==
        "settings");
  CHECK(CheckKind("stats detail on\r\n", RequestKind::kStats, Verb::kStats).request.arg ==
        "detail on");
  CHECK(CheckKind("shutdown\r\n", RequestKind::kShutdown, Verb::kShutdown).request.arg.empty());
  CHECK(CheckKind("shutdown graceful\r\n", RequestKind::kShutdown, Verb::kShutdown).request.arg ==
        "graceful");
}

// ---- Lines memcached refuses --------------------------------------------------------------------

TEST_CASE("TextParser: unknown commands and empty lines") {
  CheckError("bogus\r\n", replies::kTextError);
  CheckError("\r\n", replies::kTextError);
  CheckError("\n", replies::kTextError);
  CheckError("   \r\n", replies::kTextError);
  CheckError("x\r\n", replies::kTextError);          // names are at least two bytes
  CheckError("version\r\r\n", replies::kTextError);  // only one "\r" is stripped
  CheckError("mx a\r\n", replies::kTextError);
  CheckError("mget a\r\n", replies::kTextError);
}

TEST_CASE("TextParser: a NUL ends the command line as in memcached") {
  CheckKind("version\0junk\r\n"sv, RequestKind::kVersion, Verb::kVersion);
  CheckError("versio\0n\r\n"sv, replies::kTextError);
}

TEST_CASE("issue #10: the NUL search stays inside the request's own line") {
  // A pipelined read holds many requests; a NUL in a later one must not touch this one (the
  // search used to scan the whole unparsed buffer for every request: quadratic per read).
  const Parsed first = ParseWhole("version\r\nversio\0n\r\n"sv);
  CHECK(first.result.status == ParseStatus::kOk);
  CHECK(first.result.consumed == 9);
  CHECK(first.request.kind == RequestKind::kVersion);
  std::string pipelined;
  for (int i = 0; i < 1000; ++i) {
    pipelined += "get k" + std::to_string(i) + "\r\n";
  }
  pipelined += "ge\0t x\r\n"sv;
  CHECK(Keys(ParseWhole(pipelined).request) == std::vector<std::string>{"k0"});
}

TEST_CASE("TextParser: an HTTP request line closes without a reply") {
  CheckError("GET / HTTP/1.1\r\n", "", true);
  CheckError("POST /x HTTP/1.0\r\n", "", true);
  CheckError("xy HTTP/\r\n", "", true);
  // memcached's g/s/a/c/i/d/t branches answer ERROR before looking for HTTP/.
  CheckError("gx / HTTP/1.1\r\n", replies::kTextError);
  // Only the 23rd token is looked at once a line has more than memcached's 24 tokens.
  std::string keys;
  for (int i = 0; i < 21; ++i) {
    keys += " k" + std::to_string(i);
  }
  CheckError("bogus" + keys + " HTTP/1.1\r\n", "", true);
  CheckError("bogus" + keys + " k21 HTTP/1.1\r\n", replies::kTextError);
  // A get with HTTP/ is a get.
  CHECK(Keys(ParseWhole("get / HTTP/1.1\r\n").request) ==
        std::vector<std::string>{"/", "HTTP/1.1"});
}

TEST_CASE("TextParser: too many tokens") {
  std::string extra;
  for (int i = 0; i < 30; ++i) {
    extra += " t" + std::to_string(i);
  }
  CheckError("append k 0 0 1 noreply" + extra + "\r\n", replies::kTextError);
  CheckError("incr k 1" + extra + "\r\n", replies::kTextError);
  CheckKind("version" + extra + "\r\n", RequestKind::kVersion, Verb::kVersion);
}

TEST_CASE("TextParser: a line without newline over 2048 bytes closes the connection") {
  Request req;
  const std::string set_line = "set " + std::string(2044, 'k');
  ParseResult r = ParseText(set_line, {}, &req);  // exactly 2048: still waiting
  CHECK(r.status == ParseStatus::kNeedMore);
  CHECK(r.consumed == 0);
  for (const std::string& in : {set_line + "k", "mg " + std::string(2100, 'k'),
                                "gat 0 " + std::string(3000, 'k'), std::string(3000, ' ')}) {
    req = Request{};
    r = ParseText(in, {}, &req);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(r.consumed == in.size());
    CHECK(req.kind == RequestKind::kError);
    CHECK(req.reply.empty());
    CHECK(req.close_after);
  }
  // With its newline present, a long line is parsed like any other (memcached: bad key length).
  // Fed in fragments it would have closed first, as in memcached, so this one runs whole only.
  Parsed p = ParseWhole("set " + std::string(3000, 'k') + " 0 0 1\r\n");
  CHECK(p.request.reply == replies::kTextBadCommandLineFormat);
  CHECK_FALSE(p.request.close_after);
}

TEST_CASE("TextParser: a long multi-get line may wait for its newline, up to 64 KiB") {
  Request req;
  std::string keys;
  while (keys.size() < 60 * 1024) {
    keys += " " + std::string(200, 'a' + static_cast<char>(keys.size() % 26));
  }
  for (std::string prefix : {"get", "gets", "  get"}) {
    ParseResult r = ParseText(prefix + keys, {}, &req);
    CHECK(r.status == ParseStatus::kNeedMore);
    CHECK(r.consumed == 0);
    r = ParseText(prefix + keys + "\r\n", {}, &req);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(req.kind == RequestKind::kKeyed);
    CHECK(req.commands.size() > 300);
  }
  // More than 100 leading spaces, or beyond the bound: closed.
  for (const std::string& in :
       {std::string(101, ' ') + "get" + keys, "get" + keys + keys, "get" + keys + keys + "\r\n"}) {
    req = Request{};
    ParseResult r = ParseText(in, {}, &req);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(req.close_after);
    CHECK(req.reply.empty());
  }
}

// ---- Streams ------------------------------------------------------------------------------------

TEST_CASE("TextParser: pipelined requests back to back") {
  const std::string_view stream =
      "set a 0 0 1\r\n1\r\nget a b\r\nbogus\r\nincr a 5 noreply\ndelete a\r\nset b 0 0 2\r\nxy\r\n";
  std::vector<std::string> got;
  std::size_t pos = 0;
  for (int i = 0; i < 10 && pos < stream.size(); ++i) {
    Request req;
    ParseResult r = ParseText(stream.substr(pos), {}, &req);
    REQUIRE(r.status == ParseStatus::kOk);
    REQUIRE(r.consumed > 0);
    pos += r.consumed;
    std::string s = std::to_string(static_cast<int>(Ctx(req).verb)) + ":" + req.reply;
    for (const core::Command& c : req.commands) {
      s += c.key + "=" + c.value + ";";
    }
    got.push_back(s);
  }
  CHECK(pos == stream.size());
  const auto v = [](Verb verb) { return std::to_string(static_cast<int>(verb)) + ":"; };
  CHECK(got == std::vector<std::string>{v(Verb::kSet) + "a=1;", v(Verb::kGet) + "a=;b=;",
                                        v(Verb::kOther) + "ERROR\r\n", v(Verb::kIncr) + "a=;",
                                        v(Verb::kDelete) + "a=;", v(Verb::kSet) + "b=xy;"});
}

TEST_CASE("TextParser: empty and partial input consume nothing") {
  Request req;
  for (std::string_view in : {"", "g", "get", "get foo", "get foo\r", "set k 0 0 1\r\nx\r"}) {
    ParseResult r = ParseText(in, {}, &req);
    CHECK(r.status == ParseStatus::kNeedMore);
    CHECK(r.consumed == 0);
  }
}

// ---- Meta commands ride on text connections ----------------------------------------------------

TEST_CASE("TextParser: meta verbs are handed to ParseMeta") {
  // memcached's rule: a first token of exactly two bytes, 'm' and one of g s d n a e.
  for (std::string_view in : {"mn\r\n"sv, "  mn\r\n"sv, "mg foo v\r\n"sv, "md foo q\r\n"sv}) {
    INFO("input: " << std::string(in));
    Request req;
    ParseResult r = ParseText(in, {}, &req);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(r.consumed == in.size());
    CHECK(std::holds_alternative<MetaContext>(req.context));
  }
  Request req;
  CHECK(ParseText("ms foo 3\r\nab", {}, &req).status == ParseStatus::kNeedMore);
}

}  // namespace
}  // namespace corecached::proto
