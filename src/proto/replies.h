#pragma once

#include <cstdint>
#include <string_view>

// Every fixed reply and error string corecached sends, once, with the protocol.txt section it comes
// from (STYLE.md 10.7: `grep -rn CLIENT_ERROR src` finds this file and nothing else).
// Edit only your protocol's section.

namespace corecached::proto::replies {

// ---- Text protocol (protocol.txt "Commands", "Storage commands", ...) -------------------------
// Byte for byte what memcached 1.6.18 sends (checked against Debian's /usr/bin/memcached).

// "Error strings".
inline constexpr std::string_view kTextError = "ERROR\r\n";
inline constexpr std::string_view kTextBadCommandLineFormat =
    "CLIENT_ERROR bad command line format\r\n";
// "Storage commands": the data block was not followed by "\r\n".
inline constexpr std::string_view kTextBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
// "Touch", "Get And Touch", "flush_all": the exptime token is not a number.
inline constexpr std::string_view kTextInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";
// "Increment/Decrement": the delta is not a 64-bit unsigned integer.
inline constexpr std::string_view kTextInvalidDelta =
    "CLIENT_ERROR invalid numeric delta argument\r\n";
// "Deletion": a time other than 0 (the pre-1.4 "hold" argument is gone). Two spaces, as memcached.
inline constexpr std::string_view kTextDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
// "Increment/Decrement": the item's value is not a decimal number.
inline constexpr std::string_view kTextNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
// "Storage commands": the value can never fit (-I); the data block is swallowed.
inline constexpr std::string_view kTextObjectTooLarge = "SERVER_ERROR object too large for cache\r\n";
// Out of memory, worded per command as memcached words it (storage, incr/decr, retrieval).
inline constexpr std::string_view kTextOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kTextOutOfMemoryArith = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kTextOutOfMemoryGet =
    "SERVER_ERROR out of memory writing get response\r\n";
// Our addition (backpressure): "SERVER_ERROR busy, retry in <N> ms\r\n".
inline constexpr std::string_view kTextBusyPrefix = "SERVER_ERROR busy, retry in ";
inline constexpr std::string_view kTextBusySuffix = " ms\r\n";
// "shutdown" without -A.
inline constexpr std::string_view kTextShutdownDisabled = "ERROR: shutdown not enabled\r\n";

// "Storage commands", "Deletion", "Touch".
inline constexpr std::string_view kTextStored = "STORED\r\n";
inline constexpr std::string_view kTextNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kTextExists = "EXISTS\r\n";
inline constexpr std::string_view kTextNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kTextDeleted = "DELETED\r\n";
inline constexpr std::string_view kTextTouched = "TOUCHED\r\n";
// "Retrieval command": VALUE <key> <flags> <bytes> [<cas unique>]\r\n<data block>\r\n ... END\r\n
inline constexpr std::string_view kTextValuePrefix = "VALUE ";
inline constexpr std::string_view kTextEnd = "END\r\n";
// "General-purpose statistics": STAT <name> <value>\r\n ... END\r\n
inline constexpr std::string_view kTextStatPrefix = "STAT ";
// "Other commands": version, verbosity, flush_all.
inline constexpr std::string_view kTextVersionPrefix = "VERSION ";
inline constexpr std::string_view kTextOk = "OK\r\n";
inline constexpr std::string_view kTextCrlf = "\r\n";

// ---- Meta protocol (protocol.txt "Meta Commands") ----------------------------------------------
// (meta section: filled in by the meta protocol work)

// ---- Binary protocol (protocol-binary.xml "Response Status") -----------------------------------
// (binary section: filled in by the binary protocol work)

}  // namespace corecached::proto::replies
