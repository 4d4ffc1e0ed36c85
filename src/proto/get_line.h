#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/command.h"
#include "proto/request.h"

namespace corecached::proto {

// GetLine parses a get/gets line of any length in pieces, as it arrives, with bounded
// memory: memcached grows its read buffer without limit for a multi-get line
// (try_read_command_ascii) and answers every key (an 18,725-key, 190 KB line included). Each piece
// becomes one kKeyed Request of at most kMaxKeysPerPiece keys whose reply has no END
// (TextContext::more_follows); the last piece's reply ends with END.
//
// Differences from memcached, which sees the whole line at once: a key over 250 bytes in a later
// piece answers the bad-command-line-format error after the values of earlier pieces
// (memcached answers only the error), and a server error (busy, out of memory) on one piece ends
// the reply there (Codec drops the line's later pieces).
//
// Owner: one Codec. Thread: owning network thread. Everything else keeps the parser's rule:
// incomplete input consumes nothing.
class GetLine {
 public:
  // A line is parsed in pieces once this much has arrived without its newline. Shorter lines are
  // parsed whole (ParseText), byte for byte as memcached.
  static constexpr std::size_t kPieceStartBytes = std::size_t{16} * 1024;
  // Keys per piece: a piece's Commands and replies stay bounded whatever the line's length.
  static constexpr std::size_t kMaxKeysPerPiece = 1024;

  // True when `in` starts a retrieval line that must be parsed in pieces.
  [[nodiscard]] static bool Starts(std::string_view in);
  [[nodiscard]] bool Active() const { return active_; }
  // Parses the next piece (the first one too). kNeedMore consumes nothing.
  ParseResult Parse(std::string_view in, Request* out);

 private:
  bool ParseHead(std::string_view in, std::size_t* pos, Request* out);
  ParseResult Discard(std::string_view in, Request* out);
  // Appends a Command per key of `keys` from *cursor on, at most kMaxKeysPerPiece in all; *cursor
  // ends past the last key taken. False at a key over 250 bytes.
  bool ParseKeys(std::string_view keys, std::size_t* cursor, Request* out) const;
  ParseResult BadKey(std::size_t consumed, Request* out);
  ParseResult Finish(std::size_t consumed, bool last, Request* out);

  bool active_ = false;
  bool discard_ = false;  // a bad key or exptime: the rest of the line is dropped
  TextContext::Verb verb_ = TextContext::Verb::kGet;
  // gat/gats: every key's command touches with this exptime. Not a whole Command template: this
  // object lives in every connection's Codec (208 B per idle connection, issue #10).
  bool touch_ = false;
  int64_t exptime_ = 0;
  uint32_t line_id_ = 0;
};

}  // namespace corecached::proto
