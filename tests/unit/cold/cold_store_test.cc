#include "cold/cold_store.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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

// The data file's offset of the first occurrence of `needle`, or npos.
std::size_t FindInFile(const std::string& path, const std::string& needle) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.find(needle);
}

// Whether the page cache holds the byte at `offset` of the file (mincore(2) on a mapping of our
// own; the store's map is not touched).
bool PageCached(const std::string& path, std::size_t offset) {
  const int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t start = offset / page * page;
  void* map = mmap(nullptr, page, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(start));
  REQUIRE(map != MAP_FAILED);
  unsigned char vec = 0;
  REQUIRE(mincore(map, page, &vec) == 0);
  munmap(map, page);
  close(fd);
  return (vec & 1U) != 0;
}

TEST_CASE(
    "ColdStore: records on pages of their own are read from the file, checked, and only "
    "when in RAM for a resident read") {
  TempDir dir;
  auto opened = ColdStore::Open(dir.path, 8 << 20);
  REQUIRE(opened);
  ColdStore& store = **opened;
  const std::string path = dir.path + "/data.mdb";
  // Distinct bytes per record, so each can be found in the file.
  const std::string small(100, 's');
  const std::string big = std::string(3000, 'b') + "END-OF-BIG";
  const std::string huge(9000, 'h');  // three overflow pages
  RecordMeta meta;
  meta.write_id = 5;
  {
    auto txn = store.BeginWrite();
    REQUIRE(txn);
    // Fillers first: the records below land 60 pages into the file, away from the pages a read
    // through the map touches (the meta pages, the tree's), whose faults map their neighbours
    // (the kernel's fault-around) and so keep them in the page cache.
    for (int i = 0; i < 20; ++i) {
      const std::string key = "filler" + std::to_string(i);
      CHECK(!store.Put(*txn, key, EncodeRecord(key, meta, std::string(9000, 'f'))));
    }
    CHECK(!store.Put(*txn, "small", EncodeRecord("small", meta, small)));
    CHECK(!store.Put(*txn, "big", EncodeRecord("big", meta, big)));
    CHECK(!store.Put(*txn, "huge", EncodeRecord("huge", meta, huge)));
    CHECK(!txn->Commit());
  }
  auto txn = store.BeginRead();
  REQUIRE(txn);
  for (const bool only_resident : {false, true}) {
    CAPTURE(only_resident);
    const uint64_t before = store.FileReads();
    auto s = store.Get(*txn, "small", 5, only_resident);
    auto b = store.Get(*txn, "big", 5, only_resident);
    auto h = store.Get(*txn, "huge", 5, only_resident);
    REQUIRE(s);
    REQUIRE(b);
    REQUIRE(h);
    CHECK(s->value == small);
    CHECK(b->value == big);
    CHECK(h->value == huge);
    CHECK(b->meta.write_id == 5);
    CHECK(store.FileReads() - before == 2);  // big and huge; small sits inside its leaf
    CHECK(store.Get(*txn, "big", 6, only_resident).Error() == LmdbError(MDB_NOTFOUND));
  }
  txn->Reset();

  // Out of the page cache (written out, then dropped: clean pages no mapping has touched), the
  // big record is not read by a resident read, and is read by a blocking one.
  const std::size_t at = FindInFile(path, "END-OF-BIG");
  REQUIRE(at != std::string::npos);
  REQUIRE(!store.Sync());
  const int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(fdatasync(fd) == 0);
  REQUIRE(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
  close(fd);
  REQUIRE_MESSAGE(!PageCached(path, at), "the page cache kept the record's page");
  REQUIRE(!txn->Renew());
  CHECK(store.Get(*txn, "big", 5, /*only_resident=*/true).Error() ==
        std::make_error_code(std::errc::operation_would_block));
  auto loaded = store.Get(*txn, "big", 5, /*only_resident=*/false);
  REQUIRE(loaded);
  CHECK(loaded->value == big);
  CHECK(PageCached(path, at));
  txn->Reset();

  // A byte of the big record changed on disk: both reads refuse it; the others still read.
  {
    const int wfd = open(path.c_str(), O_WRONLY);
    REQUIRE(wfd >= 0);
    REQUIRE(pwrite(wfd, "X", 1, static_cast<off_t>(at)) == 1);
    close(wfd);
  }
  REQUIRE(!txn->Renew());
  CHECK(store.Get(*txn, "big", 5, true).Error() == LmdbError(MDB_CORRUPTED));
  CHECK(store.Get(*txn, "big", 5, false).Error() == LmdbError(MDB_CORRUPTED));
  auto h = store.Get(*txn, "huge", 5, true);
  REQUIRE(h);
  CHECK(h->value == huge);
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
