#include "cold/cold_store.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
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

namespace {

// Whether every page of [data, data + size) is in RAM. Records of more than 64 pages count as not
// resident (a reader thread copies them).
bool Resident(const void* data, std::size_t size) {
  static const auto kPage = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto* bytes = static_cast<const unsigned char*>(data);
  const uintptr_t offset = reinterpret_cast<uintptr_t>(bytes) & (kPage - 1);
  const std::size_t length = static_cast<std::size_t>(offset) + size;
  const std::size_t pages = (length + kPage - 1) / kPage;
  unsigned char vec[64];
  // mincore(2) takes a non-const pointer; it only reads the mapping's page table.
  if (pages > sizeof(vec) ||
      mincore(const_cast<unsigned char*>(bytes - offset), length, vec) != 0) {
    return false;
  }
  for (std::size_t i = 0; i < pages; ++i) {
    if ((vec[i] & 1U) == 0) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool ColdStore::IsResident(Txn& txn, ColdKey key, uint64_t /*write_id*/) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  return mdb_get(txn.Get(), dbi_, &k, &v) == MDB_SUCCESS && Resident(v.mv_data, v.mv_size);
}

Expected<LoadedValue> ColdStore::Get(Txn& txn, ColdKey key, uint64_t write_id, bool only_resident) {
  MDB_val k = ToVal(key);
  MDB_val v{};
  const int rc = mdb_get(txn.Get(), dbi_, &k, &v);
  if (rc != MDB_SUCCESS) {
    return LmdbError(rc);
  }
  if (only_resident && !Resident(v.mv_data, v.mv_size)) {
    return std::make_error_code(std::errc::operation_would_block);
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
