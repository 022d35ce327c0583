#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <sodium.h>

#include <cstdlib>
#include <filesystem>

#include "stream/pipe_connector.hpp"
#include "stream/tcp_connector.hpp"
#include "tls/tls_connector.hpp"
#include "tls/tls_engine.hpp"
#include "tls/tls_stream.hpp"
#include "uv_test_support.hpp"

namespace uvwamp {
namespace {

using test::bytes_of;
using test::DefaultSigpipe;
using test::LoopTest;
using test::RecordingListener;
using test::TestServer;
using namespace std::chrono_literals;

// The certificates test/certs.sh makes, once for all tests, in a temporary directory.
class Certificates {
 public:
  static const Certificates& get() {
    static const Certificates certificates;
    return certificates;
  }
  ~Certificates() {
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }

  bool ok() const { return ok_; }
  const std::string& problem() const { return problem_; }
  const std::string& directory() const { return directory_; }
  std::string path(const std::string& name) const { return directory_ + "/" + name; }

 private:
  Certificates() {
    const std::string openssl = UVWAMP_TEST_OPENSSL;
    if (openssl.empty()) {
      problem_ = "the openssl command, which makes the test certificates, was not found";
      return;
    }
    char pattern[] = "/tmp/uvwamp-tls-XXXXXX";
    if (!mkdtemp(pattern)) {
      problem_ = "could not make a temporary directory";
      return;
    }
    directory_ = pattern;
    const std::string command =
        std::string("sh '") + UVWAMP_TEST_CERTS_SH + "' '" + openssl + "' '" + directory_ + "'";
    ok_ = std::system(command.c_str()) == 0;
    if (!ok_) problem_ = "test/certs.sh failed";
  }

  bool ok_ = false;
  std::string problem_;
  std::string directory_;
};

int random_bytes(void*, unsigned char* out, std::size_t size) {
  randombytes_buf(out, size);
  return 0;
}

// The test's TLS server: mbedTLS in server mode, configured once and shared by its sessions.
class ServerConfig {
 public:
  struct Options {
    std::string certificate = "localhost";  // localhost or other-name
    bool require_client_certificate = false;
    int max_minor_version = MBEDTLS_SSL_MINOR_VERSION_3;
  };

  explicit ServerConfig(const Options& options) {
    mbedtls_ssl_config_init(&config);
    mbedtls_x509_crt_init(&certificate);
    mbedtls_x509_crt_init(&ca);
    mbedtls_pk_init(&key);
    const Certificates& files = Certificates::get();
    EXPECT_EQ(sodium_init() < 0, false);
    EXPECT_EQ(mbedtls_ssl_config_defaults(&config, MBEDTLS_SSL_IS_SERVER,
                                          MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT),
              0);
    mbedtls_ssl_conf_rng(&config, random_bytes, nullptr);
    mbedtls_ssl_conf_max_version(&config, MBEDTLS_SSL_MAJOR_VERSION_3, options.max_minor_version);
    EXPECT_EQ(
        mbedtls_x509_crt_parse_file(&certificate, files.path(options.certificate + ".crt").c_str()),
        0);
    EXPECT_EQ(
        mbedtls_pk_parse_keyfile(&key, files.path(options.certificate + ".key").c_str(), nullptr),
        0);
    EXPECT_EQ(mbedtls_ssl_conf_own_cert(&config, &certificate, &key), 0);
    if (options.require_client_certificate) {
      EXPECT_EQ(mbedtls_x509_crt_parse_file(&ca, files.path("ca.crt").c_str()), 0);
      mbedtls_ssl_conf_ca_chain(&config, &ca, nullptr);
      mbedtls_ssl_conf_authmode(&config, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
      mbedtls_ssl_conf_authmode(&config, MBEDTLS_SSL_VERIFY_NONE);
    }
  }
  ~ServerConfig() {
    mbedtls_ssl_config_free(&config);
    mbedtls_x509_crt_free(&certificate);
    mbedtls_x509_crt_free(&ca);
    mbedtls_pk_free(&key);
  }
  ServerConfig(const ServerConfig&) = delete;
  ServerConfig& operator=(const ServerConfig&) = delete;

  mbedtls_ssl_config config;
  mbedtls_x509_crt certificate;
  mbedtls_x509_crt ca;
  mbedtls_pk_context key;
};

// One server-side TLS session, fed and drained in memory.
class ServerSession {
 public:
  explicit ServerSession(ServerConfig& config) {
    mbedtls_ssl_init(&ssl_);
    EXPECT_EQ(mbedtls_ssl_setup(&ssl_, &config.config), 0);
    mbedtls_ssl_set_bio(&ssl_, this, send, receive, nullptr);
  }
  ~ServerSession() { mbedtls_ssl_free(&ssl_); }
  ServerSession(const ServerSession&) = delete;
  ServerSession& operator=(const ServerSession&) = delete;

  void feed(const std::uint8_t* data, std::size_t size) {
    if (error != 0) return;
    input_.insert(input_.end(), data, data + size);
    if (!handshake_done) {
      const int code = mbedtls_ssl_handshake(&ssl_);
      if (code == MBEDTLS_ERR_SSL_WANT_READ) return;
      if (code != 0) {
        error = code;
        return;
      }
      handshake_done = true;
    }
    for (;;) {
      std::uint8_t buffer[4096];
      const int code = mbedtls_ssl_read(&ssl_, buffer, sizeof buffer);
      if (code > 0) {
        received.insert(received.end(), buffer, buffer + code);
        continue;
      }
      if (code == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) peer_closed = true;
      if (code != MBEDTLS_ERR_SSL_WANT_READ && code != MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        error = code;
      }
      return;
    }
  }

  std::vector<std::uint8_t> take_output() { return std::exchange(output_, {}); }

  void write(const std::vector<std::uint8_t>& bytes) {
    std::size_t offset = 0;
    while (offset < bytes.size()) {
      const int code = mbedtls_ssl_write(&ssl_, bytes.data() + offset, bytes.size() - offset);
      ASSERT_GT(code, 0);
      offset += static_cast<std::size_t>(code);
    }
  }

  void close_notify() { EXPECT_EQ(mbedtls_ssl_close_notify(&ssl_), 0); }

  // "CN=..." of the client's certificate; empty when it sent none.
  std::string client_subject() const {
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&ssl_);
    if (!peer) return "";
    char text[256];
    mbedtls_x509_dn_gets(text, sizeof text, &peer->subject);
    return text;
  }

  // The client's Finished verify_data, as this side saw it.
  std::vector<std::uint8_t> client_finished() const {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(ssl_.peer_verify_data);
    return std::vector<std::uint8_t>(bytes, bytes + ssl_.verify_data_len);
  }

  bool handshake_done = false;
  bool peer_closed = false;
  int error = 0;
  std::vector<std::uint8_t> received;

 private:
  static int send(void* context, const unsigned char* data, std::size_t size) {
    auto* self = static_cast<ServerSession*>(context);
    self->output_.insert(self->output_.end(), data, data + size);
    return static_cast<int>(size);
  }
  static int receive(void* context, unsigned char* data, std::size_t size) {
    auto* self = static_cast<ServerSession*>(context);
    if (self->input_.empty()) return MBEDTLS_ERR_SSL_WANT_READ;
    const std::size_t count = std::min(size, self->input_.size());
    std::memcpy(data, self->input_.data(), count);
    self->input_.erase(self->input_.begin(), self->input_.begin() + count);
    return static_cast<int>(count);
  }

  mbedtls_ssl_context ssl_;
  std::vector<std::uint8_t> input_;
  std::vector<std::uint8_t> output_;
};

std::vector<std::uint8_t> pattern(std::size_t offset, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<std::uint8_t>((offset + i) % 251);
  return bytes;
}

std::string text_of(const std::vector<std::uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// ---------------------------------------------------------------------------------------------
// The engine alone, pumped in memory against the test server.

class TlsEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Certificates::get().ok()) GTEST_SKIP() << Certificates::get().problem();
  }

  TlsOptions trusting_test_ca(const std::string& server_name = "localhost") {
    TlsOptions options;
    options.server_name = server_name;
    options.ca_file = Certificates::get().path("ca.crt");
    return options;
  }

  std::unique_ptr<TlsEngine> make_client(const TlsOptions& options) {
    auto client = TlsEngine::client(options);
    EXPECT_TRUE(client.ok()) << client.error().message;
    return client.ok() ? std::move(client.value()) : nullptr;
  }

  // Moves bytes both ways, `split` bytes per feed() call, until neither side has any to send.
  // Returns the client's first failure.
  Status pump(TlsEngine& client, ServerSession& server, std::size_t split) {
    Status client_status;
    for (int round = 0; round < 100; ++round) {
      std::vector<std::uint8_t> to_server;
      client.take_output(to_server);
      const std::vector<std::uint8_t> to_client = server.take_output();
      if (to_server.empty() && to_client.empty()) break;
      for (std::size_t offset = 0; offset < to_server.size(); offset += split) {
        server.feed(to_server.data() + offset, std::min(split, to_server.size() - offset));
      }
      for (std::size_t offset = 0; offset < to_client.size() && client_status.ok();
           offset += split) {
        client_status =
            client.feed(to_client.data() + offset, std::min(split, to_client.size() - offset));
      }
    }
    return client_status;
  }

  Status handshake(TlsEngine& client, ServerSession& server, std::size_t split = 4096) {
    Status started = client.start();
    if (!started) return started;
    return pump(client, server, split);
  }
};

TEST_F(TlsEngineTest, HandshakesAndCarriesDataBothWaysWhateverTheSplit) {
  for (std::size_t split : {1, 2, 5, 7, 13, 100, 1000, 4097, 100000}) {
    SCOPED_TRACE("split " + std::to_string(split));
    ServerConfig config({});
    ServerSession server(config);
    auto client = make_client(trusting_test_ca());
    ASSERT_TRUE(client);
    EXPECT_FALSE(client->handshake_done());
    ASSERT_TRUE(handshake(*client, server, split).ok());
    ASSERT_TRUE(client->handshake_done());
    ASSERT_TRUE(server.handshake_done);

    ASSERT_TRUE(client->write(bytes_of("hello, server").data(), 13).ok());
    const std::vector<std::uint8_t> big = pattern(0, 70'001);  // several records
    ASSERT_TRUE(client->write(big.data(), big.size()).ok());
    server.write(bytes_of("hello, client"));
    server.write(big);
    ASSERT_TRUE(pump(*client, server, split).ok());

    std::vector<std::uint8_t> expected = bytes_of("hello, server");
    expected.insert(expected.end(), big.begin(), big.end());
    EXPECT_EQ(server.received, expected);
    std::vector<std::uint8_t> plaintext;
    ASSERT_TRUE(client->take_plaintext(plaintext));
    expected = bytes_of("hello, client");
    expected.insert(expected.end(), big.begin(), big.end());
    EXPECT_EQ(plaintext, expected);
    EXPECT_FALSE(client->take_plaintext(plaintext));
    EXPECT_TRUE(plaintext.empty());
  }
}

TEST_F(TlsEngineTest, CiphertextStaysWithinTheAnnouncedBound) {
  ServerConfig config({});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  ASSERT_TRUE(handshake(*client, server).ok());
  for (std::size_t size : {1, 100, 16384, 16385, 100000}) {
    const std::vector<std::uint8_t> bytes = pattern(0, size);
    ASSERT_TRUE(client->write(bytes.data(), bytes.size()).ok());
    std::vector<std::uint8_t> ciphertext;
    ASSERT_TRUE(client->take_output(ciphertext));
    EXPECT_GT(ciphertext.size(), size);
    EXPECT_LE(ciphertext.size(), client->max_ciphertext_size(size)) << size;
  }
}

TEST_F(TlsEngineTest, TlsUniqueIsTheClientFinishedAndDiffersPerSession) {
  ServerConfig config({});
  std::vector<std::uint8_t> first;
  for (int session = 0; session < 2; ++session) {
    ServerSession server(config);
    auto client = make_client(trusting_test_ca());
    ASSERT_TRUE(client);
    EXPECT_FALSE(client->tls_unique().has_value());
    ASSERT_TRUE(handshake(*client, server).ok());
    const auto unique = client->tls_unique();
    ASSERT_TRUE(unique.has_value());
    EXPECT_EQ(unique->size(), 12u);  // TLS 1.2 verify_data
    EXPECT_EQ(*unique, server.client_finished());
    if (session == 0) {
      first = *unique;
    } else {
      EXPECT_NE(*unique, first);
    }
  }
}

TEST_F(TlsEngineTest, UntrustedCaIsRejected) {
  ServerConfig config({});
  ServerSession server(config);
  TlsOptions options = trusting_test_ca();
  options.ca_file = Certificates::get().path("other-ca.crt");
  auto client = make_client(options);
  ASSERT_TRUE(client);
  const Status status = handshake(*client, server);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, make_error_code(transport_errc::certificate_rejected));
  EXPECT_EQ(status.error().message,
            "the server's certificate was rejected: The certificate is not correctly signed by "
            "the trusted CA");
  // The engine stays failed, and told the server why.
  EXPECT_FALSE(client->feed(reinterpret_cast<const std::uint8_t*>("x"), 1).ok());
  EXPECT_FALSE(client->write(reinterpret_cast<const std::uint8_t*>("x"), 1).ok());
  EXPECT_NE(server.error, 0);
}

TEST_F(TlsEngineTest, SystemBundleIsTheDefaultAndDoesNotTrustTheTestCa) {
  if (!std::filesystem::exists("/etc/ssl/certs/ca-certificates.crt")) {
    GTEST_SKIP() << "no system CA bundle";
  }
  ServerConfig config({});
  ServerSession server(config);
  TlsOptions options;
  options.server_name = "localhost";
  auto client = make_client(options);
  ASSERT_TRUE(client);
  const Status status = handshake(*client, server);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, make_error_code(transport_errc::certificate_rejected));
}

TEST_F(TlsEngineTest, WrongHostNameIsRejected) {
  ServerConfig config({"other-name"});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca("localhost"));
  ASSERT_TRUE(client);
  const Status status = handshake(*client, server);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, make_error_code(transport_errc::certificate_rejected));
  EXPECT_EQ(status.error().message,
            "the server's certificate was rejected: The certificate Common Name (CN) does not "
            "match with the expected CN");
}

TEST_F(TlsEngineTest, RightHostNameOnTheOtherCertificateIsAccepted) {
  ServerConfig config({"other-name"});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca("other-name.example"));
  ASSERT_TRUE(client);
  EXPECT_TRUE(handshake(*client, server).ok());
}

TEST_F(TlsEngineTest, IpAddressesMatchTheCertificatesIpEntries) {
  for (const char* ip : {"127.0.0.1", "::1"}) {
    ServerConfig config({});
    ServerSession server(config);
    auto client = make_client(trusting_test_ca(ip));
    ASSERT_TRUE(client);
    EXPECT_TRUE(handshake(*client, server).ok()) << ip;
  }
  for (const char* ip : {"127.0.0.2", "::2"}) {
    ServerConfig config({});
    ServerSession server(config);
    auto client = make_client(trusting_test_ca(ip));
    ASSERT_TRUE(client);
    const Status status = handshake(*client, server);
    ASSERT_FALSE(status.ok()) << ip;
    EXPECT_EQ(status.error().code, make_error_code(transport_errc::certificate_rejected));
  }
}

TEST_F(TlsEngineTest, SkippingVerificationAcceptsAnyCertificateForAnyName) {
  ServerConfig config({"other-name"});
  ServerSession server(config);
  TlsOptions options;
  options.server_name = "localhost";
  options.ca_file = Certificates::get().path("other-ca.crt");
  options.dangerously_skip_certificate_verification = true;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  EXPECT_TRUE(handshake(*client, server).ok());
}

TEST_F(TlsEngineTest, CaDirectoryIsLoaded) {
  const std::string directory = Certificates::get().path("cas");
  std::filesystem::create_directory(directory);
  std::filesystem::copy_file(Certificates::get().path("ca.crt"), directory + "/ca.crt",
                             std::filesystem::copy_options::overwrite_existing);
  ServerConfig config({});
  ServerSession server(config);
  TlsOptions options;
  options.server_name = "localhost";
  options.ca_directory = directory;
  auto client = make_client(options);
  ASSERT_TRUE(client);
  EXPECT_TRUE(handshake(*client, server).ok());
}

TEST_F(TlsEngineTest, ClientCertificateIsPresentedWhenConfigured) {
  ServerConfig config({"localhost", /*require_client_certificate=*/true});
  ServerSession server(config);
  TlsOptions options = trusting_test_ca();
  options.certificate_file = Certificates::get().path("client.crt");
  options.private_key_file = Certificates::get().path("client.key");
  auto client = make_client(options);
  ASSERT_TRUE(client);
  ASSERT_TRUE(handshake(*client, server).ok());
  EXPECT_EQ(server.client_subject(), "CN=uvwamp test client");
}

TEST_F(TlsEngineTest, ServerThatRequiresACertificateRefusesAClientWithout) {
  ServerConfig config({"localhost", /*require_client_certificate=*/true});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  // mbedTLS's server sends no alert for this; it just stops (the socket test sees the hang-up).
  EXPECT_TRUE(handshake(*client, server).ok());
  EXPECT_EQ(server.error, MBEDTLS_ERR_SSL_NO_CLIENT_CERTIFICATE);
  EXPECT_FALSE(client->handshake_done());
}

TEST_F(TlsEngineTest, ServerLimitedToTls11IsRefused) {
  ServerConfig config({"localhost", false, MBEDTLS_SSL_MINOR_VERSION_2});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  const Status status = handshake(*client, server);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, make_error_code(transport_errc::tls_failed));
}

TEST_F(TlsEngineTest, WriteBeforeTheHandshakeOrAfterCloseIsNotOpen) {
  ServerConfig config({});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  const std::uint8_t byte = 'x';
  Status written = client->write(&byte, 1);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, make_error_code(transport_errc::not_open));
  ASSERT_TRUE(handshake(*client, server).ok());
  client->close();
  ASSERT_TRUE(pump(*client, server, 4096).ok());
  EXPECT_TRUE(server.peer_closed);
  written = client->write(&byte, 1);
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, make_error_code(transport_errc::not_open));
}

TEST_F(TlsEngineTest, ServerCloseNotifyEndsTheSession) {
  ServerConfig config({});
  ServerSession server(config);
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  ASSERT_TRUE(handshake(*client, server).ok());
  server.write(bytes_of("last words"));
  server.close_notify();
  ASSERT_TRUE(pump(*client, server, 3).ok());
  EXPECT_TRUE(client->peer_closed());
  std::vector<std::uint8_t> plaintext;
  ASSERT_TRUE(client->take_plaintext(plaintext));
  EXPECT_EQ(text_of(plaintext), "last words");
}

TEST_F(TlsEngineTest, NonTlsBytesFailTheHandshake) {
  auto client = make_client(trusting_test_ca());
  ASSERT_TRUE(client);
  ASSERT_TRUE(client->start().ok());
  const std::string reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
  const Status status =
      client->feed(reinterpret_cast<const std::uint8_t*>(reply.data()), reply.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, make_error_code(transport_errc::tls_failed));
  EXPECT_NE(status.error().message.find("the TLS handshake failed: "), std::string::npos);
}

TEST_F(TlsEngineTest, BadOptionsFailWithTheFileNamed) {
  TlsOptions options = trusting_test_ca();
  options.ca_file = Certificates::get().path("missing.crt");
  auto client = TlsEngine::client(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, make_error_code(transport_errc::tls_failed));
  EXPECT_NE(client.error().message.find("could not load the CA file \"" +
                                        Certificates::get().path("missing.crt") + "\": "),
            std::string::npos)
      << client.error().message;

  options = trusting_test_ca("");
  client = TlsEngine::client(options);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().message, "a server name is needed to verify the server's certificate");

  options = trusting_test_ca();
  options.certificate_file = Certificates::get().path("client.crt");
  client = TlsEngine::client(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("both a certificate file and a private key file"),
            std::string::npos);

  options.private_key_file = Certificates::get().path("localhost.key");
  client = TlsEngine::client(options);
  ASSERT_FALSE(client.ok());
  EXPECT_NE(client.error().message.find("does not belong to the certificate"), std::string::npos)
      << client.error().message;
}

// ---------------------------------------------------------------------------------------------
// TlsStream and TlsConnector over real sockets, against the test server on a uv TCP server.

// Serves TLS on a TestServer: a ServerSession per connection, echoing what it decrypts.
class TlsServer {
 public:
  TlsServer(TestServer& server, const ServerConfig::Options& options) : config_(options) {
    server.on_accept = [this](TestServer::Connection& connection) {
      sessions_.push_back(std::make_unique<ServerSession>(config_));
      connection.user = sessions_.back().get();
      connection.start_reading();
    };
    server.on_data = [this](TestServer::Connection& connection, const std::uint8_t* data,
                            std::size_t size) { on_data(connection, data, size); };
  }

  ServerSession& session(std::size_t index = 0) { return **std::next(sessions_.begin(), index); }
  std::size_t sessions() const { return sessions_.size(); }

  bool echo = true;
  std::string greeting;                // sent as soon as the handshake is done
  bool pause_after_handshake = false;  // stops reading, so the client's writes pile up
  bool close_after_first_data = false;

 private:
  void on_data(TestServer::Connection& connection, const std::uint8_t* data, std::size_t size) {
    auto& session = *static_cast<ServerSession*>(connection.user);
    const bool was_done = session.handshake_done;
    const std::size_t before = session.received.size();
    session.feed(data, size);
    if (!was_done && session.handshake_done) {
      if (!greeting.empty()) session.write(bytes_of(greeting));
      if (pause_after_handshake) {
        uv_read_stop(connection.stream());
        connection.reading = false;
      }
    }
    if (echo && session.received.size() > before) {
      session.write(
          std::vector<std::uint8_t>(session.received.begin() + before, session.received.end()));
    }
    if (close_after_first_data && session.received.size() > 0) session.close_notify();
    connection.write(session.take_output());
    if (session.error != 0) connection.close();
  }

  ServerConfig config_;
  std::list<std::unique_ptr<ServerSession>> sessions_;
};

class TlsStreamTest : public LoopTest {
 protected:
  void SetUp() override {
    LoopTest::SetUp();
    if (!Certificates::get().ok()) GTEST_SKIP() << Certificates::get().problem();
  }

  // A TLS server on 127.0.0.1, with the options given.
  TlsServer& add_tls_server(const ServerConfig::Options& options = {}) {
    TestServer& server = add_server();
    EXPECT_EQ(server.listen_tcp("127.0.0.1"), 0);
    port_ = server.port();
    tls_servers_.push_back(std::make_unique<TlsServer>(server, options));
    return *tls_servers_.back();
  }

  TlsConnectOptions trusting_test_ca() {
    TlsConnectOptions options;
    options.tls.ca_file = Certificates::get().path("ca.crt");
    return options;
  }

  Result<std::unique_ptr<Stream>> connect_tls(const std::string& host,
                                              const TlsConnectOptions& options) {
    TlsConnector connector(&loop_, std::make_unique<TcpConnector>(&loop_, host, port_), host,
                           options);
    return connect(connector);
  }

  void expect_echo(Stream& stream, RecordingListener& listener,
                   const std::vector<std::uint8_t>& bytes) {
    const std::size_t before = listener.data.size();
    ASSERT_TRUE(stream.write(bytes).ok());
    ASSERT_TRUE(run_until([&] { return listener.data.size() >= before + bytes.size(); }));
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), listener.data.begin() + before));
  }

  std::uint16_t port_ = 0;
  std::vector<std::unique_ptr<TlsServer>> tls_servers_;
};

TEST_F(TlsStreamTest, HandshakesByNameAndEchoes) {
  TlsServer& server = add_tls_server();
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  EXPECT_TRUE(server.session().handshake_done);

  const auto unique = dynamic_cast<TlsStream&>(*stream).tls_unique();
  ASSERT_TRUE(unique.has_value());
  EXPECT_EQ(*unique, server.session().client_finished());

  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, bytes_of("hello over TLS"));
  expect_echo(*stream, listener, pattern(0, 1'000'003));
  EXPECT_EQ(listener.ends, 0);
  close_and_destroy(stream);
  ASSERT_TRUE(run_until([&] { return server.session().peer_closed; }));
}

TEST_F(TlsStreamTest, HandshakesByNumericAddress) {
  add_tls_server();
  auto connected = connect_tls("127.0.0.1", trusting_test_ca());
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  close_and_destroy(connected.value());
}

TEST_F(TlsStreamTest, UntrustedCaIsRejected) {
  add_tls_server();
  TlsConnectOptions options;
  options.tls.ca_file = Certificates::get().path("other-ca.crt");
  auto connected = connect_tls("localhost", options);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::certificate_rejected));
  EXPECT_NE(connected.error().message.find("not correctly signed by the trusted CA"),
            std::string::npos)
      << connected.error().message;
}

TEST_F(TlsStreamTest, WrongHostNameIsRejectedAndSkippingVerificationAcceptsIt) {
  add_tls_server({"other-name"});
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::certificate_rejected));
  EXPECT_NE(connected.error().message.find("Common Name (CN) does not match"), std::string::npos)
      << connected.error().message;

  TlsConnectOptions options;
  options.tls.dangerously_skip_certificate_verification = true;
  connected = connect_tls("localhost", options);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, bytes_of("unverified"));
  close_and_destroy(stream);
}

TEST_F(TlsStreamTest, ServerNameOptionOverridesTheHost) {
  add_tls_server({"other-name"});
  TlsConnectOptions options = trusting_test_ca();
  options.tls.server_name = "other-name.example";
  auto connected = connect_tls("127.0.0.1", options);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  close_and_destroy(connected.value());
}

TEST_F(TlsStreamTest, ClientCertificateIsPresentedToAServerThatRequiresIt) {
  TlsServer& server = add_tls_server({"localhost", /*require_client_certificate=*/true});
  auto refused = connect_tls("localhost", trusting_test_ca());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, make_error_code(transport_errc::tls_failed));

  TlsConnectOptions options = trusting_test_ca();
  options.tls.certificate_file = Certificates::get().path("client.crt");
  options.tls.private_key_file = Certificates::get().path("client.key");
  auto connected = connect_tls("localhost", options);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  EXPECT_EQ(server.session(1).client_subject(), "CN=uvwamp test client");
  close_and_destroy(connected.value());
}

TEST_F(TlsStreamTest, SilentServerTimesTheHandshakeOut) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_data = [](TestServer::Connection&, const std::uint8_t*, std::size_t) {};
  port_ = server.port();
  TlsConnectOptions options = trusting_test_ca();
  options.handshake_timeout = 150ms;
  auto connected = connect_tls("localhost", options);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::timed_out));
  EXPECT_EQ(connected.error().message, "the TLS handshake did not complete within 150 ms");
}

TEST_F(TlsStreamTest, ServerHangingUpDuringTheHandshakeFailsIt) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection& connection) { connection.close(); };
  port_ = server.port();
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::tls_failed));
  EXPECT_NE(connected.error().message.find("the connection ended during the TLS handshake"),
            std::string::npos)
      << connected.error().message;
}

TEST_F(TlsStreamTest, DataBeforeStartReadingIsDeliveredAfterIt) {
  TlsServer& server = add_tls_server();
  server.greeting = "welcome";
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  run_until([] { return false; }, 50ms);  // the greeting arrives meanwhile
  RecordingListener listener;
  stream->start_reading(listener);
  EXPECT_EQ(listener.data_calls, 0) << "data delivered inside start_reading()";
  ASSERT_TRUE(run_until([&] { return listener.data.size() >= 7; }));
  EXPECT_EQ(text_of(listener.data), "welcome");
  close_and_destroy(stream);
}

TEST_F(TlsStreamTest, ServerCloseNotifyEndsTheStream) {
  TlsServer& server = add_tls_server();
  server.close_after_first_data = true;
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);
  ASSERT_TRUE(stream->write(bytes_of("ping")).ok());
  ASSERT_TRUE(run_until([&] { return listener.ends > 0; }));
  EXPECT_EQ(text_of(listener.data), "ping");
  EXPECT_EQ(listener.end.code, make_error_code(transport_errc::connection_closed));
  EXPECT_EQ(listener.end.message, "the peer closed the TLS session");
  EXPECT_FALSE(stream->write(bytes_of("more")).ok());
  run_until([] { return false; }, 30ms);
  EXPECT_EQ(listener.ends, 1);
  close_and_destroy(stream);
}

TEST_F(TlsStreamTest, WriteQueueFillsWhenThePeerDoesNotReadAndLosesNothing) {
  TlsServer& server = add_tls_server();
  server.echo = false;
  server.pause_after_handshake = true;
  TlsConnectOptions options = trusting_test_ca();
  options.write_queue_limit = 1 << 20;
  auto connected = connect_tls("localhost", options);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);

  const std::size_t chunk = 64 * 1024;
  std::size_t accepted = 0;
  Status written;
  for (int i = 0; i < 100'000 && written.ok(); ++i) {
    written = stream->write(pattern(accepted, chunk));
    if (written.ok()) accepted += chunk;
  }
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, make_error_code(transport_errc::write_queue_full));
  EXPECT_LE(stream->queued_bytes(), std::size_t{1} << 20);
  EXPECT_EQ(listener.drained, 0);

  TestServer::Connection& connection = servers_.front()->connections().front();
  connection.start_reading();
  ASSERT_TRUE(run_until([&] { return server.session().received.size() >= accepted; }));
  EXPECT_TRUE(server.session().received == pattern(0, accepted));
  // The inner stream's queue of ciphertext emptied, and the TLS stream passed that on.
  ASSERT_TRUE(run_until([&] { return listener.drained == 1; }));
  EXPECT_EQ(stream->queued_bytes(), 0u);
  EXPECT_EQ(listener.ends, 0);
  close_and_destroy(stream);
}

// TLS writes its records through the TCP stream: a server that goes away while megabytes of
// them wait must end the stream, not the process, with SIGPIPE at its default action.
TEST_F(TlsStreamTest, PeerGoneWithMegabytesQueuedEndsTheStreamWithoutSigpipe) {
  DefaultSigpipe default_sigpipe;
  TlsServer& server = add_tls_server();
  server.echo = false;
  server.pause_after_handshake = true;
  auto connected = connect_tls("localhost", trusting_test_ca());
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);
  while (stream->queued_bytes() < std::size_t{4} << 20) {
    ASSERT_TRUE(stream->write(pattern(0, 256 * 1024)).ok());
  }
  servers_.front()->connections().front().close();  // with unread bytes: a reset
  ASSERT_TRUE(run_until([&] { return listener.ends > 0 && stream->queued_bytes() == 0; }));
  run_until([] { return false; }, 20ms);
  EXPECT_EQ(listener.ends, 1);
  EXPECT_EQ(listener.end.code, make_error_code(transport_errc::connection_closed));
  EXPECT_EQ(listener.drained, 0);
  EXPECT_FALSE(stream->write(bytes_of("after the end")).ok());
  close_and_destroy(stream);
}

TEST_F(TlsStreamTest, CancelDuringTheHandshake) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_data = [](TestServer::Connection&, const std::uint8_t*, std::size_t) {};
  port_ = server.port();
  auto connector = std::make_unique<TlsConnector>(
      &loop_, std::make_unique<TcpConnector>(&loop_, "localhost", port_), "localhost",
      trusting_test_ca());
  int done = 0;
  int canceled = 0;
  connector->start([&](Result<std::unique_ptr<Stream>>) { ++done; });
  ASSERT_TRUE(run_until([&] { return server.accepted() == 1; }));
  run_until([] { return false; }, 20ms);  // the ClientHello is out; no answer comes
  ASSERT_TRUE(connector->cancel([&] {
    ++canceled;
    connector.reset();
  }));
  ASSERT_TRUE(run_until([&] { return canceled > 0; }));
  EXPECT_EQ(done, 0);
}

TEST_F(TlsStreamTest, CancelWhileTheInnerConnectorConnects) {
  auto connector =
      std::make_unique<TlsConnector>(&loop_, std::make_unique<TcpConnector>(&loop_, "localhost", 9),
                                     "localhost", trusting_test_ca());
  int done = 0;
  int canceled = 0;
  connector->start([&](Result<std::unique_ptr<Stream>>) { ++done; });
  ASSERT_TRUE(connector->cancel([&] {
    ++canceled;
    connector.reset();
  }));
  ASSERT_TRUE(run_until([&] { return canceled > 0; }));
  EXPECT_EQ(done, 0);
}

TEST_F(TlsStreamTest, TlsOverAUnixSocket) {
  TestServer& server = add_server();
  const std::string path = Certificates::get().path("tls.sock");
  ASSERT_EQ(server.listen_pipe(path), 0);
  TlsServer tls_server(server, {});
  TlsConnector connector(&loop_, std::make_unique<PipeConnector>(&loop_, path), "localhost",
                         trusting_test_ca());
  auto connected = connect(connector);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, bytes_of("TLS over a Unix socket"));
  close_and_destroy(stream);
}

}  // namespace
}  // namespace uvwamp
