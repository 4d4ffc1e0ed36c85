#include "cold/record.h"

#include <doctest/doctest.h>
#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace corecached::cold {
namespace {

RecordMeta Meta() {
  RecordMeta m;
  m.flags = 7;
  m.exptime = 1'800'000'000;
  m.cas = 42;
  m.write_id = 9;
  return m;
}

TEST_CASE("Record: round trip keeps every field") {
  const std::string data = EncodeRecord("key", Meta(), "value bytes");
  CHECK(data.size() == kRecordHeaderBytes + 11);
  RecordMeta out;
  std::string_view value;
  REQUIRE(DecodeRecord("key", data, out, value) == RecordStatus::kOk);
  CHECK(value == "value bytes");
  CHECK(out.flags == 7);
  CHECK(out.exptime == 1'800'000'000);
  CHECK(out.cas == 42);
  CHECK(out.write_id == 9);
  CHECK(out.value_size == 11);
}

TEST_CASE("Record: torn or foreign records are detected") {
  const std::string data = EncodeRecord("key", Meta(), "value bytes");
  RecordMeta out;
  std::string_view value;
  CHECK(DecodeRecord("other", data, out, value) == RecordStatus::kBadHeader);
  CHECK(DecodeRecord("key", data.substr(0, data.size() - 1), out, value) ==
        RecordStatus::kTooShort);
  CHECK(DecodeRecord("key", data.substr(0, 20), out, value) == RecordStatus::kTooShort);
  std::string flipped = data;
  flipped.back() = 'X';
  CHECK(DecodeRecord("key", flipped, out, value) == RecordStatus::kBadValue);
  CHECK(DecodeRecordHeader("key", flipped, out) == RecordStatus::kOk);  // header only
  flipped = data;
  flipped[9] = '\x7f';
  CHECK(DecodeRecord("key", flipped, out, value) == RecordStatus::kBadHeader);
  flipped = data;
  flipped[0] = 'x';
  CHECK(DecodeRecord("key", flipped, out, value) == RecordStatus::kBadMagic);
}

TEST_CASE("Record: SetRecordExptime keeps the record valid") {
  std::string data = EncodeRecord("key", Meta(), "v");
  SetRecordExptime("key", data, 5);
  RecordMeta out;
  std::string_view value;
  REQUIRE(DecodeRecord("key", data, out, value) == RecordStatus::kOk);
  CHECK(out.exptime == 5);
}

// A version 1 record (XXH32 sums: what builds before version 2 wrote), made from a version 2
// one by hand per FORMAT.md, so the test does not share the code it checks.
std::string VersionOne(std::string_view key, std::string data) {
  const uint16_t version = 1;
  std::memcpy(data.data() + 4, &version, sizeof(version));
  const uint32_t value_sum =
      XXH32(data.data() + kRecordHeaderBytes, data.size() - kRecordHeaderBytes, 0);
  std::memcpy(data.data() + 40, &value_sum, sizeof(value_sum));
  const uint32_t header_sum = XXH32(key.data(), key.size(), XXH32(data.data(), 44, 0));
  std::memcpy(data.data() + 44, &header_sum, sizeof(header_sum));
  return data;
}

uint16_t VersionOf(const std::string& data) {
  uint16_t version = 0;
  std::memcpy(&version, data.data() + 4, sizeof(version));
  return version;
}

TEST_CASE("Record: version 2 is written; version 1 records (XXH32) are still read") {
  const std::string v2 = EncodeRecord("key", Meta(), "value bytes");
  CHECK(VersionOf(v2) == 2);
  CHECK(VersionOf(v2) == kRecordVersion);
  const std::string v1 = VersionOne("key", v2);
  RecordMeta out;
  std::string_view value;
  REQUIRE(DecodeRecord("key", v1, out, value) == RecordStatus::kOk);
  CHECK(value == "value bytes");
  CHECK(out.write_id == 9);
  // Each version's sums are its own: a version 2 record relabelled 1 fails its header check.
  std::string relabelled = v2;
  const uint16_t one = 1;
  std::memcpy(relabelled.data() + 4, &one, sizeof(one));
  CHECK(DecodeRecord("key", relabelled, out, value) == RecordStatus::kBadHeader);
  std::string torn = v1;
  torn.back() = 'X';
  CHECK(DecodeRecord("key", torn, out, value) == RecordStatus::kBadValue);
  // An exptime rewrite keeps a version 1 record a valid version 1 record.
  std::string rewritten = v1;
  SetRecordExptime("key", rewritten, 5);
  CHECK(VersionOf(rewritten) == 1);
  REQUIRE(DecodeRecord("key", rewritten, out, value) == RecordStatus::kOk);
  CHECK(out.exptime == 5);
  CHECK(rewritten == VersionOne("key", rewritten));  // its sums are XXH32's
}

TEST_CASE("Record: a record read in two parts (header, value) decodes as the whole does") {
  const std::string value(3000, 'v');
  const std::string data = EncodeRecord("key", Meta(), value);
  const std::string_view header(data.data(), kRecordHeaderBytes);
  const std::string_view tail = std::string_view(data).substr(kRecordHeaderBytes);
  RecordMeta out;
  REQUIRE(DecodeRecordParts("key", header, tail, out) == RecordStatus::kOk);
  CHECK(out.value_size == 3000);
  CHECK(out.write_id == 9);
  CHECK(out.cas == 42);
  CHECK(DecodeRecordParts("other", header, tail, out) == RecordStatus::kBadHeader);
  CHECK(DecodeRecordParts("key", header.substr(0, 40), tail, out) == RecordStatus::kTooShort);
  CHECK(DecodeRecordParts("key", header, tail.substr(1), out) == RecordStatus::kTooShort);
  std::string torn(tail);
  torn[1234] = 'X';
  CHECK(DecodeRecordParts("key", header, torn, out) == RecordStatus::kBadValue);
  // A version 1 record (XXH32 sums) too.
  const std::string v1 = VersionOne("key", data);
  REQUIRE(DecodeRecordParts("key", std::string_view(v1).substr(0, kRecordHeaderBytes),
                            std::string_view(v1).substr(kRecordHeaderBytes),
                            out) == RecordStatus::kOk);
  CHECK(out.value_size == 3000);
}

TEST_CASE("Record: an unknown version is refused") {
  std::string data = EncodeRecord("key", Meta(), "v");
  for (const uint16_t version : {uint16_t{0}, uint16_t{3}, uint16_t{0xffff}}) {
    std::memcpy(data.data() + 4, &version, sizeof(version));
    RecordMeta out;
    CHECK(DecodeRecordHeader("key", data, out) == RecordStatus::kBadVersion);
  }
}

}  // namespace
}  // namespace corecached::cold
