#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/result.h"
#include "core/stat_list.h"
#include "proto/codec.h"
#include "proto/request.h"

namespace corecached::proto {

// Binary protocol (protocol-binary.xml): 24-byte header, extras, key, value.
// Thread: any (pure functions). No I/O, no clock, no store.
// Parses at most one packet; every length is checked against the packet. Incremental.
ParseResult ParseBinary(std::string_view in, const ParserOptions& options, Request* out);
// Reply encoders: append the exact bytes memcached 1.6 sends for this request.
void EncodeBinaryResults(const Request& req, std::span<const core::Result> results,
                         std::string* out);
void EncodeBinaryStats(const Request& req, const core::StatList& stats, std::string* out);
void EncodeBinaryStatsUnknown(const Request& req, std::string* out);
void EncodeBinaryVersion(const Request& req, std::string_view version, std::string* out);
void EncodeBinaryOk(const Request& req, std::string* out);
void EncodeBinaryShutdownDisabled(const Request& req, std::string* out);
void EncodeBinaryServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                             std::string* out);

}  // namespace corecached::proto
