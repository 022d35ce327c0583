#include "tls/tls_engine.hpp"

#include <arpa/inet.h>
#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

namespace uvwamp {
namespace {

constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// One record's worth of plaintext: mbedtls_ssl_read gives at most that much per call.
constexpr std::size_t kReadChunk = MBEDTLS_SSL_IN_CONTENT_LEN;

// Bounds for when mbedTLS cannot compute the record layer's overhead (with compression, which is
// never configured here): a 5-byte header plus the largest IV, MAC and CBC padding.
constexpr std::size_t kFallbackRecordPayload = 512;
constexpr std::size_t kFallbackRecordExpansion = 5 + 16 + 64 + 256;

std::string mbedtls_error_text(int code) {
  char text[200];
  mbedtls_strerror(code, text, sizeof text);
  char number[16];
  std::snprintf(number, sizeof number, "-0x%04x", static_cast<unsigned>(-code));
  return std::string(text) + " (" + number + ")";
}

int random_bytes(void*, unsigned char* out, std::size_t size) {
  randombytes_buf(out, size);
  return 0;
}

// The 4 or 16 bytes of `name` when it is an IPv4 or IPv6 address literal.
std::optional<std::vector<std::uint8_t>> ip_address_bytes(const std::string& name) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, name.c_str(), bytes) == 1) {
    return std::vector<std::uint8_t>(bytes, bytes + 4);
  }
  if (inet_pton(AF_INET6, name.c_str(), bytes) == 1) {
    return std::vector<std::uint8_t>(bytes, bytes + 16);
  }
  return std::nullopt;
}

bool certificate_names_ip(const mbedtls_x509_crt& certificate,
                          const std::vector<std::uint8_t>& ip) {
  for (const mbedtls_x509_sequence* name = &certificate.subject_alt_names; name && name->buf.p;
       name = name->next) {
    if (name->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
        name->buf.len == ip.size() && std::memcmp(name->buf.p, ip.data(), ip.size()) == 0) {
      return true;
    }
  }
  return false;
}

// mbedtls_x509_crt_verify_info's lines ("The certificate is not correctly signed by the trusted
// CA\n..."), joined into one sentence.
std::string verify_failure_text(std::uint32_t flags) {
  char text[1024];
  const int length = mbedtls_x509_crt_verify_info(text, sizeof text, "", flags);
  std::string joined;
  std::string line;
  for (int i = 0; i < std::max(length, 0); ++i) {
    if (text[i] != '\n') {
      line += text[i];
      continue;
    }
    if (!joined.empty()) joined += "; ";
    joined += line;
    line.clear();
  }
  if (!line.empty()) joined += (joined.empty() ? "" : "; ") + line;
  return joined.empty() ? "unknown reason" : joined;
}

Error setup_error(const std::string& what, int code) {
  return Error{transport_errc::tls_failed, what + ": " + mbedtls_error_text(code)};
}

}  // namespace

struct TlsEngine::Session {
  Session() {
    mbedtls_ssl_config_init(&config);
    mbedtls_ssl_init(&ssl);
    mbedtls_x509_crt_init(&ca_chain);
    mbedtls_x509_crt_init(&own_certificate);
    mbedtls_pk_init(&own_key);
  }
  ~Session() {
    mbedtls_ssl_free(&ssl);
    mbedtls_ssl_config_free(&config);
    mbedtls_x509_crt_free(&ca_chain);
    mbedtls_x509_crt_free(&own_certificate);
    mbedtls_pk_free(&own_key);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Status load(const TlsOptions& options);
  Status load_trusted_cas(const TlsOptions& options);
  Status load_own_certificate(const TlsOptions& options);
  Status pump();
  Error fail(int code);

  static int send(void* context, const unsigned char* data, std::size_t size);
  static int receive(void* context, unsigned char* data, std::size_t size);
  static int verify_ip(void* context, mbedtls_x509_crt* certificate, int depth,
                       std::uint32_t* flags);

  mbedtls_ssl_config config;
  mbedtls_ssl_context ssl;
  mbedtls_x509_crt ca_chain;
  mbedtls_x509_crt own_certificate;
  mbedtls_pk_context own_key;
  std::vector<std::uint8_t> expected_ip;  // when the server name is an IP address

  // The caller's bytes during feed(): mbedTLS consumes them all before feed() returns.
  const std::uint8_t* input = nullptr;
  std::size_t input_size = 0;
  std::vector<std::uint8_t> output;
  std::vector<std::uint8_t> plaintext;

  bool started = false;
  bool handshake_done = false;
  bool peer_closed = false;
  bool closed = false;
  std::optional<Error> failure;
};

Status TlsEngine::Session::load(const TlsOptions& options) {
  int code = mbedtls_ssl_config_defaults(&config, MBEDTLS_SSL_IS_CLIENT,
                                         MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (code != 0) return setup_error("could not configure TLS", code);
  mbedtls_ssl_conf_min_version(&config, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  mbedtls_ssl_conf_rng(&config, random_bytes, nullptr);

  const bool verify = !options.dangerously_skip_certificate_verification;
  const std::optional<std::vector<std::uint8_t>> ip = ip_address_bytes(options.server_name);
  if (verify) {
    if (options.server_name.empty()) {
      return Error{transport_errc::tls_failed,
                   "a server name is needed to verify the server's certificate"};
    }
    Status loaded = load_trusted_cas(options);
    if (!loaded) return loaded;
    mbedtls_ssl_conf_ca_chain(&config, &ca_chain, nullptr);
    mbedtls_ssl_conf_authmode(&config, MBEDTLS_SSL_VERIFY_REQUIRED);
    // mbedTLS 2.28 matches only DNS names; IP address entries are checked here instead.
    if (ip) {
      expected_ip = *ip;
      mbedtls_ssl_conf_verify(&config, verify_ip, this);
    }
  } else {
    mbedtls_ssl_conf_authmode(&config, MBEDTLS_SSL_VERIFY_NONE);
  }
  Status own = load_own_certificate(options);
  if (!own) return own;

  code = mbedtls_ssl_setup(&ssl, &config);
  if (code != 0) return setup_error("could not set up the TLS session", code);
  // RFC 6066 forbids an IP address as SNI; mbedTLS also uses this name for verification.
  if (!ip && !options.server_name.empty()) {
    code = mbedtls_ssl_set_hostname(&ssl, options.server_name.c_str());
    if (code != 0) return setup_error("bad server name \"" + options.server_name + "\"", code);
  }
  mbedtls_ssl_set_bio(&ssl, this, send, receive, nullptr);
  return {};
}

// A bundle of which mbedTLS can parse only some certificates (parse_file and parse_path then
// return how many failed) is used with the rest.
Status TlsEngine::Session::load_trusted_cas(const TlsOptions& options) {
  if (options.ca_file.empty() && options.ca_directory.empty()) {
    const int code = mbedtls_x509_crt_parse_file(&ca_chain, kSystemCaBundle);
    if (code < 0) {
      return setup_error(
          std::string("could not load the system's trusted CAs from ") + kSystemCaBundle, code);
    }
  }
  if (!options.ca_file.empty()) {
    const int code = mbedtls_x509_crt_parse_file(&ca_chain, options.ca_file.c_str());
    if (code < 0)
      return setup_error("could not load the CA file \"" + options.ca_file + "\"", code);
  }
  if (!options.ca_directory.empty()) {
    const int code = mbedtls_x509_crt_parse_path(&ca_chain, options.ca_directory.c_str());
    if (code < 0) {
      return setup_error("could not load the CA directory \"" + options.ca_directory + "\"", code);
    }
  }
  if (ca_chain.version == 0) {
    return Error{transport_errc::tls_failed, "no trusted CA certificate could be loaded"};
  }
  return {};
}

Status TlsEngine::Session::load_own_certificate(const TlsOptions& options) {
  if (options.certificate_file.empty() && options.private_key_file.empty()) return {};
  if (options.certificate_file.empty() || options.private_key_file.empty()) {
    return Error{transport_errc::tls_failed,
                 "a client certificate needs both a certificate file and a private key file"};
  }
  int code = mbedtls_x509_crt_parse_file(&own_certificate, options.certificate_file.c_str());
  if (code != 0) {
    return setup_error("could not load the certificate file \"" + options.certificate_file + "\"",
                       code < 0 ? code : MBEDTLS_ERR_X509_INVALID_FORMAT);
  }
  code = mbedtls_pk_parse_keyfile(&own_key, options.private_key_file.c_str(), nullptr);
  if (code != 0) {
    return setup_error("could not load the private key file \"" + options.private_key_file + "\"",
                       code);
  }
  code = mbedtls_pk_check_pair(&own_certificate.pk, &own_key);
  if (code != 0) {
    return setup_error("the private key in \"" + options.private_key_file +
                           "\" does not belong to the certificate in \"" +
                           options.certificate_file + "\"",
                       code);
  }
  code = mbedtls_ssl_conf_own_cert(&config, &own_certificate, &own_key);
  if (code != 0) return setup_error("could not use the client certificate", code);
  return {};
}

Status TlsEngine::Session::pump() {
  if (!handshake_done) {
    const int code = mbedtls_ssl_handshake(&ssl);
    if (code == MBEDTLS_ERR_SSL_WANT_READ) return {};
    if (code != 0) return fail(code);
    handshake_done = true;
  }
  while (!peer_closed) {
    const std::size_t old_size = plaintext.size();
    plaintext.resize(old_size + kReadChunk);
    const int code = mbedtls_ssl_read(&ssl, plaintext.data() + old_size, kReadChunk);
    plaintext.resize(old_size + static_cast<std::size_t>(std::max(code, 0)));
    if (code > 0) continue;
    // 0 would be the transport's EOF, which receive() never reports: all input is consumed.
    if (code == MBEDTLS_ERR_SSL_WANT_READ || code == 0) return {};
    if (code == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      peer_closed = true;
      return {};
    }
    return fail(code);
  }
  return {};
}

Error TlsEngine::Session::fail(int code) {
  if (code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
    failure = Error{transport_errc::certificate_rejected,
                    "the server's certificate was rejected: " +
                        verify_failure_text(mbedtls_ssl_get_verify_result(&ssl))};
  } else {
    failure = Error{transport_errc::tls_failed,
                    std::string(handshake_done ? "TLS failed: " : "the TLS handshake failed: ") +
                        mbedtls_error_text(code)};
  }
  return *failure;
}

int TlsEngine::Session::send(void* context, const unsigned char* data, std::size_t size) {
  auto* session = static_cast<Session*>(context);
  session->output.insert(session->output.end(), data, data + size);
  return static_cast<int>(size);
}

int TlsEngine::Session::receive(void* context, unsigned char* data, std::size_t size) {
  auto* session = static_cast<Session*>(context);
  if (session->input_size == 0) return MBEDTLS_ERR_SSL_WANT_READ;
  const std::size_t count = std::min(size, session->input_size);
  std::memcpy(data, session->input, count);
  session->input += count;
  session->input_size -= count;
  return static_cast<int>(count);
}

int TlsEngine::Session::verify_ip(void* context, mbedtls_x509_crt* certificate, int depth,
                                  std::uint32_t* flags) {
  const auto* session = static_cast<const Session*>(context);
  if (depth == 0 && !certificate_names_ip(*certificate, session->expected_ip)) {
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  }
  return 0;
}

Result<std::unique_ptr<TlsEngine>> TlsEngine::client(const TlsOptions& options) {
  if (sodium_init() < 0) {
    return Error{transport_errc::tls_failed,
                 "libsodium, the source of randomness, failed to start"};
  }
  auto session = std::make_unique<Session>();
  Status loaded = session->load(options);
  if (!loaded) return loaded.error();
  return std::unique_ptr<TlsEngine>(new TlsEngine(std::move(session)));
}

TlsEngine::TlsEngine(std::unique_ptr<Session> session) : session_(std::move(session)) {}

TlsEngine::~TlsEngine() = default;

Status TlsEngine::start() {
  Session& s = *session_;
  if (s.failure) return *s.failure;
  if (s.started) return {};
  s.started = true;
  return s.pump();
}

Status TlsEngine::feed(const std::uint8_t* data, std::size_t size) {
  Session& s = *session_;
  if (s.failure) return *s.failure;
  if (s.peer_closed) return {};  // nothing may follow close_notify
  s.input = data;
  s.input_size = size;
  Status status = s.pump();
  s.input = nullptr;
  s.input_size = 0;
  return status;
}

bool TlsEngine::take_output(std::vector<std::uint8_t>& out) {
  Session& s = *session_;
  if (s.output.empty()) return false;
  if (out.empty()) {
    out.swap(s.output);
  } else {
    out.insert(out.end(), s.output.begin(), s.output.end());
  }
  s.output.clear();
  return true;
}

bool TlsEngine::handshake_done() const noexcept {
  return session_->handshake_done;
}

bool TlsEngine::peer_closed() const noexcept {
  return session_->peer_closed;
}

bool TlsEngine::take_plaintext(std::vector<std::uint8_t>& out) {
  Session& s = *session_;
  out.clear();
  out.swap(s.plaintext);
  return !out.empty();
}

Status TlsEngine::write(const std::uint8_t* data, std::size_t size) {
  Session& s = *session_;
  if (s.failure) return *s.failure;
  if (!s.handshake_done) return Error{transport_errc::not_open, "the TLS handshake is not done"};
  if (s.closed) return Error{transport_errc::not_open, "the TLS session is closed"};
  std::size_t offset = 0;
  while (offset < size) {
    const int code = mbedtls_ssl_write(&s.ssl, data + offset, size - offset);
    if (code < 0) return s.fail(code);
    offset += static_cast<std::size_t>(code);
  }
  return {};
}

std::size_t TlsEngine::max_ciphertext_size(std::size_t size) const noexcept {
  const int payload = mbedtls_ssl_get_max_out_record_payload(&session_->ssl);
  const int expansion = mbedtls_ssl_get_record_expansion(&session_->ssl);
  const std::size_t record_payload =
      payload > 0 ? static_cast<std::size_t>(payload) : kFallbackRecordPayload;
  const std::size_t record_expansion =
      expansion >= 0 ? static_cast<std::size_t>(expansion) : kFallbackRecordExpansion;
  const std::size_t records = (size + record_payload - 1) / record_payload;
  return size + records * record_expansion;
}

void TlsEngine::close() {
  Session& s = *session_;
  if (s.closed || s.failure) return;
  s.closed = true;
  // Best effort: a close_notify that cannot be made changes nothing for the caller, who is
  // closing the connection anyway.
  if (s.handshake_done) mbedtls_ssl_close_notify(&s.ssl);
}

std::optional<std::vector<std::uint8_t>> TlsEngine::tls_unique() const {
#if defined(MBEDTLS_SSL_RENEGOTIATION)
  const Session& s = *session_;
  if (!s.handshake_done) return std::nullopt;
  const auto* finished = reinterpret_cast<const std::uint8_t*>(s.ssl.own_verify_data);
  return std::vector<std::uint8_t>(finished, finished + s.ssl.verify_data_len);
#else
  return std::nullopt;
#endif
}

}  // namespace uvwamp
