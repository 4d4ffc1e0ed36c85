#include "cold/record.h"

#include <xxhash.h>

#include <cstring>

namespace corecached::cold {

namespace {

// Field offsets (FORMAT.md). All integers little-endian; x86-64 and aarch64 are, and the static
// assert below keeps a big-endian build from writing records it would misread elsewhere.
constexpr std::size_t kMagicAt = 0;
constexpr std::size_t kVersionAt = 4;
constexpr std::size_t kHeaderSizeAt = 6;
constexpr std::size_t kFlagsAt = 8;
constexpr std::size_t kValueSizeAt = 12;
constexpr std::size_t kExptimeAt = 16;
constexpr std::size_t kCasAt = 24;
constexpr std::size_t kWriteIdAt = 32;
constexpr std::size_t kValueSumAt = 40;
constexpr std::size_t kHeaderSumAt = 44;
static_assert(kHeaderSumAt + 4 == kRecordHeaderBytes);
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "cold records are little-endian");

template <typename T>
void Put(char* out, std::size_t at, T v) {
  std::memcpy(out + at, &v, sizeof(v));
}

template <typename T>
T Get(const char* in, std::size_t at) {
  T v{};
  std::memcpy(&v, in + at, sizeof(v));
  return v;
}

// The checksum of `version`: version 1 XXH32, version 2 the low 32 bits of XXH3-64 (half the
// time on a 2.5 KiB value with Debian's libxxhash: 0.3 vs 0.6 us; the shard sums every value it
// demotes and every value it reads back).
uint32_t Sum(uint16_t version, const void* data, std::size_t size, uint64_t seed) {
  if (version == kRecordVersionXxh32) {
    return XXH32(data, size, static_cast<uint32_t>(seed));
  }
  return static_cast<uint32_t>(XXH3_64bits_withSeed(data, size, seed));
}

uint32_t HeaderSum(uint16_t version, ColdKey key, const char* header) {
  // Two chained sums (the header's seeds the key's): no streaming state to allocate.
  const uint32_t header_sum = Sum(version, header, kHeaderSumAt, 0);
  return Sum(version, key.data(), key.size(), header_sum);
}

// The header's checks and fields; the value's size is the caller's to compare.
RecordStatus CheckHeader(ColdKey key, const char* h, RecordMeta& meta) {
  if (Get<uint32_t>(h, kMagicAt) != kRecordMagic) {
    return RecordStatus::kBadMagic;
  }
  const auto version = Get<uint16_t>(h, kVersionAt);
  if ((version != kRecordVersion && version != kRecordVersionXxh32) ||
      Get<uint16_t>(h, kHeaderSizeAt) != kRecordHeaderBytes) {
    return RecordStatus::kBadVersion;
  }
  if (Get<uint32_t>(h, kHeaderSumAt) != HeaderSum(version, key, h)) {
    return RecordStatus::kBadHeader;
  }
  meta.flags = Get<uint32_t>(h, kFlagsAt);
  meta.value_size = Get<uint32_t>(h, kValueSizeAt);
  meta.exptime = Get<int64_t>(h, kExptimeAt);
  meta.cas = Get<uint64_t>(h, kCasAt);
  meta.write_id = Get<uint64_t>(h, kWriteIdAt);
  return RecordStatus::kOk;
}

}  // namespace

std::string EncodeRecord(ColdKey key, const RecordMeta& meta, std::string_view value) {
  std::string out(kRecordHeaderBytes + value.size(), '\0');
  char* h = out.data();
  Put<uint32_t>(h, kMagicAt, kRecordMagic);
  Put<uint16_t>(h, kVersionAt, kRecordVersion);
  Put<uint16_t>(h, kHeaderSizeAt, static_cast<uint16_t>(kRecordHeaderBytes));
  Put<uint32_t>(h, kFlagsAt, meta.flags);
  Put<uint32_t>(h, kValueSizeAt, static_cast<uint32_t>(value.size()));
  Put<int64_t>(h, kExptimeAt, meta.exptime);
  Put<uint64_t>(h, kCasAt, meta.cas);
  Put<uint64_t>(h, kWriteIdAt, meta.write_id);
  Put<uint32_t>(h, kValueSumAt, Sum(kRecordVersion, value.data(), value.size(), 0));
  Put<uint32_t>(h, kHeaderSumAt, HeaderSum(kRecordVersion, key, h));
  std::memcpy(h + kRecordHeaderBytes, value.data(), value.size());
  return out;
}

RecordStatus DecodeRecordHeader(ColdKey key, std::string_view data, RecordMeta& meta) {
  if (data.size() < kRecordHeaderBytes) {
    return RecordStatus::kTooShort;
  }
  const RecordStatus status = CheckHeader(key, data.data(), meta);
  if (status != RecordStatus::kOk) {
    return status;
  }
  if (data.size() - kRecordHeaderBytes != meta.value_size) {
    return RecordStatus::kTooShort;
  }
  return RecordStatus::kOk;
}

RecordStatus DecodeRecordParts(ColdKey key, std::string_view header, std::string_view value,
                               RecordMeta& meta) {
  if (header.size() != kRecordHeaderBytes) {
    return RecordStatus::kTooShort;
  }
  const RecordStatus status = CheckHeader(key, header.data(), meta);
  if (status != RecordStatus::kOk) {
    return status;
  }
  if (value.size() != meta.value_size) {
    return RecordStatus::kTooShort;
  }
  const auto version = Get<uint16_t>(header.data(), kVersionAt);
  if (Sum(version, value.data(), value.size(), 0) != Get<uint32_t>(header.data(), kValueSumAt)) {
    return RecordStatus::kBadValue;
  }
  return RecordStatus::kOk;
}

RecordStatus DecodeRecord(ColdKey key, std::string_view data, RecordMeta& meta,
                          std::string_view& value) {
  if (data.size() < kRecordHeaderBytes) {
    return RecordStatus::kTooShort;
  }
  value = data.substr(kRecordHeaderBytes);
  return DecodeRecordParts(key, data.substr(0, kRecordHeaderBytes), value, meta);
}

void SetRecordExptime(ColdKey key, std::string& data, int64_t exptime) {
  char* h = data.data();
  Put<int64_t>(h, kExptimeAt, exptime);
  Put<uint32_t>(h, kHeaderSumAt, HeaderSum(Get<uint16_t>(h, kVersionAt), key, h));
}

const char* ToString(RecordStatus status) {
  switch (status) {
    case RecordStatus::kOk:
      return "ok";
    case RecordStatus::kTooShort:
      return "truncated record";
    case RecordStatus::kBadMagic:
      return "bad magic";
    case RecordStatus::kBadVersion:
      return "unknown record version";
    case RecordStatus::kBadHeader:
      return "header checksum mismatch";
    case RecordStatus::kBadValue:
      return "value checksum mismatch";
  }
  return "?";
}

}  // namespace corecached::cold
