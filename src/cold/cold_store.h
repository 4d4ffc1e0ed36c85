#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
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
  // (0 = any); MDB_CORRUPTED when a checksum fails.
  // only_resident: the record is read only when all of its bytes are in RAM already (mincore(2)
  // on the map; the B-tree pages mdb_get walks are the hot top of the tree), else
  // std::errc::operation_would_block: a caller that must not wait for the disk (a shard's loop)
  // leaves that read to a reader thread.
  Expected<LoadedValue> Get(Txn& txn, ColdKey key, uint64_t write_id, bool only_resident = false);
  // Whether `key` has a record whose bytes are all in RAM (its write id is not checked: the
  // read that follows checks it). A hint for callers choosing between an inline read and a load.
  bool IsResident(Txn& txn, ColdKey key, uint64_t write_id);

  // Calls visit(key, meta) for every record whose header verifies, in key order; erases the
  // records that do not. Returns the number of records dropped, or an error.
  Expected<std::size_t> Scan(const std::function<void(ColdKey, const RecordMeta&)>& visit);

  // Flushes the dirty pages (the environment runs with MDB_NOSYNC).
  std::error_code Sync();

 private:
  ColdStore(EnvPtr env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {}
  EnvPtr env_;
  MDB_dbi dbi_;
};

}  // namespace corecached::cold
