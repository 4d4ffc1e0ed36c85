#include "cold/lmdb_handle.h"

#include <sys/stat.h>

#include <cerrno>

namespace corecached::cold {

namespace {

class Category : public std::error_category {
 public:
  [[nodiscard]] const char* name() const noexcept override { return "lmdb"; }
  [[nodiscard]] std::string message(int rc) const override { return mdb_strerror(rc); }
};

}  // namespace

const std::error_category& LmdbCategory() {
  static const Category kCategory;
  return kCategory;
}

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    Abort();
    txn_ = std::exchange(other.txn_, nullptr);
  }
  return *this;
}

Expected<Txn> Txn::Begin(MDB_env* env, bool read_only) {
  MDB_txn* txn = nullptr;
  const int rc = mdb_txn_begin(env, nullptr, read_only ? MDB_RDONLY : 0U, &txn);
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  return Txn(txn);
}

std::error_code Txn::Commit() {
  MDB_txn* txn = std::exchange(txn_, nullptr);
  if (txn == nullptr) {
    return LmdbError(EINVAL);
  }
  const int rc = mdb_txn_commit(txn);
  return rc == MDB_SUCCESS ? std::error_code() : LmdbError(rc);
}

void Txn::Abort() {
  if (txn_ != nullptr) {
    mdb_txn_abort(std::exchange(txn_, nullptr));
  }
}

void Txn::Reset() {
  if (txn_ != nullptr) {
    mdb_txn_reset(txn_);
  }
}

std::error_code Txn::Renew() {
  if (txn_ == nullptr) {
    return LmdbError(EINVAL);
  }
  const int rc = mdb_txn_renew(txn_);
  return rc == MDB_SUCCESS ? std::error_code() : LmdbError(rc);
}

Expected<EnvPtr> OpenEnv(const std::string& path, std::size_t map_size_bytes) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return LmdbError(errno);
  }
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  EnvPtr env(raw);
  rc = mdb_env_set_mapsize(env.get(), map_size_bytes);
  if (rc == MDB_SUCCESS) {
    rc = mdb_env_set_maxreaders(env.get(), 126);
  }
  if (rc == MDB_SUCCESS) {
    rc = mdb_env_open(env.get(), path.c_str(), MDB_NOTLS | MDB_NOSYNC | MDB_NORDAHEAD, 0600);
  }
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  return env;
}

}  // namespace corecached::cold
