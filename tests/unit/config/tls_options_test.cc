#include "config/tls_options.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "config/flags.h"
#include "config/validate.h"
#include "config/yaml_loader.h"

namespace corecached::config {
namespace {

ParseResult Parse(std::vector<std::string> args) {
  args.insert(args.begin(), "corecached");
  return ParseCommandLine(args);
}

std::string Error(const std::vector<std::string>& args) {
  const ParseResult r = Parse(args);
  REQUIRE(r.action == Action::kExit);
  CHECK(r.exit_code == kExitConfigError);
  return r.error;
}

TEST_CASE("TLS flags: -Z and every -o ssl_* option set the tls keys") {
  const ParseResult r = Parse(
      {"-Z", "-o",
       "ssl_chain_cert=c.pem,ssl_key=k.pem,ssl_ca_cert=ca.pem,ssl_verify_mode=2,"
       "ssl_min_version=3,ssl_ciphers=HIGH,ssl_keyformat=2,ssl_wbuf_size=32,ssl_session_cache,"
       "ssl_kernel_tls"});
  INFO(r.error);
  REQUIRE(r.action == Action::kRun);
  const TlsConfig& t = r.config.tls;
  CHECK(t.enabled);
  CHECK(t.chain_cert == "c.pem");
  CHECK(t.key == "k.pem");
  CHECK(t.ca_cert == "ca.pem");
  CHECK(t.verify_mode == 2);
  CHECK(t.min_version == 3);
  CHECK(t.ciphers == "HIGH");
  CHECK(t.key_format == 2);
  CHECK(t.wbuf_size_bytes == 32 * kKiB);
  CHECK(t.session_cache);
  CHECK(t.kernel_tls);
}

TEST_CASE("TLS flags: memcached's messages for bad values") {
  CHECK(
      Error({"-Z", "-o", "ssl_chain_cert=c,ssl_verify_mode=4"}) ==
      "corecached: -o ssl_verify_mode: Invalid ssl_verify_mode. Use help to see valid options.\n");
  CHECK(Error({"-Z", "-o", "ssl_chain_cert=c,ssl_min_version=x"}) ==
        "corecached: -o ssl_min_version: could not parse argument to ssl_min_version\n");
  CHECK(Error({"-o", "ssl_bogus=1"}) == "corecached: -o: illegal suboption \"ssl_bogus\"\n");
  CHECK(Error({"-o", "ssl_chain_cert"}) == "corecached: -o ssl_chain_cert: missing argument\n");
}

TEST_CASE("TLS flags: -Z without a certificate, allow-list without require") {
  CHECK(Error({"-Z"}).find("tls.chain_cert: is required when TLS is enabled") != std::string::npos);
  Config config;
  config.tls.allowed_subjects = {"CN=a"};
  config.tls.verify_mode = 1;
  CHECK_THROWS_WITH_AS(Validate(config, KeyOrigins{}),
                       "tls.allowed_subjects: needs tls.verify_mode 2 (require) or 3 (once)",
                       ConfigError);
  config.tls.verify_mode = 2;
  CHECK_NOTHROW(Validate(config, KeyOrigins{}));
}

TEST_CASE("ParseTlsMinVersion: memcached's numbers and the names it prints") {
  CHECK(ParseTlsMinVersion("2") == 2U);
  CHECK(ParseTlsMinVersion("tlsv1.3") == 3U);
  CHECK_FALSE(ParseTlsMinVersion("4").has_value());
  CHECK_FALSE(ParseTlsMinVersion("tls1.3").has_value());
}

TEST_CASE("YAML tls section: every key, and the allow-list needs verify_mode 2 or 3") {
  const LoadedConfig loaded = LoadConfigString(
      "tls:\n  enabled: true\n  chain_cert: c\n  verify_mode: 3\n  min_version: tlsv1.3\n"
      "  allowed_subjects: [\"CN=a\", \"CN=b,O=x\"]\n  handshake_timeout_ms: 250\n"
      "  max_handshakes_per_thread: 8\n  wbuf_size: 32k\n",
      "t.yaml");
  const TlsConfig& t = loaded.config.tls;
  CHECK(t.enabled);
  CHECK(t.verify_mode == 3);
  CHECK(t.min_version == 3);
  CHECK(t.allowed_subjects == std::vector<std::string>{"CN=a", "CN=b,O=x"});
  CHECK(t.handshake_timeout_ms == 250);
  CHECK(t.max_handshakes_per_thread == 8);
  CHECK(t.wbuf_size_bytes == 32 * kKiB);
  CHECK_THROWS_WITH_AS(
      (void)LoadConfigString("tls:\n  min_version: ssl3\n", "t.yaml"),
      "t.yaml:2: tls.min_version: must be one of tlsv1.0, tlsv1.1, tlsv1.2, tlsv1.3 (or 0..3); "
      "got 'ssl3'",
      ConfigError);
  CHECK_THROWS_AS((void)LoadConfigString("tls:\n  allowed_subjects: CN=a\n", "t.yaml"),
                  ConfigError);
}

}  // namespace
}  // namespace corecached::config
