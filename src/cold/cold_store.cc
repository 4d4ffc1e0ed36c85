#include "cold/cold_store.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
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

ColdStore::ColdStore(EnvPtr env, MDB_dbi dbi) : env_(std::move(env)), dbi_(dbi) {
  MDB_stat stat{};
  MDB_envinfo info{};
  mdb_filehandle_t fd = -1;
  if (mdb_env_stat(env_.get(), &stat) != MDB_SUCCESS || stat.ms_psize == 0 ||
      mdb_env_info(env_.get(), &info) != MDB_SUCCESS ||
      mdb_env_get_fd(env_.get(), &fd) != MDB_SUCCESS) {
    return;
  }
  page_size_ = stat.ms_psize;
  map_ = FindMap(fd, info.me_mapsize);
  fd_ = map_ != 0 ? fd : -1;
}

// LMDB tells where it mapped the data file only with MDB_FIXEDMAP (mdb_env_info's me_mapaddr is
// the address recorded in the meta page), so the map is found in /proc/self/maps: the mapping of
// the descriptor's file (device and inode), `size` bytes from offset 0. 0 when not found.
uintptr_t ColdStore::FindMap(int fd, std::size_t size) {
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return 0;
  }
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // start-end perms offset major:minor inode [path]
    unsigned long start = 0;
    unsigned long end = 0;
    unsigned long long offset = 0;
    unsigned int major_dev = 0;
    unsigned int minor_dev = 0;
    unsigned long long inode = 0;
    char perms[8] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s %llx %x:%x %llu", &start, &end, perms, &offset,
                    &major_dev, &minor_dev, &inode) == 7 &&
        offset == 0 && end - start == size && inode == st.st_ino && major_dev == major(st.st_dev) &&
        minor_dev == minor(st.st_dev)) {
      return start;
    }
  }
  return 0;
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

// LMDB's page header (PAGEHDRSZ: page number 8, padding 2, flags 2, free-space bounds or the
// overflow page count 4). An overflow record starts right after it; a leaf's nodes never do (its
// node offsets follow the header, its nodes fill the page from the end). Only the speed of a read
// depends on this: the file and the map hold the same bytes.
constexpr std::size_t kLmdbPageHeaderBytes = 16;

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
  LoadedValue out;
  std::optional<std::error_code> ec;
  if (fd_ >= 0 && OnOwnPages(v.mv_data).value_or(false) &&
      (!only_resident || nowait_reads_.load(std::memory_order_relaxed))) {
    ec = ReadFromFile(key, v, only_resident, out);
  }
  if (!ec) {
    ec = CopyFromMap(key, v, only_resident, out);
  }
  if (*ec) {
    return *ec;
  }
  if (write_id != 0 && out.meta.write_id != write_id) {
    return LmdbError(MDB_NOTFOUND);
  }
  return out;
}

std::optional<bool> ColdStore::OnOwnPages(const void* data) const {
  if (map_ == 0) {
    return std::nullopt;
  }
  const std::size_t offset = reinterpret_cast<uintptr_t>(data) - map_;
  return offset % page_size_ == kLmdbPageHeaderBytes;
}

std::optional<std::error_code> ColdStore::ReadFromFile(ColdKey key, const MDB_val& v,
                                                       bool only_resident, LoadedValue& out) {
  if (v.mv_size < kRecordHeaderBytes) {
    return LmdbError(MDB_CORRUPTED);
  }
  std::array<char, kRecordHeaderBytes> header{};
  out.value.resize(v.mv_size - kRecordHeaderBytes);
  std::array<iovec, 2> parts{iovec{header.data(), header.size()},
                             iovec{out.value.data(), out.value.size()}};
  const auto offset = static_cast<off_t>(reinterpret_cast<uintptr_t>(v.mv_data) - map_);
  const ssize_t n = preadv2(fd_, parts.data(), static_cast<int>(parts.size()), offset,
                            only_resident ? RWF_NOWAIT : 0);
  if (n < 0) {
    const int error = errno;
    if (only_resident && error == EAGAIN) {
      return std::make_error_code(std::errc::operation_would_block);
    }
    if (only_resident && (error == EOPNOTSUPP || error == EINVAL)) {
      nowait_reads_.store(false, std::memory_order_relaxed);  // this file system: mincore instead
      return std::nullopt;
    }
    if (error == EINTR) {
      return std::nullopt;
    }
    return std::error_code(error, std::system_category());  // EIO: the map would raise SIGBUS
  }
  if (static_cast<std::size_t>(n) != v.mv_size) {
    // RWF_NOWAIT stops at the first page that is not in RAM.
    if (only_resident) {
      return std::make_error_code(std::errc::operation_would_block);
    }
    return std::nullopt;
  }
  if (DecodeRecordParts(key, std::string_view(header.data(), header.size()), out.value, out.meta) !=
      RecordStatus::kOk) {
    return LmdbError(MDB_CORRUPTED);
  }
  file_reads_.fetch_add(1, std::memory_order_relaxed);
  return std::error_code();
}

std::error_code ColdStore::CopyFromMap(ColdKey key, const MDB_val& v, bool only_resident,
                                       LoadedValue& out) const {
  // A record inside a leaf is on the page mdb_get has just read: in RAM. Where the map is not
  // known (no way to tell), every record is checked.
  if (only_resident && OnOwnPages(v.mv_data).value_or(true) && !Resident(v.mv_data, v.mv_size)) {
    return std::make_error_code(std::errc::operation_would_block);
  }
  std::string_view value;
  if (DecodeRecord(key, ToView(v), out.meta, value) != RecordStatus::kOk) {
    return LmdbError(MDB_CORRUPTED);
  }
  out.value.assign(value);
  return {};
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
