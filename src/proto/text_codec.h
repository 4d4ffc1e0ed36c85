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

// Classic text protocol (protocol.txt "Commands"). ParseText hands lines that start with a meta
// verb (mg ms md ma mn me) to ParseMeta.
// Thread: any (pure functions). No I/O, no clock, no store.
// Parses at most one request; incremental: with kNeedMore nothing is consumed.
ParseResult ParseText(std::string_view in, const ParserOptions& options, Request* out);
// Reply encoders: append the exact bytes memcached 1.6 sends for this request.
void EncodeTextResults(const Request& req, std::span<const core::Result> results, std::string* out);
void EncodeTextStats(const Request& req, const core::StatList& stats, std::string* out);
void EncodeTextStatsUnknown(const Request& req, std::string* out);
void EncodeTextVersion(const Request& req, std::string_view version, std::string* out);
void EncodeTextOk(const Request& req, std::string* out);
void EncodeTextShutdownDisabled(const Request& req, std::string* out);
void EncodeTextServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                           std::string* out);

}  // namespace corecached::proto
