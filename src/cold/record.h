#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corecached::cold {

// A cold record is one LMDB entry: the LMDB key is the item's key (ColdKey), the LMDB data is a
// fixed 48-byte header followed by the value. The layout is written down in src/cold/FORMAT.md.
// Two checksums (XXH3-64's low 32 bits; XXH32 in version 1 records, which are still read); the
// header one also covers the key, so a record read under the wrong key, a torn header or a torn
// value is detected and the record is dropped, never served.
//
// Thread: any (pure functions over bytes).
using ColdKey = std::string_view;

struct RecordMeta {
  uint32_t flags = 0;
  uint32_t value_size = 0;
  int64_t exptime = 0;  // absolute Unix seconds; 0 = never expires
  uint64_t cas = 0;
  uint64_t write_id = 0;  // which write of this key produced the record (unique per key)
};

inline constexpr uint32_t kRecordMagic = 0x31524343;  // "CCR1", little-endian
inline constexpr uint16_t kRecordVersion = 2;         // written
inline constexpr uint16_t kRecordVersionXxh32 = 1;    // read too: records of earlier builds
inline constexpr std::size_t kRecordHeaderBytes = 48;

// Header + value, ready to be written under `key`.
[[nodiscard]] std::string EncodeRecord(ColdKey key, const RecordMeta& meta, std::string_view value);

enum class RecordStatus : uint8_t { kOk, kTooShort, kBadMagic, kBadVersion, kBadHeader, kBadValue };

// Checks magic, version (1 or 2), the header checksum (over header and key) and the size; fills
// `meta`. Does not read the value bytes (start-up scans only the headers).
RecordStatus DecodeRecordHeader(ColdKey key, std::string_view data, RecordMeta& meta);
// DecodeRecordHeader plus the value checksum; `value` views into `data` (lives as long as data).
RecordStatus DecodeRecord(ColdKey key, std::string_view data, RecordMeta& meta,
                          std::string_view& value);
// The same over a record read in two parts: its kRecordHeaderBytes header and its value.
RecordStatus DecodeRecordParts(ColdKey key, std::string_view header, std::string_view value,
                               RecordMeta& meta);
// Rewrites the exptime of an encoded record in place (and its header checksum, of the record's
// own version).
// REQUIRES: DecodeRecordHeader(key, *data) == kOk.
void SetRecordExptime(ColdKey key, std::string& data, int64_t exptime);

[[nodiscard]] const char* ToString(RecordStatus status);

}  // namespace corecached::cold
