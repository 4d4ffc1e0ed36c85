#include "cold/cold_store.h"

#include <vector>

namespace corecached::cold {

Expected<std::unique_ptr<ColdStore>> ColdStore::Open(const std::string& path,
                                                     std::size_t map_size_bytes) {
  Expected<EnvPtr> env = OpenEnv(path, map_size_bytes);
  if (!env) {
    return env.Error();
  }
  Expected<Txn> txn = Txn::Begin(env->get(), false);
  if (!txn) {
    return txn.Error();
  }
  MDB_dbi dbi = 0;
  const int rc = mdb_dbi_open(txn->Get(), nullptr, 0, &dbi);
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  if (std::error_code ec = txn->Commit()) {
    return ec;
  }
  return std::unique_ptr<ColdStore>(new ColdStore(std::move(*env), dbi));
}

ColdStore::~ColdStore() { (void)Sync(); }

std::error_code ColdStore::Put(Txn& txn, ColdKey key, std::string_view record) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(record);
  const int rc = mdb_put(txn.Get(), dbi_, &k, &v, 0);
  return rc == MDB_SUCCESS ? std::error_code() : LmdbError(rc);
}

std::error_code ColdStore::Erase(Txn& txn, ColdKey key) {
  MDB_val k = ToVal(key);
  const int rc = mdb_del(txn.Get(), dbi_, &k, nullptr);
  return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? std::error_code() : LmdbError(rc);
}

std::error_code ColdStore::SetExptime(Txn& txn, ColdKey key, uint64_t write_id, int64_t exptime) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = mdb_get(txn.Get(), dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) {
    return {};
  }
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  RecordMeta meta;
  std::string data(ToView(v));
  if (DecodeRecordHeader(key, data, meta) != RecordStatus::kOk || meta.write_id != write_id) {
    return {};
  }
  SetRecordExptime(key, data, exptime);
  return Put(txn, key, data);
}

Expected<LoadedValue> ColdStore::Get(Txn& txn, ColdKey key, uint64_t write_id) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  const int rc = mdb_get(txn.Get(), dbi_, &k, &v);
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  LoadedValue out;
  std::string_view value;
  if (DecodeRecord(key, ToView(v), out.meta, value) != RecordStatus::kOk) {
    return LmdbError(MDB_CORRUPTED);
  }
  if (write_id != 0 && out.meta.write_id != write_id) {
    return LmdbError(MDB_NOTFOUND);
  }
  out.value.assign(value);
  return out;
}

Expected<std::size_t> ColdStore::Scan(
    const std::function<void(ColdKey, const RecordMeta&)>& visit) {
  std::vector<std::string> bad;
  {
    Expected<Txn> txn = BeginRead();
    if (!txn) {
      return txn.Error();
    }
    MDB_cursor* cursor = nullptr;
    int rc = mdb_cursor_open(txn->Get(), dbi_, &cursor);
    if (rc != MDB_SUCCESS) {
      return LmdbError(rc);
    }
    MDB_val k{};
    MDB_val v{};
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == MDB_SUCCESS;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT)) {
      RecordMeta meta;
      if (DecodeRecordHeader(ToView(k), ToView(v), meta) == RecordStatus::kOk) {
        visit(ToView(k), meta);
      } else {
        bad.emplace_back(ToView(k));
      }
    }
    mdb_cursor_close(cursor);
  }
  if (!bad.empty()) {
    Expected<Txn> txn = BeginWrite();
    if (!txn) {
      return txn.Error();
    }
    for (const std::string& key : bad) {
      (void)Erase(*txn, key);
    }
    if (std::error_code ec = txn->Commit()) {
      return ec;
    }
  }
  return bad.size();
}

std::error_code ColdStore::Sync() {
  const int rc = mdb_env_sync(env_.get(), 1);
  return rc == MDB_SUCCESS ? std::error_code() : LmdbError(rc);
}

}  // namespace corecached::cold
