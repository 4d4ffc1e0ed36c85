#include "net/authenticator.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace corecached::net {

bool Authenticator::Reload(std::string* error) {
  std::ifstream in(path_, std::ios::binary);
  if (!in) {
    *error = "cannot read auth file " + path_ + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto table = std::make_shared<const proto::AuthTable>(text.str());
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
