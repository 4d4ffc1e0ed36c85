#include "config/tls_options.h"

#include <array>

#include "config/units.h"

namespace corecached::config {

namespace {

constexpr std::array<std::string_view, 4> kVersionNames = {"tlsv1.0", "tlsv1.1", "tlsv1.2",
                                                           "tlsv1.3"};

std::string Flag(std::string_view name) { return "-o " + std::string(name); }

const std::string& Need(std::string_view name, const std::string* value) {
  if (value == nullptr || value->empty()) {
    throw ConfigError("", 0, Flag(name), "missing argument");
  }
  return *value;
}

// memcached's two messages for a bad numeric ssl_* value.
uint32_t Small(std::string_view name, const std::string* value, uint32_t lo, uint32_t hi) {
  Parsed<int64_t> v = ParseInt(Need(name, value));
  if (!v.Ok()) {
    throw ConfigError("", 0, Flag(name), "could not parse argument to " + std::string(name));
  }
  if (v.value < lo || v.value > hi) {
    throw ConfigError("", 0, Flag(name),
                      "Invalid " + std::string(name) + ". Use help to see valid options.");
  }
  return static_cast<uint32_t>(v.value);
}

}  // namespace

std::optional<uint32_t> ParseTlsMinVersion(std::string_view text) {
  for (std::size_t i = 0; i < kVersionNames.size(); ++i) {
    if (text == kVersionNames[i]) {
      return static_cast<uint32_t>(i);
    }
  }
  Parsed<int64_t> v = ParseInt(std::string(text));
  if (v.Ok() && v.value >= 0 && v.value <= 3) {
    return static_cast<uint32_t>(v.value);
  }
  return std::nullopt;
}

std::optional<std::string> ApplyTlsSuboption(Config& config, std::string_view name,
                                             const std::string* value) {
  TlsConfig& tls = config.tls;
  if (name == "ssl_chain_cert") {
    tls.chain_cert = Need(name, value);
    return "tls.chain_cert";
  }
  if (name == "ssl_key") {
    tls.key = Need(name, value);
    return "tls.key";
  }
  if (name == "ssl_ca_cert") {
    tls.ca_cert = Need(name, value);
    return "tls.ca_cert";
  }
  if (name == "ssl_ciphers") {
    tls.ciphers = Need(name, value);
    return "tls.ciphers";
  }
  if (name == "ssl_verify_mode") {
    tls.verify_mode = Small(name, value, 0, 3);
    return "tls.verify_mode";
  }
  if (name == "ssl_keyformat") {
    tls.key_format = Small(name, value, 1, 2);
    return "tls.key_format";
  }
  if (name == "ssl_wbuf_size") {
    tls.wbuf_size_bytes = uint64_t{Small(name, value, 1, 1024)} * kKiB;
    return "tls.wbuf_size";
  }
  if (name == "ssl_min_version") {
    std::optional<uint32_t> v = ParseTlsMinVersion(Need(name, value));
    if (!v) {
      (void)Small(name, value, 0, 3);  // memcached's message for this value
    }
    tls.min_version = v.value_or(2);
    return "tls.min_version";
  }
  if (name == "ssl_session_cache" || name == "ssl_kernel_tls") {
    (name == "ssl_session_cache" ? tls.session_cache : tls.kernel_tls) = true;
    return name == "ssl_session_cache" ? "tls.session_cache" : "tls.kernel_tls";
  }
  if (name.starts_with("ssl_")) {
    throw ConfigError("", 0, "-o", "illegal suboption \"" + std::string(name) + "\"");
  }
  return std::nullopt;
}

}  // namespace corecached::config
