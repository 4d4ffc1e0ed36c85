#pragma once

#include <lmdb.h>

#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "cold/expected.h"

namespace corecached::cold {

// LMDB return codes as std::error_code (STYLE.md 6.5). message() is mdb_strerror(), which covers
// both LMDB's own codes (MDB_MAP_FULL, ...) and errno values (ENOSPC, EACCES).
[[nodiscard]] const std::error_category& LmdbCategory();
[[nodiscard]] inline std::error_code LmdbError(int rc) { return {rc, LmdbCategory()}; }

// RAII for the LMDB handles. An EnvPtr closes its environment; a Txn aborts unless committed.
//
// Thread: an environment is opened with MDB_NOTLS, so a read Txn is not tied to the OS thread that
// began it (fibers-and-libevent.md); a write Txn belongs to the thread that began it.
// A Txn must end before its environment closes; MDB_val views from Get die with the Txn.
struct EnvDeleter {
  void operator()(MDB_env* env) const { mdb_env_close(env); }
};
using EnvPtr = std::unique_ptr<MDB_env, EnvDeleter>;

class Txn {
 public:
  Txn() = default;
  Txn(Txn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { Abort(); }

  // Begins a transaction; read_only selects MDB_RDONLY.
  static Expected<Txn> Begin(MDB_env* env, bool read_only);
  // Commits; the Txn is empty afterwards whatever the result.
  std::error_code Commit();
  void Abort();
  // Read Txns only: Reset releases the snapshot but keeps the handle (and its reader slot);
  // Renew takes the newest snapshot again. The cheap LMDB idiom for a reader that runs many short
  // reads (mdb_txn_reset / mdb_txn_renew). A reset Txn may be Aborted (or destroyed) as usual.
  void Reset();
  std::error_code Renew();
  [[nodiscard]] MDB_txn* Get() const { return txn_; }

 private:
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
};

// Opens (creating if needed) the directory `path` as an LMDB environment of map size
// map_size_bytes, with MDB_NOTLS | MDB_NOSYNC | MDB_NORDAHEAD: a process crash (kill -9) loses no
// committed transaction because the pages sit in the page cache; an OS crash may lose the last
// ones, which a cache may (records are checksummed, see FORMAT.md). The caller syncs at shutdown.
Expected<EnvPtr> OpenEnv(const std::string& path, std::size_t map_size_bytes);

[[nodiscard]] inline MDB_val ToVal(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}
[[nodiscard]] inline std::string_view ToView(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

}  // namespace corecached::cold
