#include "cold/cold_store.h"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "cold/cold_io.h"

namespace corecached::cold {
namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/cold_test_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST_CASE("ColdStore: put, get, erase, scan with a real LMDB") {
  TempDir dir;
  auto store = ColdStore::Open(dir.path, 8 << 20);
  REQUIRE(store);
  RecordMeta meta;
  meta.write_id = 3;
  {
    auto txn = (*store)->BeginWrite();
    REQUIRE(txn);
    CHECK(!(*store)->Put(*txn, "a", EncodeRecord("a", meta, "alpha")));
    CHECK(!(*store)->Put(*txn, "b", EncodeRecord("b", meta, "beta")));
    CHECK(!(*store)->Put(*txn, "bad", "garbage"));
    CHECK(!txn->Commit());
  }
  {
    auto txn = (*store)->BeginRead();
    auto a = (*store)->Get(*txn, "a", 3);
    REQUIRE(a);
    CHECK(a->value == "alpha");
    CHECK((*store)->Get(*txn, "a", 4).Error() == LmdbError(MDB_NOTFOUND));
    CHECK((*store)->Get(*txn, "bad", 0).Error() == LmdbError(MDB_CORRUPTED));
  }
  int seen = 0;
  auto dropped = (*store)->Scan([&](ColdKey, const RecordMeta&) { ++seen; });
  REQUIRE(dropped);
  CHECK(*dropped == 1);
  CHECK(seen == 2);
  {
    auto txn = (*store)->BeginWrite();
    CHECK(!(*store)->Erase(*txn, "a"));
    CHECK(!(*store)->Erase(*txn, "missing"));
    CHECK(!txn->Commit());
  }
  auto txn = (*store)->BeginRead();
  CHECK(!(*store)->Get(*txn, "a", 0));
}

TEST_CASE("ColdStore: an unwritable directory is an error, not a crash") {
  auto store = ColdStore::Open("/proc/no/such/dir", 8 << 20);
  CHECK(!store);
  CHECK(!store.Error().message().empty());
}

TEST_CASE("ColdIo: a full map fails only the puts that do not fit") {
  TempDir dir;
  ColdIoOptions options;
  options.path = dir.path;
  options.map_size_bytes = 1 << 20;
  options.run_thread = false;
  auto io = ColdIo::Open(options);
  REQUIRE(io);
  const auto client = (*io)->AddClient(nullptr);
  for (int i = 0; i < 40; ++i) {
    ColdRequest r;
    r.op = ColdOp::kPut;
    r.key = "k" + std::to_string(i);
    r.record = EncodeRecord(r.key, RecordMeta{}, std::string(64 << 10, 'x'));
    REQUIRE((*io)->Submit(client, r));
  }
  while ((*io)->RunQueued() != 0) {
  }
  std::vector<ColdCompletion> done;
  CHECK((*io)->Drain(client, done) == 40);
  int failed = 0;
  for (const auto& c : done) {
    failed += c.error ? 1 : 0;
  }
  CHECK(failed > 0);
  CHECK(failed < 40);
  CHECK(done.front().error == std::error_code());
}

}  // namespace
}  // namespace corecached::cold
