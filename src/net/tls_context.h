#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.h"

namespace corecached::net {

// TlsOptions: memcached's -Z and -o ssl_* options (same names, same meaning), plus corecached's
// handshake bounds and client-certificate allow-list. Plain data; thread: any.
struct TlsOptions {
  bool enabled = false;    // -Z
  std::string chain_cert;  // ssl_chain_cert: PEM certificate chain
  std::string key;         // ssl_key: private key; empty = the key is in chain_cert
  int key_format =
      SSL_FILETYPE_PEM;  // ssl_keyformat: SSL_FILETYPE_PEM (1) or SSL_FILETYPE_ASN1 (2)
  std::string ca_cert;   // ssl_ca_cert: PEM file of client CAs; empty = none
  std::string ciphers;   // ssl_ciphers: OpenSSL cipher list; empty = OpenSSL's
  // ssl_verify_mode: 0 none, 1 request, 2 require, 3 once (memcached's numbering).
  int verify_mode = 0;
  // ssl_min_version: 0 tlsv1.0, 1 tlsv1.1, 2 tlsv1.2, 3 tlsv1.3 (memcached's numbering).
  int min_version = 2;
  bool session_cache = false;  // ssl_session_cache: server-side session cache (resumption)
  bool kernel_tls = false;     // ssl_kernel_tls: SSL_OP_ENABLE_KTLS (OpenSSL falls back silently)
  // ssl_wbuf_size: memcached's per-connection output buffer. Reported in `stats settings`;
  // corecached writes the session's own reply buffer through SSL_write, so it sizes nothing.
  std::size_t wbuf_size_bytes = std::size_t{16} * 1024;
  // With verify_mode 2 or 3: when not empty, a client certificate whose subject (RFC 2253, e.g.
  // "CN=client1,O=Example") is not listed is refused after the handshake.
  std::vector<std::string> allowed_subjects;
  // A handshake not finished by then is abandoned and counted (a client that stops mid-way).
  std::chrono::milliseconds handshake_timeout{10'000};
  // Handshakes in progress per network thread; past it a new TLS connection is closed at once
  // and counted (a handshake flood is shed, not queued without bound).
  uint32_t max_handshakes_per_thread = 64;
};

// The OpenSSL name memcached's `stats settings` prints for min_version ("tlsv1.2").
[[nodiscard]] const char* MinVersionName(int min_version);
// The SSL_VERIFY_* bits a memcached verify mode stands for (memcached prints these).
[[nodiscard]] int VerifyModeBits(int verify_mode);

// TlsStats: TLS counters shared by every network thread (handshakes are rare next to requests,
// so plain atomic adds are cheap enough). Thread: any (atomics only).
struct TlsStats {
  std::atomic<uint64_t> handshakes{0};          // completed handshakes (connections served)
  std::atomic<uint64_t> handshake_errors{0};    // memcached's ssl_handshake_errors
  std::atomic<uint64_t> handshake_timeouts{0};  // abandoned at the handshake deadline
  std::atomic<uint64_t> handshakes_shed{0};     // closed unstarted: too many in progress
  std::atomic<uint64_t> subject_rejects{0};     // valid client certificate, subject not allowed
  std::atomic<uint64_t> new_sessions{0};        // memcached's ssl_new_sessions (session cache)
  std::atomic<uint64_t> tls12{0};               // completed handshakes by protocol version
  std::atomic<uint64_t> tls13{0};
  std::atomic<uint64_t> tls_other{0};
  std::atomic<uint64_t> refreshes{0};            // refresh_certs / SIGHUP reloads that succeeded
  std::atomic<uint64_t> refresh_errors{0};       // reloads that failed (the old certificate stayed)
  std::atomic<int64_t> last_refresh_seconds{0};  // Unix time of the last successful load
};

// TlsLoadError: the certificate, key or CA file could not be loaded at start-up. what() is
// memcached's message ("Error loading the certificate chain: <file> : <openssl error>"); main
// prints it and exits 64 (EX_USAGE), as memcached does.
struct TlsLoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// TlsContext owns the server's SSL_CTX (one for the process, as memcached) and replaces it on
// refresh_certs and SIGHUP: a reload builds a whole new SSL_CTX from the files and swaps it in
// only when every file loaded and the key matches the certificate, so a broken new certificate
// keeps the old one. Connections hold their own reference to the SSL_CTX they started with (an
// SSL keeps its SSL_CTX alive), so a reload never disturbs them; new connections get the new one.
//
// Owner: Server. Thread: any. NewSsl and Reload take a mutex held only for the pointer swap and
// SSL_new (never across file I/O). Stats() is atomics only. Outlives every network thread.
class TlsContext {
 public:
  // Loads the files; throws TlsLoadError with memcached's message.
  TlsContext(TlsOptions options, const core::Clock& clock);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Re-reads the certificate, key and CA files. False (and `error` set to memcached's message,
  // without "\r\n") when they cannot be used; the running certificate then stays.
  bool Reload(std::string* error);
  // A new server-side SSL on the current SSL_CTX; the caller owns it (SSL_free). nullptr when
  // OpenSSL is out of memory.
  [[nodiscard]] SSL* NewSsl();
  // True when the allow-list is empty or holds the subject of `ssl`'s verified client
  // certificate. False for a connection without a client certificate while the list is set.
  [[nodiscard]] bool SubjectAllowed(SSL* ssl) const;
  // Counts a completed handshake under its protocol version.
  void CountVersion(SSL* ssl);

  [[nodiscard]] const TlsOptions& Options() const { return options_; }
  [[nodiscard]] TlsStats& Stats() { return stats_; }
  [[nodiscard]] const TlsStats& Stats() const { return stats_; }
  [[nodiscard]] int64_t SecondsSinceRefresh() const;

 private:
  struct CtxDeleter {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
  };
  using CtxPtr = std::unique_ptr<SSL_CTX, CtxDeleter>;

  // A fully configured SSL_CTX from the files, or null with `error` set.
  CtxPtr Build(std::string* error);
  static int OnNewSession(SSL* ssl, SSL_SESSION* session);

  const TlsOptions options_;
  const core::Clock& clock_;
  TlsStats stats_;
  std::mutex mutex_;  // guards current_ (the pointer, not the SSL_CTX, which OpenSSL locks)
  CtxPtr current_;
};

}  // namespace corecached::net
