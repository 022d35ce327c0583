// Connection against real routers: for Crossbar.io and nexus, every transport each offers, with
// every serializer: connect, HELLO, WELCOME, GOODBYE, GOODBYE, a clean close. Then that a TLS
// certificate for another name, or from a CA nobody trusts, is refused by default.
//
// Each router starts once for the whole binary (a GoogleTest environment), with TLS listeners
// that use a certificate test/certs.sh makes for localhost and 127.0.0.1. Every case has its own
// uv loop and ends with uv_loop_close returning 0.
//
// What the routers offer, and so what is proven here (docs/transports.md has the table):
//   Crossbar: WebSocket and RawSocket over TCP, over TLS and over a Unix socket.
//   nexus:    WebSocket over TCP and TLS; RawSocket over TCP, TLS and a Unix socket. nexusd has
//             no WebSocket listener on a Unix socket (nexusd/config.go: websocket.address only).
// Neither serves TLS on a Unix socket, and uvwamp offers no URL for it.
#include <gtest/gtest.h>
#include <uvwamp/serializer.hpp>
#include <uvwamp/transport_error.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fixture/router.hpp"
#include "fixture/router_environment.hpp"
#include "message/message.hpp"
#include "transport/connection.hpp"
#include "uv_test_support.hpp"

namespace uvwamp {
namespace {

using test::RouterProcess;

using test::is_tls;
using test::Routers;
using test::Transport;
using test::transport_name;
using test::url_of;

// GoogleTest owns the environment; registered before main() runs, as gtest_main has it.
::testing::Environment* const routers_environment =
    ::testing::AddGlobalTestEnvironment(new Routers);

struct Recorder : Connection::Listener {
  void on_message(Value message) override { messages.push_back(std::move(message)); }
  void on_connection_lost(const Error& why) override {
    ++lost;
    lost_why = why;
  }
  std::vector<Value> messages;
  int lost = 0;
  Error lost_why;
};

class RouterTest : public test::LoopTest {
 protected:
  // A test that stops at a failed assertion leaves its connection open: close it here, so that
  // the loop still closes cleanly.
  void TearDown() override {
    if (connection_) close_and_destroy();
    LoopTest::TearDown();
  }

  Connection& make(const ConnectionOptions& options) {
    recorder_ = Recorder();
    connection_ = std::make_unique<Connection>(&loop_, recorder_, options);
    return *connection_;
  }

  ConnectionOptions options(const std::string& ca_file) {
    ConnectionOptions options;
    options.tls.ca_file = ca_file;
    options.handshake_timeout = std::chrono::seconds(5);
    options.connect_timeout = std::chrono::seconds(5);
    return options;
  }

  Result<const Serializer*> open(Connection& connection, const std::string& url) {
    std::optional<Result<const Serializer*>> result;
    const Status started =
        connection.connect(url, [&](Result<const Serializer*> r) { result.emplace(r); });
    if (!started) return started.error();
    if (!run_until([&] { return result.has_value(); })) {
      return Error{transport_errc::timed_out, "connect() did not call back in 10 s"};
    }
    return *result;
  }

  // The next message from the router, parsed; a failure says what came instead.
  Result<msg::Message> next_message() {
    const std::size_t seen = recorder_.messages.size();
    if (!run_until([&] { return recorder_.messages.size() > seen || recorder_.lost > 0; })) {
      return Error{transport_errc::timed_out, "no message from the router in 10 s"};
    }
    if (recorder_.messages.size() == seen) return recorder_.lost_why;
    return msg::parse_message(recorder_.messages[seen]);
  }

  // Closes, and returns how long the close took; the connection is destroyed in on_closed.
  std::chrono::milliseconds close_and_destroy() {
    const auto started = std::chrono::steady_clock::now();
    bool closed = false;
    if (connection_->close([&] {
          closed = true;
          connection_.reset();
        })) {
      EXPECT_TRUE(run_until([&] { return closed; }));
    } else {
      connection_.reset();  // nothing to close: connect() failed at once
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 started);
  }

  Recorder recorder_;
  std::unique_ptr<Connection> connection_;
};

using Case = test::RouterCase;

class EveryTransport : public RouterTest, public ::testing::WithParamInterface<Case> {};

TEST_P(EveryTransport, HelloWelcomeGoodbyeAndACleanClose) {
  const Case& c = GetParam();
  const test::RouterEndpoints* endpoints = Routers::endpoints(c.router);
  ASSERT_NE(endpoints, nullptr);
  const std::string url = url_of(*endpoints, c.transport);
  ASSERT_FALSE(url.empty()) << c.router << " describes no " << transport_name(c.transport)
                            << " endpoint";
  const std::string ca_file = is_tls(c.transport) ? Routers::certificate("ca.crt") : "";
  if (is_tls(c.transport)) {
    ASSERT_FALSE(ca_file.empty());
  }

  ConnectionOptions connection_options = options(ca_file);
  const Serializer* serializer = find_serializer(c.serializer);
  ASSERT_NE(serializer, nullptr);
  connection_options.serializers = {serializer};
  Connection& connection = make(connection_options);

  auto opened = open(connection, url);
  ASSERT_TRUE(opened.ok()) << url << ": " << opened.error().message;
  EXPECT_EQ(opened.value(), serializer);

  msg::Object roles;
  for (const char* role : {"caller", "callee", "publisher", "subscriber"})
    roles[role] = msg::Object{};
  const Status hello_sent = connection.send(
      msg::build_message(msg::Hello{endpoints->realm, msg::Object{{"roles", roles}}}));
  ASSERT_TRUE(hello_sent.ok()) << hello_sent.error().message;
  auto welcome = next_message();
  ASSERT_TRUE(welcome.ok()) << welcome.error().message;
  const auto* welcomed = std::get_if<msg::Welcome>(&welcome.value());
  ASSERT_NE(welcomed, nullptr) << "expected WELCOME, got "
                               << msg::type_name(msg::type_of(welcome.value()));
  EXPECT_GE(welcomed->session, 1u);
  const auto router_roles = welcomed->details.find("roles");
  ASSERT_NE(router_roles, welcomed->details.end());
  ASSERT_NE(router_roles->second.if_object(), nullptr);
  EXPECT_EQ(router_roles->second.if_object()->count("broker"), 1u);
  EXPECT_EQ(router_roles->second.if_object()->count("dealer"), 1u);

  const Status goodbye_sent =
      connection.send(msg::build_message(msg::Goodbye{{}, "wamp.close.close_realm"}));
  ASSERT_TRUE(goodbye_sent.ok()) << goodbye_sent.error().message;

  if (c.router == "crossbar") {
    // The spec's reply is wamp.close.goodbye_and_out; Crossbar says wamp.close.normal. It then
    // waits for the client to end the transport.
    auto goodbye = next_message();
    ASSERT_TRUE(goodbye.ok()) << goodbye.error().message;
    const auto* farewell = std::get_if<msg::Goodbye>(&goodbye.value());
    ASSERT_NE(farewell, nullptr) << "expected GOODBYE, got "
                                 << msg::type_name(msg::type_of(goodbye.value()));
    EXPECT_EQ(farewell->reason, "wamp.close.normal");
    EXPECT_EQ(recorder_.lost, 0) << recorder_.lost_why.message;
  } else {
    // nexus ends the transport itself after GOODBYE: a WebSocket close (1000, "goodbye") or the
    // end of the RawSocket stream, a clean end either way. Its GOODBYE reply may not come
    // first: nexus v3.3.0 queues the reply without waiting (router/realm.go) and then closes
    // the peer, which discards what is still queued (transport/websocketpeer.go, Close()).
    ASSERT_TRUE(run_until([&] { return recorder_.lost > 0; })) << "nexus kept the transport";
    EXPECT_EQ(recorder_.lost_why.code, make_error_code(transport_errc::connection_closed))
        << recorder_.lost_why.message;
    ASSERT_LE(recorder_.messages.size(), 2u);
    if (recorder_.messages.size() == 2) {
      auto goodbye = msg::parse_message(recorder_.messages[1]);
      ASSERT_TRUE(goodbye.ok()) << goodbye.error().message;
      const auto* farewell = std::get_if<msg::Goodbye>(&goodbye.value());
      ASSERT_NE(farewell, nullptr);
      EXPECT_EQ(farewell->reason, "wamp.close.goodbye_and_out");
    }
  }
  // Well within the 5 s bound: the WebSocket close handshake was answered, not timed out.
  EXPECT_LT(close_and_destroy(), std::chrono::seconds(3));
  EXPECT_LE(recorder_.lost, 1);
}

INSTANTIATE_TEST_SUITE_P(Routers, EveryTransport, ::testing::ValuesIn(test::every_router_case()),
                         test::router_case_name);

#ifdef UVWAMP_HAVE_TLS

// The TLS endpoints of one router, with options that must not be trusted.
class CertificateChecks : public RouterTest, public ::testing::WithParamInterface<std::string> {
 protected:
  // Connects to each TLS endpoint with `connection_options` and expects `code`.
  void expect_refused(const ConnectionOptions& connection_options, transport_errc code) {
    const test::RouterEndpoints* endpoints = Routers::endpoints(GetParam());
    ASSERT_NE(endpoints, nullptr);
    for (const std::string& url : {endpoints->websocket_tls_url, endpoints->rawsocket_tls_url}) {
      auto opened = open(make(connection_options), url);
      ASSERT_FALSE(opened.ok()) << url << " was accepted";
      EXPECT_EQ(opened.error().code, make_error_code(code))
          << url << ": " << opened.error().message;
      close_and_destroy();
    }
  }
};

TEST_P(CertificateChecks, AnotherHostNameIsRefused) {
  const std::string ca_file = Routers::certificate("ca.crt");
  ASSERT_FALSE(ca_file.empty());
  ConnectionOptions connection_options = options(ca_file);
  connection_options.tls.server_name = "other-name.example";
  expect_refused(connection_options, transport_errc::certificate_rejected);
}

TEST_P(CertificateChecks, ACertificateFromAnotherCAIsRefused) {
  const std::string other_ca = Routers::certificate("other-ca.crt");
  ASSERT_FALSE(other_ca.empty());
  expect_refused(options(other_ca), transport_errc::certificate_rejected);
}

TEST_P(CertificateChecks, TheSystemCAsDoNotTrustTheTestCA) {
  if (!std::filesystem::exists("/etc/ssl/certs/ca-certificates.crt")) {
    GTEST_SKIP() << "no system CA bundle at /etc/ssl/certs/ca-certificates.crt";
  }
  expect_refused(options(""), transport_errc::certificate_rejected);
}

INSTANTIATE_TEST_SUITE_P(Routers, CertificateChecks, ::testing::Values("crossbar", "nexus"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

// Crossbar's own TLS endpoint ("tls" in a tcp endpoint) accepts TLS 1.3 only, which the mbedTLS
// 2.28 that uvwamp builds on does not speak: the handshake fails, and says so.
TEST_F(RouterTest, CrossbarsOwnTlsEndpointNeedsTls13) {
  const test::RouterEndpoints* endpoints = Routers::endpoints("crossbar");
  ASSERT_NE(endpoints, nullptr);
  ASSERT_FALSE(endpoints->rawsocket_tls13_url.empty());
  auto opened = open(make(options(Routers::certificate("ca.crt"))), endpoints->rawsocket_tls13_url);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::tls_failed))
      << opened.error().message;
}

#endif  // UVWAMP_HAVE_TLS

}  // namespace
}  // namespace uvwamp
