#pragma once

#include <cstddef>
#include <cstdint>

namespace corecached::core {

// protocol.txt "Keys": "the length limit of a key is set at 250 characters".
inline constexpr std::size_t kMaxKeyLength = 250;

// protocol.txt "Commands": relative exptimes may not exceed 30 days; larger values are Unix time.
inline constexpr int64_t kRelativeExptimeLimitSeconds = int64_t{60} * 60 * 24 * 30;

// memcached's default item size limit (-I): 1 MiB.
inline constexpr std::size_t kDefaultMaxItemSize = std::size_t{1024} * 1024;

// memcached 1.6 caps a text request line at 2048 bytes before it reports
// its "line too long" error (memcached.c: try_read_command_ascii).
// Key lists of a multi-get can be longer; memcached allows 8 KiB for lines that begin "get "/"gets
// ".
inline constexpr std::size_t kMaxTextLineLength = 2048;
inline constexpr std::size_t kMaxTextGetLineLength = 8192;

// A 64-bit number printed in decimal needs at most 20 digits (incr/decr values).
inline constexpr std::size_t kMaxUint64Digits = 20;

}  // namespace corecached::core
