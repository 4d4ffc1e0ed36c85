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

// Meta commands (protocol.txt "Meta Commands"): mg ms md ma mn me with their flags.
// Thread: any (pure functions). No I/O, no clock, no store.
// REQUIRES: `in` starts with a meta verb ("mg", "ms", ...). Incremental like ParseText.
ParseResult ParseMeta(std::string_view in, const ParserOptions& options, Request* out);
// Reply encoders: append the exact bytes memcached 1.6 sends for this request.
void EncodeMetaResults(const Request& req, std::span<const core::Result> results, std::string* out);
void EncodeMetaStats(const Request& req, const core::StatList& stats, std::string* out);
void EncodeMetaVersion(const Request& req, std::string_view version, std::string* out);
void EncodeMetaOk(const Request& req, std::string* out);
void EncodeMetaShutdownDisabled(const Request& req, std::string* out);
void EncodeMetaServerError(const Request& req, core::Outcome outcome, uint32_t retry_after_ms,
                           std::string* out);

}  // namespace corecached::proto
