#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <utility>

namespace corecached::net {

namespace {

// memcached's SESSION_ID_CONTEXT role: session resumption (and client verification with it)
// needs a context id.
constexpr std::string_view kSessionIdContext = "corecached";

// The oldest queued OpenSSL error as memcached prints it ("error:80000002:system library::No
// such file or directory"); clears the queue so that it cannot leak into another connection.
std::string TakeOpensslError() {
  const unsigned long code = ERR_get_error();
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  ERR_clear_error();
  return text.data();
}

constexpr std::array<int, 4> kMinVersions = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION,
                                             TLS1_3_VERSION};

std::string SubjectOf(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0) {
    return {};
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace

const char* MinVersionName(int min_version) {
  static constexpr std::array<const char*, 4> kNames = {"tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3"};
  return kNames[static_cast<std::size_t>(std::clamp(min_version, 0, 3))];
}

int VerifyModeBits(int verify_mode) {
  switch (verify_mode) {
    case 1:
      return SSL_VERIFY_PEER;
    case 2:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    case 3:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT | SSL_VERIFY_CLIENT_ONCE;
    default:
      return SSL_VERIFY_NONE;
  }
}

TlsContext::TlsContext(TlsOptions options, const core::Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  std::string error;
  current_ = Build(&error);
  if (!current_) {
    throw TlsLoadError(error);
  }
  stats_.last_refresh_seconds.store(clock_.NowSeconds());
}

TlsContext::~TlsContext() = default;

TlsContext::CtxPtr TlsContext::Build(std::string* error) {
  ERR_clear_error();
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    *error = "Error creating the TLS context : " + TakeOpensslError();
    return nullptr;
  }
  const std::string& key = options_.key.empty() ? options_.chain_cert : options_.key;
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), options_.chain_cert.c_str()) != 1) {
    *error =
        "Error loading the certificate chain: " + options_.chain_cert + " : " + TakeOpensslError();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), options_.key_format) != 1) {
    *error = "Error loading the key: " + key + " : " + TakeOpensslError();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    *error = "Error validating the certificate : " + TakeOpensslError();
    return nullptr;
  }
  if (!options_.ca_cert.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), options_.ca_cert.c_str(), nullptr) != 1) {
      *error = "Error loading the CA certificate: " + options_.ca_cert + " : " + TakeOpensslError();
      return nullptr;
    }
    SSL_CTX_set_client_CA_list(ctx.get(), SSL_load_client_CA_file(options_.ca_cert.c_str()));
  }
  if (!options_.ciphers.empty() &&
      SSL_CTX_set_cipher_list(ctx.get(), options_.ciphers.c_str()) != 1) {
    *error = "Error setting the provided cipher(s): " + options_.ciphers;
    ERR_clear_error();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(
      ctx.get(), kMinVersions[static_cast<std::size_t>(std::clamp(options_.min_version, 0, 3))]);
  SSL_CTX_set_verify(ctx.get(), VerifyModeBits(options_.verify_mode), nullptr);
  // Renegotiation is refused (memcached closes such connections); a peer that closes without
  // close_notify is an ordinary EOF, as on a plain socket.
  uint64_t op = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF;
  if (options_.kernel_tls) {
    op |= SSL_OP_ENABLE_KTLS;
  }
  SSL_CTX_set_options(ctx.get(), op);
  // The session's reply buffer may move between retries of one SSL_write (it is not touched while
  // a write is pending, but its address is not promised either), and a write may be partial.
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // One read(2) per request instead of two (record header, then body): OpenSSL reads what the
  // socket has into its own buffer. SocketIo always calls SSL_read before parking, so records
  // already buffered are never left waiting for a socket event.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_session_id_context(ctx.get(),
                                 reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
                                 static_cast<unsigned int>(kSessionIdContext.size()));
  if (options_.session_cache) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_app_data(ctx.get(), this);
    SSL_CTX_sess_set_new_cb(ctx.get(), &TlsContext::OnNewSession);
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  }
  return ctx;
}

int TlsContext::OnNewSession(SSL* ssl, SSL_SESSION* /*session*/) {
  auto* self = static_cast<TlsContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self != nullptr) {
    self->stats_.new_sessions.fetch_add(1);
  }
  return 0;  // the cache keeps its own reference
}

bool TlsContext::Reload(std::string* error) {
  CtxPtr next = Build(error);
  if (!next) {
    stats_.refresh_errors.fetch_add(1);
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::swap(current_, next);
  }
  // `next` (the old SSL_CTX) is released here; live connections keep their own references.
  stats_.refreshes.fetch_add(1);
  stats_.last_refresh_seconds.store(clock_.NowSeconds());
  return true;
}

SSL* TlsContext::NewSsl() {
  std::lock_guard<std::mutex> lock(mutex_);
  return SSL_new(current_.get());
}

bool TlsContext::SubjectAllowed(SSL* ssl) const {
  if (options_.allowed_subjects.empty()) {
    return true;
  }
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) {
    return false;
  }
  const std::string subject = SubjectOf(cert);
  return std::find(options_.allowed_subjects.begin(), options_.allowed_subjects.end(), subject) !=
         options_.allowed_subjects.end();
}

void TlsContext::CountVersion(SSL* ssl) {
  stats_.handshakes.fetch_add(1);
  switch (SSL_version(ssl)) {
    case TLS1_2_VERSION:
      stats_.tls12.fetch_add(1);
      break;
    case TLS1_3_VERSION:
      stats_.tls13.fetch_add(1);
      break;
    default:
      stats_.tls_other.fetch_add(1);
      break;
  }
}

int64_t TlsContext::SecondsSinceRefresh() const {
  return clock_.NowSeconds() - stats_.last_refresh_seconds.load();
}

}  // namespace corecached::net
