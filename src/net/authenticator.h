#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "proto/auth.h"

namespace corecached::net {

// Authenticator holds the users of the auth file (-Y / auth.file) and re-reads it on demand
// (SIGHUP). Sessions check credentials against the table loaded last.
//
// Owner: Server. Thread: Check from any network thread; Load/Reload from main (start-up, SIGHUP).
// The mutex guards only the swap and the copy of a shared_ptr to an immutable table, never I/O.
class Authenticator {
 public:
  explicit Authenticator(std::string path) : path_(std::move(path)) {}

  // Reads the file. Returns false (and keeps the previous table) when it cannot be read; `error`
  // then says why, in one line for the log.
  bool Reload(std::string* error);
  [[nodiscard]] bool Check(std::string_view user, std::string_view password) const;
  [[nodiscard]] const std::string& Path() const { return path_; }

 private:
  const std::string path_;
  mutable std::mutex mu_;
  std::shared_ptr<const proto::AuthTable> table_ = std::make_shared<proto::AuthTable>();
};

}  // namespace corecached::net
