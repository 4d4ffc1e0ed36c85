#include "cold/record.h"

#include <doctest/doctest.h>

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

}  // namespace
}  // namespace corecached::cold
