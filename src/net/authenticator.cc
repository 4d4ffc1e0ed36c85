#include "net/authenticator.h"

#include <cerrno>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace corecached::net {

bool Authenticator::Reload(std::string* error) {
  // A directory opens like a file and then reads as empty: it must not empty the table.
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec)) {
    *error = "cannot read auth file " + path_ + ": " + std::generic_category().message(EISDIR);
    return false;
  }
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = "cannot read auth file " + path_ + ": " + std::generic_category().message(errno);
    return false;
  }
  std::string text;
  try {
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  } catch (const std::exception& e) {  // libstdc++'s filebuf throws on a read error
    *error = "cannot read auth file " + path_ + ": " + e.what();
    return false;
  }
  auto table = std::make_shared<const proto::AuthTable>(text);
  std::lock_guard<std::mutex> lock(mu_);
  table_ = std::move(table);
  return true;
}

bool Authenticator::Check(std::string_view user, std::string_view password) const {
  std::shared_ptr<const proto::AuthTable> table;
  {
    std::lock_guard<std::mutex> lock(mu_);
    table = table_;
  }
  return table->Check(user, password);
}

}  // namespace corecached::net
