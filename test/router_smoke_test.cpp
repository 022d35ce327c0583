// Checks the router fixture against both real routers before any uvwamp transport is involved:
// the endpoints it describes accept connections, speak the RawSocket and WebSocket opening
// handshakes, and are gone once the fixture stops the router. Plain blocking POSIX sockets with
// timeouts, so that a failure here points at the fixture or the router, not at uvwamp.

#include "fixture/router.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace uvwamp::test {
namespace {

Error errno_error(const std::string& what) {
  return Error{std::error_code(errno, std::generic_category()), what + ": " + std::strerror(errno)};
}

// A blocking stream socket whose connect, send and receive each give up after five seconds.
class Connection {
 public:
  static Result<Connection> to_tcp(const std::string& host, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
      return Error{std::make_error_code(std::errc::invalid_argument),
                   "not an IPv4 address: " + host};
    }
    return open(AF_INET, reinterpret_cast<const sockaddr*>(&address), sizeof address,
                host + ":" + std::to_string(port));
  }

  static Result<Connection> to_unix(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) {
      return Error{std::make_error_code(std::errc::filename_too_long),
                   "Unix path too long: " + path};
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return open(AF_UNIX, reinterpret_cast<const sockaddr*>(&address), sizeof address, path);
  }

  Connection(Connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Connection& operator=(Connection&&) = delete;
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }

  Status send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent < 0 && errno == EINTR) continue;
      if (sent < 0) return errno_error("send");
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return {};
  }

  // Receives exactly `size` bytes, or fewer if the peer closes the connection first.
  Result<std::string> receive_exactly(std::size_t size) {
    std::string received(size, '\0');
    std::size_t filled = 0;
    while (filled < size) {
      const ssize_t got = recv(fd_, received.data() + filled, size - filled, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return errno_error("recv after " + std::to_string(filled) + " bytes");
      if (got == 0) break;
      filled += static_cast<std::size_t>(got);
    }
    received.resize(filled);
    return received;
  }

  // Receives until `received` ends with `terminator`, or `limit` bytes have arrived.
  Result<std::string> receive_until(std::string_view terminator, std::size_t limit) {
    std::string received;
    while (received.size() < limit) {
      char byte;
      const ssize_t got = recv(fd_, &byte, 1, 0);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return errno_error("recv after " + std::to_string(received.size()) + " bytes");
      if (got == 0) break;
      received += byte;
      if (received.size() >= terminator.size() &&
          std::string_view(received).substr(received.size() - terminator.size()) == terminator) {
        break;
      }
    }
    return received;
  }

 private:
  explicit Connection(int fd) : fd_(fd) {}

  static Result<Connection> open(int family, const sockaddr* address, socklen_t size,
                                 const std::string& description) {
    const int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_error("socket");
    Connection connection(fd);
    // On Linux SO_SNDTIMEO bounds connect() as well as send().
    const timeval timeout{5, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
      return errno_error("setsockopt");
    }
    while (connect(fd, address, size) != 0) {
      if (errno != EINTR) return errno_error("connect to " + description);
    }
    return connection;
  }

  int fd_;
};

constexpr std::uint8_t kJson = 1;
constexpr std::uint8_t kMsgPack = 2;
constexpr std::uint8_t kCbor = 3;

// The client's opening handshake of the RawSocket transport: the magic octet 0x7F; the longest
// message the client accepts (high nibble, 15 = 2^24 octets) with the serializer it asks for (low
// nibble); two reserved zero octets. The router echoes the serializer in its own low nibble, or
// answers zero there with an error code in the high nibble.
std::string rawsocket_handshake(std::uint8_t serializer) {
  return std::string{'\x7F', static_cast<char>(0xF0 | serializer), '\0', '\0'};
}

void expect_rawsocket_accepts(Connection& connection, std::uint8_t serializer) {
  ASSERT_TRUE(connection.send_all(rawsocket_handshake(serializer)).ok());
  auto reply = connection.receive_exactly(4);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  ASSERT_EQ(reply.value().size(), 4u) << "the router closed the connection during the handshake";
  const auto octet = [&](std::size_t i) { return static_cast<std::uint8_t>(reply.value()[i]); };
  EXPECT_EQ(octet(0), 0x7F);
  EXPECT_EQ(octet(1) & 0x0F, serializer) << "error code " << (octet(1) >> 4);
  EXPECT_EQ(octet(2), 0);
  EXPECT_EQ(octet(3), 0);
}

// The key and its accept value are the example of RFC 6455, section 1.3.
void expect_websocket_upgrade(Connection& connection, const RouterEndpoints& endpoints) {
  const std::string request = "GET " + endpoints.websocket_path +
                              " HTTP/1.1\r\n"
                              "Host: " +
                              endpoints.host +
                              "\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "Sec-WebSocket-Protocol: wamp.2.json\r\n"
                              "\r\n";
  ASSERT_TRUE(connection.send_all(request).ok());
  auto response = connection.receive_until("\r\n\r\n", 4096);
  ASSERT_TRUE(response.ok()) << response.error().message;
  const std::string& head = response.value();
  EXPECT_EQ(head.rfind("HTTP/1.1 101 ", 0), 0u) << head;
  EXPECT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
  EXPECT_NE(head.find("wamp.2.json"), std::string::npos) << head;
}

std::string router_name(const ::testing::TestParamInfo<const char*>& info) {
  return info.param;
}

// Crossbar needs seconds to start, so the checks that leave the router as it was share one router
// of each kind for the whole suite.
class SharedRouterTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto found = routers().find(GetParam());
    if (found == routers().end()) {
      found = routers().emplace(GetParam(), RouterProcess::start(GetParam())).first;
    }
    ASSERT_TRUE(found->second.ok()) << found->second.error().message;
    endpoints_ = &found->second.value().endpoints();
  }

  static void TearDownTestSuite() { routers().clear(); }

  const RouterEndpoints& endpoints() const { return *endpoints_; }

 private:
  static std::map<std::string, Result<RouterProcess>>& routers() {
    static std::map<std::string, Result<RouterProcess>> started;
    return started;
  }

  const RouterEndpoints* endpoints_ = nullptr;
};

TEST_P(SharedRouterTest, DescribesItsEndpoints) {
  const RouterEndpoints& e = endpoints();
  EXPECT_EQ(e.router, GetParam());
  EXPECT_EQ(e.realm, "realm1");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_NE(e.websocket_port, e.rawsocket_port);
  EXPECT_EQ(e.websocket_url,
            "ws://127.0.0.1:" + std::to_string(e.websocket_port) + e.websocket_path);
  EXPECT_EQ(e.rawsocket_url, "rs://127.0.0.1:" + std::to_string(e.rawsocket_port));
  EXPECT_FALSE(e.rawsocket_unix.empty());
  EXPECT_EQ(e.websocket_unix.empty(), e.router == "nexus");
  EXPECT_EQ(kill(e.router_pid, 0), 0) << "router process " << e.router_pid << " is not running";
}

TEST_P(SharedRouterTest, AcceptsTcpConnectionsOnEveryPort) {
  for (std::uint16_t port : {endpoints().websocket_port, endpoints().rawsocket_port}) {
    auto connection = Connection::to_tcp(endpoints().host, port);
    EXPECT_TRUE(connection.ok()) << connection.error().message;
  }
}

TEST_P(SharedRouterTest, AcceptsConnectionsOnEveryUnixSocket) {
  for (const std::string& path : {endpoints().rawsocket_unix, endpoints().websocket_unix}) {
    if (path.empty()) continue;
    auto connection = Connection::to_unix(path);
    EXPECT_TRUE(connection.ok()) << connection.error().message;
  }
}

TEST_P(SharedRouterTest, AnswersRawSocketHandshakeOverTcpForEverySerializer) {
  for (std::uint8_t serializer : {kJson, kMsgPack, kCbor}) {
    SCOPED_TRACE("serializer " + std::to_string(serializer));
    auto connection = Connection::to_tcp(endpoints().host, endpoints().rawsocket_port);
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    expect_rawsocket_accepts(connection.value(), serializer);
  }
}

TEST_P(SharedRouterTest, AnswersRawSocketHandshakeOverUnixSocket) {
  auto connection = Connection::to_unix(endpoints().rawsocket_unix);
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  expect_rawsocket_accepts(connection.value(), kJson);
}

TEST_P(SharedRouterTest, UpgradesToWebSocketWithTheWampSubprotocol) {
  auto connection = Connection::to_tcp(endpoints().host, endpoints().websocket_port);
  ASSERT_TRUE(connection.ok()) << connection.error().message;
  expect_websocket_upgrade(connection.value(), endpoints());
  if (!endpoints().websocket_unix.empty()) {
    auto over_unix = Connection::to_unix(endpoints().websocket_unix);
    ASSERT_TRUE(over_unix.ok()) << over_unix.error().message;
    expect_websocket_upgrade(over_unix.value(), endpoints());
  }
}

INSTANTIATE_TEST_SUITE_P(Routers, SharedRouterTest, ::testing::Values("crossbar", "nexus"),
                         router_name);

class RouterLifecycleTest : public ::testing::TestWithParam<const char*> {};

TEST_P(RouterLifecycleTest, StopLeavesNoListenerProcessOrFileBehind) {
  auto router = RouterProcess::start(GetParam());
  ASSERT_TRUE(router.ok()) << router.error().message;
  const RouterEndpoints endpoints = router.value().endpoints();
  ASSERT_TRUE(Connection::to_tcp(endpoints.host, endpoints.rawsocket_port).ok());
  ASSERT_EQ(access(endpoints.log_path.c_str(), F_OK), 0) << endpoints.log_path;

  const Status stopped = router.value().stop();
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;

  for (std::uint16_t port : {endpoints.websocket_port, endpoints.rawsocket_port}) {
    auto connection = Connection::to_tcp(endpoints.host, port);
    ASSERT_FALSE(connection.ok()) << "port " << port << " still accepts connections";
    EXPECT_EQ(connection.error().code, std::errc::connection_refused) << connection.error().message;
  }
  for (const std::string& path : {endpoints.rawsocket_unix, endpoints.websocket_unix}) {
    if (path.empty()) continue;
    EXPECT_FALSE(Connection::to_unix(path).ok()) << path << " still accepts connections";
  }
  errno = 0;
  EXPECT_EQ(kill(endpoints.router_pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "router process " << endpoints.router_pid << " is still there";
  errno = 0;
  EXPECT_EQ(killpg(endpoints.router_pid, 0), -1);
  EXPECT_EQ(errno, ESRCH) << "router process group " << endpoints.router_pid << " is not empty";
  EXPECT_NE(access(endpoints.log_path.c_str(), F_OK), 0) << "the router's temp dir is still there";
  EXPECT_TRUE(router.value().stop().ok()) << "a second stop must do nothing";
}

INSTANTIATE_TEST_SUITE_P(Routers, RouterLifecycleTest, ::testing::Values("crossbar", "nexus"),
                         router_name);

}  // namespace
}  // namespace uvwamp::test
