// Store's cold half (store_cold.cc): clean demotion (issue #14). A promoted item that nothing
// changed goes back to its record without a write; every command that changes the item makes its
// next demotion write a new record; and whatever the path, a read after the demotion, after a
// restart with shutdown's flush (SIGTERM) or without it (kill -9: only committed records survive)
// returns what a read returned just before the demotion.
#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "../cold_fixture.h"
#include "../test_commands.h"
#include "cold/record.h"
#include "shard/store.h"

namespace corecached::shard {
namespace {

using core::Command;
using core::Op;
using core::Outcome;
using core::Result;
using test::Cmd;
using test::ColdFixture;
using test::kStart;
using test::OpenIo;
using test::TempDir;

constexpr const char* kKey = "p";
constexpr uint32_t kFlags = 7;

// The record the cold store holds for `key` (committed), or nothing.
std::optional<cold::RecordMeta> RecordOf(ColdFixture& f, const std::string& key) {
  std::optional<cold::RecordMeta> found;
  auto scanned = f.io->Store().Scan([&](cold::ColdKey k, const cold::RecordMeta& meta) {
    if (k == key) {
      found = meta;
    }
  });
  REQUIRE(scanned);
  return found;
}

// A read that changes nothing (no LRU bump, no admission): kColdLoading when the key is cold and
// its value is not loaded yet.
Command Peek(const std::string& key) {
  Command get = Cmd(Op::kGet, key);
  get.no_lru_bump = true;
  return get;
}

bool IsCold(ColdFixture& f, const std::string& key) {
  const Result r = f.store.Execute(Peek(key));
  f.RunIo();  // completes the load a cold peek started
  return r.outcome == Outcome::kColdLoading;
}

// Pushes every hot item out: 60 new 20 KB values through the 1 MB store.
void PushOut(ColdFixture& f) {
  for (int i = 0; i < 60; ++i) {
    const std::string key = "z" + std::to_string(i);
    CHECK(f.Run(Cmd(Op::kSet, key, test::ValueFor(i))).outcome == Outcome::kStored);
  }
  f.RunIo();
}

// Stores kKey (flags kFlags), pushes it to the cold tier, promotes it (admission: second read).
void ColdThenPromoted(ColdFixture& f, const std::string& value) {
  Command set = Cmd(Op::kSet, kKey, value);
  set.flags = kFlags;
  REQUIRE(f.Run(set).outcome == Outcome::kStored);
  f.Fill(150);
  REQUIRE(IsCold(f, kKey));
  const uint64_t promotions = f.store.Stats().cold_promotions.Get();
  CHECK(f.Value(kKey) == value);
  CHECK(f.Value(kKey) == value);
  REQUIRE(f.store.Stats().cold_promotions.Get() == promotions + 1);
  REQUIRE_FALSE(IsCold(f, kKey));
}

void CheckSame(const Result& got, const Result& want) {
  REQUIRE(got.outcome == Outcome::kHit);
  CHECK(got.value == want.value);
  CHECK(got.flags == want.flags);
  CHECK(got.cas == want.cas);
  CHECK(got.ttl_seconds <= want.ttl_seconds);
  CHECK(got.ttl_seconds >= (want.ttl_seconds < 0 ? -1 : want.ttl_seconds - 5));
}

struct Change {
  const char* name;
  std::string initial;
  std::function<void(ColdFixture&)> apply;  // checks its own outcome
  bool clean;                               // the next demotion writes no new record
};

Command WithExptime(Command cmd, int64_t exptime) {
  cmd.exptime = exptime;
  return cmd;
}

Command Delta(Op op, uint64_t delta) {
  Command cmd = Cmd(op, kKey);
  cmd.delta = delta;
  return cmd;
}

std::vector<Change> Changes() {
  std::vector<Change> changes;
  changes.push_back({"nothing (reads only)", "unchanged",
                     [](ColdFixture& f) { CHECK(f.Value(kKey) == "unchanged"); }, true});
  changes.push_back({"incr in place", "41",
                     [](ColdFixture& f) { CHECK(f.Run(Delta(Op::kIncr, 1)).number == 42); },
                     false});
  changes.push_back({"decr in place (padded)", "100",
                     [](ColdFixture& f) {
                       CHECK(f.Run(Delta(Op::kDecr, 1)).number == 99);
                       CHECK(f.Value(kKey) == "99 ");
                     },
                     false});
  changes.push_back({"incr to a longer value", "99",
                     [](ColdFixture& f) { CHECK(f.Run(Delta(Op::kIncr, 1)).number == 100); },
                     false});
  changes.push_back({"incr with a new TTL (ma T)", "5",
                     [](ColdFixture& f) {
                       Command ma = Delta(Op::kIncr, 2);
                       ma.update_ttl = true;
                       ma.exptime = 700;
                       CHECK(f.Run(ma).number == 7);
                     },
                     false});
  changes.push_back({"append", "mid",
                     [](ColdFixture& f) {
                       CHECK(f.Run(Cmd(Op::kAppend, kKey, ">")).outcome == Outcome::kStored);
                     },
                     false});
  changes.push_back({"prepend", "mid",
                     [](ColdFixture& f) {
                       CHECK(f.Run(Cmd(Op::kPrepend, kKey, "<")).outcome == Outcome::kStored);
                     },
                     false});
  changes.push_back({"set with other flags", "old",
                     [](ColdFixture& f) {
                       Command set = Cmd(Op::kSet, kKey, "new");
                       set.flags = kFlags + 1;
                       CHECK(f.Run(set).outcome == Outcome::kStored);
                     },
                     false});
  changes.push_back({"cas", "old",
                     [](ColdFixture& f) {
                       Command cas = Cmd(Op::kCas, kKey, "swapped");
                       cas.flags = kFlags;
                       cas.compare_cas = f.Run(Peek(kKey)).cas;
                       CHECK(f.Run(cas).outcome == Outcome::kStored);
                     },
                     false});
  changes.push_back({"md I (stale, new cas)", "kept",
                     [](ColdFixture& f) {
                       Command md = Cmd(Op::kDelete, kKey);
                       md.invalidate = true;
                       const uint64_t before = f.Run(Peek(kKey)).cas;
                       CHECK(f.Run(md).outcome == Outcome::kDeleted);
                       CHECK(f.Run(Peek(kKey)).cas != before);
                     },
                     false});
  changes.push_back({"touch (record exptime set in place)", "t",
                     [](ColdFixture& f) {
                       const Command touch = WithExptime(Cmd(Op::kTouch, kKey), 1000);
                       CHECK(f.Run(touch).outcome == Outcome::kTouched);
                     },
                     true});
  changes.push_back({"gat", "g",
                     [](ColdFixture& f) {
                       Command gat = WithExptime(Cmd(Op::kGet, kKey), 2000);
                       gat.touch = true;
                       CHECK(f.Run(gat).value == "g");
                     },
                     true});
  changes.push_back({"mg T", "m",
                     [](ColdFixture& f) {
                       Command mg = WithExptime(Cmd(Op::kGet, kKey), 3000);
                       mg.touch = true;
                       mg.ttl_steps[0] = 'T';
                       CHECK(f.Run(mg).outcome == Outcome::kHit);
                     },
                     true});
  changes.push_back(
      {"touch, then touch back to no expiry", "b",
       [](ColdFixture& f) {
         CHECK(f.Run(WithExptime(Cmd(Op::kTouch, kKey), 50)).outcome == Outcome::kTouched);
         CHECK(f.Run(WithExptime(Cmd(Op::kTouch, kKey), 0)).outcome == Outcome::kTouched);
       },
       true});
  return changes;
}

TEST_CASE("issue #14: every change to a promoted item makes its next demotion write; none, none") {
  for (const Change& change : Changes()) {
    CAPTURE(change.name);
    TempDir dir;
    auto io = OpenIo(dir.path);
    Result before;
    {
      ColdFixture f(io);
      ColdThenPromoted(f, change.initial);
      const std::optional<cold::RecordMeta> promoted_record = RecordOf(f, kKey);
      REQUIRE(promoted_record);  // a promotion keeps the record
      change.apply(f);
      before = f.Run(Peek(kKey));  // what every later read must return
      REQUIRE(before.outcome == Outcome::kHit);
      const uint64_t clean = f.store.Stats().cold_clean_demotions.Get();
      PushOut(f);
      REQUIRE(IsCold(f, kKey));
      CHECK(f.store.Stats().cold_clean_demotions.Get() == clean + (change.clean ? 1 : 0));
      const std::optional<cold::RecordMeta> record = RecordOf(f, kKey);
      REQUIRE(record);
      if (change.clean) {
        CHECK(record->write_id == promoted_record->write_id);
      } else {
        CHECK(record->write_id > promoted_record->write_id);
      }
      CHECK(record->cas == before.cas);
      CHECK(record->flags == before.flags);
      CHECK(record->value_size == before.value.size());
      CHECK(record->exptime == (before.ttl_seconds < 0 ? 0 : kStart + before.ttl_seconds));
      CheckSame(f.Run(Peek(kKey)), before);  // served from the tier
      CHECK(f.store.Stats().evictions.Get() == 0);
    }  // dropped without shutdown's flush: as after kill -9, only committed records remain
    ColdFixture g(io);
    CheckSame(g.Run(Peek(kKey)), before);
  }
}

TEST_CASE("issue #14: a clean item goes back to its record at shutdown too; restart serves it") {
  TempDir dir;
  auto io = OpenIo(dir.path);
  Result before;
  uint64_t write_id = 0;
  {
    ColdFixture f(io);
    ColdThenPromoted(f, "survives");
    write_id = RecordOf(f, kKey)->write_id;
    before = f.Run(Peek(kKey));
    const uint64_t clean = f.store.Stats().cold_clean_demotions.Get();
    for (int i = 0; i < 1000 && !f.store.FlushStep(); ++i) {
      f.RunIo();
    }
    REQUIRE(f.store.FlushStep());
    CHECK(f.store.Stats().cold_clean_demotions.Get() == clean + 1);
    CHECK(RecordOf(f, kKey)->write_id == write_id);
  }
  ColdFixture g(io);
  CheckSame(g.Run(Peek(kKey)), before);
  // Promoted again after the restart, changed, flushed: the new value is written.
  CHECK(g.Value(kKey) == "survives");
  CHECK(g.Value(kKey) == "survives");
  CHECK(g.Run(Cmd(Op::kAppend, kKey, "!")).outcome == Outcome::kStored);
  for (int i = 0; i < 1000 && !g.store.FlushStep(); ++i) {
    g.RunIo();
  }
  REQUIRE(g.store.FlushStep());
  CHECK(RecordOf(g, kKey)->write_id > write_id);
  ColdFixture h(io);
  CHECK(h.Value(kKey) == "survives!");
}

TEST_CASE("issue #14: a change after a clean demotion and a second promotion is written") {
  TempDir dir;
  ColdFixture f(OpenIo(dir.path));
  ColdThenPromoted(f, "10");
  PushOut(f);
  REQUIRE(IsCold(f, kKey));
  CHECK(f.store.Stats().cold_clean_demotions.Get() == 1);
  const uint64_t write_id = RecordOf(f, kKey)->write_id;
  CHECK(f.Value(kKey) == "10");  // admission: this read promotes (the peek read it once)
  REQUIRE_FALSE(IsCold(f, kKey));
  CHECK(f.Run(Delta(Op::kIncr, 5)).number == 15);
  PushOut(f);
  REQUIRE(IsCold(f, kKey));
  CHECK(f.store.Stats().cold_clean_demotions.Get() == 1);
  CHECK(RecordOf(f, kKey)->write_id > write_id);
  CHECK(f.Run(Peek(kKey)).value == "15");
}

}  // namespace
}  // namespace corecached::shard
