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
inline constexpr std::string_view kTextObjectTooLarge =
    "SERVER_ERROR object too large for cache\r\n";
// Out of memory, worded per command as memcached words it (storage, incr/decr, retrieval).
inline constexpr std::string_view kTextOutOfMemoryStoring =
    "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kTextOutOfMemoryArith = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kTextOutOfMemoryGet =
    "SERVER_ERROR out of memory writing get response\r\n";
// Our addition (backpressure): "SERVER_ERROR busy, retry in <N> ms\r\n".
inline constexpr std::string_view kTextBusyPrefix = "SERVER_ERROR busy, retry in ";
inline constexpr std::string_view kTextBusySuffix = " ms\r\n";
// Our addition (cold tier, issue #4, on_cold_read: retry): the value is being loaded from disk.
inline constexpr std::string_view kTextColdLoading = "SERVER_ERROR cold item loading, retry\r\n";
// Proxy mode: the upstream server failed, timed out or is ejected (memcached's own proxy words it
// so).
inline constexpr std::string_view kTextBackendFailure = "SERVER_ERROR backend failure\r\n";
// Authentication (-Y auth file; memcached 1.6.18 proto_text.c try_read_command_asciiauth).
inline constexpr std::string_view kTextUnauthenticated = "CLIENT_ERROR unauthenticated\r\n";
inline constexpr std::string_view kTextBadCommandLineTermination =
    "CLIENT_ERROR bad command line termination\r\n";
inline constexpr std::string_view kTextBadAuthTokenFormat =
    "CLIENT_ERROR bad authentication token format\r\n";
inline constexpr std::string_view kTextAuthFailure = "CLIENT_ERROR authentication failure\r\n";
// refresh_certs without -Z (memcached 1.6.18 tls.c); with -Z it answers OK or the load error.
inline constexpr std::string_view kTextTlsNotEnabled = "Error TLS not enabled\r\n";
// flush_all with -F (flush_enabled: false).
inline constexpr std::string_view kTextFlushAllDisabled = "CLIENT_ERROR flush_all not allowed\r\n";
// "shutdown" without -A.
inline constexpr std::string_view kTextShutdownDisabled = "ERROR: shutdown not enabled\r\n";
// "shutdown <mode>" with -A and a mode other than "graceful".
inline constexpr std::string_view kTextInvalidShutdownMode =
    "CLIENT_ERROR invalid shutdown mode\r\n";

// Admin commands (protocol.txt "Statistics", "Slab Reassign", "LRU_Crawler", "Watchers",
// "cache_memlimit"; memcached 1.6.18 proto_text.c).
inline constexpr std::string_view kTextReset = "RESET\r\n";
inline constexpr std::string_view kTextCrawlerDisabled = "CLIENT_ERROR lru crawler disabled\r\n";
inline constexpr std::string_view kTextCrawlerStartFailed =
    "ERROR failed to start lru crawler thread\r\n";
inline constexpr std::string_view kTextCrawlerBadClass = "BADCLASS invalid class id\r\n";
inline constexpr std::string_view kTextCrawlerSleepTooLong =
    "CLIENT_ERROR sleep must be one second or less\r\n";
inline constexpr std::string_view kTextReassignBadClass =
    "BADCLASS invalid src or dst class id\r\n";
inline constexpr std::string_view kTextReassignNoSpare =
    "NOSPARE source class has no spare pages\r\n";
inline constexpr std::string_view kTextReassignSame = "SAME src and dst class are identical\r\n";
inline constexpr std::string_view kTextLruPctTooHigh =
    "ERROR hot and warm pcts must not exceed 80\r\n";
inline constexpr std::string_view kTextLruFactorNotPositive =
    "ERROR hot/warm age factors must be greater than 0\r\n";
inline constexpr std::string_view kTextMemLimitTooSmall =
    "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
inline constexpr std::string_view kTextMemLimitNotMegabytes =
    "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";
// watch with -W (memcached's settings.watch_enabled).
inline constexpr std::string_view kTextWatchDisabled =
    "CLIENT_ERROR watch commands not allowed\r\n";
inline constexpr std::string_view kTextWatcherTooMany =
    "WATCHER_TOO_MANY log watcher limit reached\r\n";
inline constexpr std::string_view kTextMetadumpPipelined =
    "ERROR cannot pipeline other commands before metadump\r\n";
inline constexpr std::string_view kTextCachedumpUsage = "CLIENT_ERROR bad command line\r\n";
inline constexpr std::string_view kTextIllegalSlabId = "CLIENT_ERROR Illegal slab id\r\n";
inline constexpr std::string_view kTextDetailUsage =
    "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
// watch: memcached's skipped-entries line when a watcher's buffer overflowed (logger.c).
inline constexpr std::string_view kTextWatchSkippedPrefix = "skipped=";

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
// "stats detail dump": PREFIX <prefix> get <n> hit <n> set <n> del <n>\r\n ... END\r\n
inline constexpr std::string_view kTextPrefixPrefix = "PREFIX ";
// "Other commands": version, verbosity, flush_all.
inline constexpr std::string_view kTextVersionPrefix = "VERSION ";
inline constexpr std::string_view kTextOk = "OK\r\n";
inline constexpr std::string_view kTextCrlf = "\r\n";

// ---- Meta protocol (protocol.txt "Meta Commands") ----------------------------------------------
// Byte for byte what memcached 1.6.18 sends (checked against Debian's /usr/bin/memcached). The meta
// encoder also uses the text section's ERROR, bad command line format, bad data chunk, non-numeric,
// object too large, out of memory and busy strings: memcached sends the same bytes for both.
// Return codes ("mg": VA/HD/EN, "ms": HD/NS/EX/NF, "md": HD/NF/EX, "ma": HD/VA/NF/NS/EX, "mn": MN,
// "me": ME/EN). Each is followed by the returned flags and "\r\n".
inline constexpr std::string_view kMetaValue = "VA ";
inline constexpr std::string_view kMetaHeader = "HD";
inline constexpr std::string_view kMetaMiss = "EN";
inline constexpr std::string_view kMetaNotStored = "NS";
inline constexpr std::string_view kMetaExists = "EX";
inline constexpr std::string_view kMetaNotFound = "NF";
inline constexpr std::string_view kMetaNoop = "MN\r\n";
inline constexpr std::string_view kMetaDebug = "ME ";
inline constexpr std::string_view kMetaEol = "\r\n";
// Flag errors. "mg"/"ms" report the specific one; "md"/"ma" always say kMetaInvalidOrDuplicate.
inline constexpr std::string_view kMetaInvalidFlag = "CLIENT_ERROR invalid flag\r\n";
inline constexpr std::string_view kMetaDuplicateFlag = "CLIENT_ERROR duplicate flag\r\n";
inline constexpr std::string_view kMetaInvalidOrDuplicate =
    "CLIENT_ERROR invalid or duplicate flag\r\n";
inline constexpr std::string_view kMetaBadToken =
    "CLIENT_ERROR bad token in command line format\r\n";
inline constexpr std::string_view kMetaDecodingKey = "CLIENT_ERROR error decoding key\r\n";
inline constexpr std::string_view kMetaMTokenLength =
    "CLIENT_ERROR incorrect length for M token\r\n";
inline constexpr std::string_view kMetaInvalidInitial =
    "CLIENT_ERROR invalid numeric initial value\r\n";
inline constexpr std::string_view kMetaInvalidDelta =
    "CLIENT_ERROR invalid numeric delta value\r\n";
inline constexpr std::string_view kMetaSetInvalidMode =
    "CLIENT_ERROR invalid mode for ms M token\r\n";
inline constexpr std::string_view kMetaArithInvalidMode =
    "CLIENT_ERROR invalid mode for ma M token\r\n";
inline constexpr std::string_view kMetaOpaqueTooLong = "CLIENT_ERROR opaque token too long\r\n";
// 20 or more tokens on the line. "mg" words it differently from the others, as memcached does.
inline constexpr std::string_view kMetaGetFlagsTooLong =
    "CLIENT_ERROR options flags are too long\r\n";
inline constexpr std::string_view kMetaFlagsTooLong = "CLIENT_ERROR options flags too long\r\n";

// ---- Binary protocol (protocol-binary.xml "Response Status") -----------------------------------
// The body text of an error response, byte for byte what memcached 1.6.18 sends (checked against
// Debian's /usr/bin/memcached). Success responses and GetK/GATK misses carry no text.
inline constexpr std::string_view kBinaryNotFound = "Not found";                  // 0x0001
inline constexpr std::string_view kBinaryExists = "Data exists for key.";         // 0x0002
inline constexpr std::string_view kBinaryTooLarge = "Too large.";                 // 0x0003
inline constexpr std::string_view kBinaryInvalidArguments = "Invalid arguments";  // 0x0004
inline constexpr std::string_view kBinaryNotStored = "Not stored.";               // 0x0005
inline constexpr std::string_view kBinaryNonNumeric =
    "Non-numeric server-side value for incr or decr";                         // 0x0006
inline constexpr std::string_view kBinaryAuthFailure = "Auth failure.";       // 0x0020
inline constexpr std::string_view kBinaryUnknownCommand = "Unknown command";  // 0x0081
inline constexpr std::string_view kBinaryOutOfMemory = "Out of memory";       // 0x0082
// Our addition (backpressure), status 0x0086: "busy, retry in <N> ms".
inline constexpr std::string_view kBinaryBusyPrefix = "busy, retry in ";
inline constexpr std::string_view kBinaryBusySuffix = " ms";
// SASL (memcached -S): List mechanisms answers the names, a successful Auth or Step this text.
inline constexpr std::string_view kBinarySaslMechanisms = "PLAIN";
inline constexpr std::string_view kBinaryAuthenticated = "Authenticated";
// Cold tier: status 0x0086 (temporary failure) with this body.
inline constexpr std::string_view kBinaryColdLoading = "cold item loading, retry";

}  // namespace corecached::proto::replies
