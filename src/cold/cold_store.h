#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "cold/expected.h"
#include "cold/lmdb_handle.h"
#include "cold/record.h"

namespace corecached::cold {

// A value read back from the tier, with its metadata; owns its bytes.
struct LoadedValue {
  RecordMeta meta;
  std::string value;
};

// ColdStore is the LMDB environment of the cold tier: one unnamed database of records keyed by
// ColdKey (FORMAT.md). It knows records, not items or shards.
//
// Owner: ColdIo. Thread: any, under LMDB's rules: one write Txn at a time (the cold writer thread,
// and Scan's erases at start-up), read Txns from any thread (MDB_NOTLS: the cold reader threads
// each keep one, reset between rounds). Get is safe from several threads on distinct Txns.
// Errors are LMDB codes through LmdbCategory(); a record that fails its checks reads as
// MDB_CORRUPTED and is never returned.
class ColdStore {
 public:
  static Expected<std::unique_ptr<ColdStore>> Open(const std::string& path,
                                                   std::size_t map_size_bytes);
  ~ColdStore();
  ColdStore(const ColdStore&) = delete;
  ColdStore& operator=(const ColdStore&) = delete;

  Expected<Txn> BeginWrite() { return Txn::Begin(env_.get(), false); }
  Expected<Txn> BeginRead() { return Txn::Begin(env_.get(), true); }

  // Write Txn operations. Erase of a missing key succeeds.
  std::error_code Put(Txn& txn, ColdKey key, std::string_view record);
  std::error_code Erase(Txn& txn, ColdKey key);
  // Rewrites the exptime of the record of `key` if it is write `write_id`; else does nothing.
  std::error_code SetExptime(Txn& txn, ColdKey key, uint64_t write_id, int64_t exptime);

  // Reads and verifies the record of `key`. MDB_NOTFOUND when absent or not write `write_id`
  // (0 = any); MDB_CORRUPTED when a checksum fails; the system's error when the file cannot be
  // read.
  // only_resident: the record is read only when all of its bytes are in RAM already (the B-tree
  // pages mdb_get walks are the hot top of the tree), else std::errc::operation_would_block: a
  // caller that must not wait for the disk (a shard's loop) leaves that read to a reader thread.
  //
  // A record on pages of its own (LMDB's overflow pages: records of more than about half a page)
  // is read from the file with one preadv2 (RWF_NOWAIT when only_resident: it stops at a page not
  // in RAM), not copied from the map after a mincore(2) check: a system call costs a microsecond
  // or more on this kind of virtual machine, and one call that checks and copies cost 3.2 us of
  // CPU per read against 3.8 us for mincore and the map's copy, with the box busy (part 7 of
  // bench/RESULTS-cold.md, bench/cold_read_cost.c). A record inside a leaf page is copied from
  // the map, unchecked: mdb_get has just read that page. Both ways read the same page cache.
  Expected<LoadedValue> Get(Txn& txn, ColdKey key, uint64_t write_id, bool only_resident = false);
  // Records read from the file (preadv2) rather than the map, so far: tests.
  [[nodiscard]] uint64_t FileReads() const { return file_reads_.load(std::memory_order_relaxed); }
  // Whether `key` has a record whose bytes are all in RAM (its write id is not checked: the
  // read that follows checks it). A hint for callers choosing between an inline read and a load.
  bool IsResident(Txn& txn, ColdKey key, uint64_t write_id);

  // Calls visit(key, meta) for every record whose header verifies, in key order; erases the
  // records that do not. Returns the number of records dropped, or an error.
  Expected<std::size_t> Scan(const std::function<void(ColdKey, const RecordMeta&)>& visit);

  // Flushes the dirty pages (the environment runs with MDB_NOSYNC).
  std::error_code Sync();

 private:
  ColdStore(EnvPtr env, MDB_dbi dbi);
  static uintptr_t FindMap(int fd, std::size_t size);
  // Whether the record at `data` starts a run of overflow pages (right after a page header);
  // nullopt when the map's address is not known.
  [[nodiscard]] std::optional<bool> OnOwnPages(const void* data) const;
  // Reads the record at `v` (on its own pages) from the file into `out`; nullopt when the map must
  // be read instead (RWF_NOWAIT refused, an interrupted or short blocking read).
  std::optional<std::error_code> ReadFromFile(ColdKey key, const MDB_val& v, bool only_resident,
                                              LoadedValue& out);
  // Copies the record at `v` from the map into `out`.
  std::error_code CopyFromMap(ColdKey key, const MDB_val& v, bool only_resident,
                              LoadedValue& out) const;
  EnvPtr env_;
  MDB_dbi dbi_;
  int fd_ = -1;        // the data file (LMDB's own descriptor), -1: read the map only
  uintptr_t map_ = 0;  // where LMDB mapped the data file, 0: not known
  std::size_t page_size_ = 4096;
  // False once the file system refused RWF_NOWAIT reads: resident reads use the map (mincore).
  std::atomic<bool> nowait_reads_{true};
  std::atomic<uint64_t> file_reads_{0};
};

}  // namespace corecached::cold
