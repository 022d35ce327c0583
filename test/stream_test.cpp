#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "stream/pipe_connector.hpp"
#include "stream/tcp_connector.hpp"
#include "stream/uv_stream.hpp"
#include "uv_test_support.hpp"

namespace uvwamp {
namespace {

using test::bytes_of;
using test::DefaultSigpipe;
using test::LoopTest;
using test::RecordingListener;
using test::TestServer;
using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 that nothing listens on: it was bound, read and released.
std::uint16_t closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address;
  std::memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof address);
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// A port on 127.0.0.1 whose listen backlog is already full, so the kernel leaves a further
// connect unanswered: the connect hangs, as to a host that drops packets.
class UnansweringPort {
 public:
  UnansweringPort() {
    struct sockaddr_in address;
    std::memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    bind(listener_, reinterpret_cast<struct sockaddr*>(&address), sizeof address);
    listen(listener_, 0);
    getsockname(listener_, reinterpret_cast<struct sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    filler_ = socket(AF_INET, SOCK_STREAM, 0);
    connect(filler_, reinterpret_cast<struct sockaddr*>(&address), sizeof address);
  }
  ~UnansweringPort() {
    ::close(filler_);
    ::close(listener_);
  }
  std::uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  int filler_ = -1;
  std::uint16_t port_ = 0;
};

// Bytes 0, 1, ... 250, 0, 1, ...: a prime period, so a lost or repeated chunk shows.
std::vector<std::uint8_t> pattern(std::size_t offset, std::size_t size) {
  std::vector<std::uint8_t> bytes(size);
  for (std::size_t i = 0; i < size; ++i)
    bytes[i] = static_cast<std::uint8_t>((offset + i) % 251);
  return bytes;
}

class StreamTest : public LoopTest {
 protected:
  // `server` accepts each stream `connect_stream` makes and never reads. It goes away while
  // megabytes still wait in the stream's queue (TCP: closing with unread bytes sends a reset), and
  // writing them finds it gone. The stream must end with an error, and the process survive with
  // SIGPIPE at its default action -- write(2) and writev(2), as libuv writes, would raise it.
  // Once with the stream reading, which may see the reset first, and once without, so that only
  // writing can find it.
  void expect_peer_gone_with_writes_queued(
      TestServer& server, const std::function<std::unique_ptr<Stream>()>& connect_stream) {
    DefaultSigpipe default_sigpipe;
    server.on_accept = [](TestServer::Connection&) {};
    for (const bool reading : {true, false}) {
      SCOPED_TRACE(reading ? "reading" : "not reading");
      const std::size_t accepted = server.accepted();
      std::unique_ptr<Stream> stream = connect_stream();
      ASSERT_TRUE(stream);
      RecordingListener listener;
      if (reading) stream->start_reading(listener);
      ASSERT_TRUE(run_until([&] { return server.accepted() == accepted + 1; }));
      while (stream->queued_bytes() < std::size_t{4} << 20) {
        ASSERT_TRUE(stream->write(pattern(0, 256 * 1024)).ok());
      }
      server.connections().back().close();
      // The write that finds the peer gone drops what is still queued.
      ASSERT_TRUE(run_until([&] { return stream->queued_bytes() == 0; }));
      if (!reading) {
        stream->start_reading(listener);  // reports the end that came before it
        EXPECT_EQ(listener.end.message.rfind("writing to the stream failed: ", 0), 0u)
            << listener.end.message;
      }
      ASSERT_TRUE(run_until([&] { return listener.ends > 0; }));
      run_until([] { return false; }, 20ms);
      EXPECT_EQ(listener.ends, 1);
      EXPECT_EQ(listener.end.code, make_error_code(transport_errc::connection_closed));
      EXPECT_EQ(listener.drained, 0);
      const Status written = stream->write(bytes_of("after the end"));
      ASSERT_FALSE(written.ok());
      EXPECT_EQ(written.error().code, make_error_code(transport_errc::not_open));
      close_and_destroy(stream);
    }
  }

  // Echoes `text` through `stream` and checks it comes back.
  void expect_echo(Stream& stream, RecordingListener& listener, const std::string& text) {
    const std::size_t before = listener.data.size();
    ASSERT_TRUE(stream.write(bytes_of(text)).ok());
    ASSERT_TRUE(run_until([&] { return listener.data.size() >= before + text.size(); }));
    EXPECT_EQ(std::string(listener.data.begin() + before, listener.data.end()), text);
  }

  std::unique_ptr<Stream> connect_tcp(const std::string& host, std::uint16_t port,
                                      TcpConnectOptions options = {}) {
    TcpConnector connector(&loop_, host, port, options);
    auto connected = connect(connector);
    EXPECT_TRUE(connected.ok()) << connected.error().message;
    return connected.ok() ? std::move(connected.value()) : nullptr;
  }
};

TEST_F(StreamTest, KeepaliveProbesAConnectionIdleForTheTimeAskedFor) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  TcpConnectOptions options;
  options.keepalive = std::chrono::seconds(42);
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port(), options);
  ASSERT_TRUE(stream);
  uv_os_fd_t fd;
  ASSERT_EQ(
      uv_fileno(reinterpret_cast<uv_handle_t*>(dynamic_cast<UvStream&>(*stream).handle()), &fd), 0);
  int keepalive = 0;
  socklen_t length = sizeof keepalive;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &length), 0);
  EXPECT_NE(keepalive, 0);
  int idle = 0;
  length = sizeof idle;
  ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &length), 0);
  EXPECT_EQ(idle, 42);
  close_and_destroy(stream);
}

TEST_F(StreamTest, ConnectsToNumericIPv4AndEchoesWithNoDelay) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);

  uv_os_fd_t fd;
  ASSERT_EQ(
      uv_fileno(reinterpret_cast<uv_handle_t*>(dynamic_cast<UvStream&>(*stream).handle()), &fd), 0);
  int nodelay = 0;
  socklen_t length = sizeof nodelay;
  ASSERT_EQ(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length), 0);
  EXPECT_NE(nodelay, 0);
  int keepalive = 1;
  length = sizeof keepalive;
  ASSERT_EQ(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &length), 0);
  EXPECT_EQ(keepalive, 0) << "keepalive is off unless asked for";

  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, "hello");
  expect_echo(*stream, listener, "and again");
  EXPECT_EQ(listener.ends, 0);
  close_and_destroy(stream);
}

TEST_F(StreamTest, ConnectsToNumericIPv6) {
  TestServer& server = add_server();
  const int status = server.listen_tcp("::1");
  if (status == UV_EADDRNOTAVAIL || status == UV_EAFNOSUPPORT) {
    GTEST_SKIP() << "no IPv6 loopback: " << uv_err_name(status);
  }
  ASSERT_EQ(status, 0);
  std::unique_ptr<Stream> stream = connect_tcp("::1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, "over IPv6");
  close_and_destroy(stream);
}

TEST_F(StreamTest, ConnectsToLocalhostByName) {
  // Only IPv4 listens: where "localhost" also resolves to ::1, that address is refused first or
  // after, and the connector still ends on 127.0.0.1.
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  std::unique_ptr<Stream> stream = connect_tcp("localhost", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, "by name");
  close_and_destroy(stream);
}

TEST_F(StreamTest, EchoesMegabytesInOrderThroughTheReusedReadBuffer) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);

  const std::size_t chunk = 100'003;
  const std::size_t total = 40 * chunk;
  for (std::size_t offset = 0; offset < total; offset += chunk) {
    ASSERT_TRUE(stream->write(pattern(offset, chunk)).ok());
  }
  ASSERT_TRUE(run_until([&] { return listener.data.size() >= total; }));
  EXPECT_EQ(listener.data, pattern(0, total));
  EXPECT_GT(listener.data_calls, 1);
  EXPECT_EQ(stream->queued_bytes(), 0u);
  close_and_destroy(stream);
}

TEST_F(StreamTest, PeerEofEndsTheStreamOnceAndWritesThenFail) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection& connection) {
    connection.write(bytes_of("bye"));
    connection.close();
  };
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);
  ASSERT_TRUE(run_until([&] { return listener.ends > 0; }));
  run_until([] { return false; }, 50ms);

  EXPECT_EQ(std::string(listener.data.begin(), listener.data.end()), "bye");
  EXPECT_EQ(listener.ends, 1);
  EXPECT_EQ(listener.end.code, make_error_code(transport_errc::connection_closed));
  EXPECT_EQ(listener.end.message, "the peer closed the connection");
  const Status write = stream->write(bytes_of("too late"));
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().code, make_error_code(transport_errc::not_open));
  close_and_destroy(stream);
}

// The router vanishes and the stream has not read the news yet: writing must fail, or end the
// stream, but never raise SIGPIPE, whose default action would kill the test (and any program
// that did not ignore it).
TEST_F(StreamTest, WritingToAPeerThatHasGoneRaisesNoSigpipe) {
  DefaultSigpipe default_sigpipe;
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection& connection) { connection.close(); };
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  ASSERT_TRUE(run_until([&] { return server.accepted() == 1; }));
  run_until([] { return false; }, 50ms);  // the peer's FIN, then our first write draws its RST

  Status written;
  for (int i = 0; i < 100 && written.ok(); ++i) {
    written = stream->write(bytes_of("are you there?"));
    run_until([] { return false; }, 5ms);
  }
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, make_error_code(transport_errc::connection_closed));
  EXPECT_NE(written.error().message.find("Broken pipe"), std::string::npos)
      << written.error().message;
  close_and_destroy(stream);
}

TEST_F(StreamTest, PeerGoneWithMegabytesQueuedEndsTheStreamWithoutSigpipe) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  expect_peer_gone_with_writes_queued(server,
                                      [&] { return connect_tcp("127.0.0.1", server.port()); });
}

TEST_F(StreamTest, RefusedConnectionNamesEveryAddressTried) {
  const std::uint16_t port = closed_port();
  TcpConnector connector(&loop_, "localhost", port);
  auto connected = connect(connector);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::connect_failed));
  const std::string& message = connected.error().message;
  EXPECT_NE(message.find("could not connect to \"localhost\" port " + std::to_string(port)),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("127.0.0.1:" + std::to_string(port) + ": ECONNREFUSED"), std::string::npos)
      << message;

  // Every address the resolver gives for "localhost" appears, each with its error.
  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* addresses = nullptr;
  ASSERT_EQ(getaddrinfo("localhost", nullptr, &hints, &addresses), 0);
  for (const struct addrinfo* a = addresses; a; a = a->ai_next) {
    char ip[INET6_ADDRSTRLEN] = "";
    if (a->ai_family == AF_INET6) {
      uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(a->ai_addr), ip, sizeof ip);
      EXPECT_NE(message.find("[" + std::string(ip) + "]:" + std::to_string(port) + ": "),
                std::string::npos)
          << message;
    } else {
      uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(a->ai_addr), ip, sizeof ip);
      EXPECT_NE(message.find(std::string(ip) + ":" + std::to_string(port) + ": "),
                std::string::npos)
          << message;
    }
  }
  freeaddrinfo(addresses);
}

TEST_F(StreamTest, BothFamiliesRefusedAreBothNamed) {
  const std::uint16_t port = closed_port();
  for (const char* host : {"127.0.0.1", "::1"}) {
    TcpConnector connector(&loop_, host, port);
    auto connected = connect(connector);
    ASSERT_FALSE(connected.ok());
    EXPECT_EQ(connected.error().code, make_error_code(transport_errc::connect_failed));
    const std::string expected = std::string(host) == "::1" ? "[::1]:" : "127.0.0.1:";
    EXPECT_NE(connected.error().message.find(expected + std::to_string(port) + ": E"),
              std::string::npos)
        << connected.error().message;
  }
}

TEST_F(StreamTest, NameThatDoesNotResolveFails) {
  TcpConnector connector(&loop_, "no-such-host.invalid", 80);
  auto connected = connect(connector);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::resolve_failed));
  EXPECT_NE(connected.error().message.find("could not resolve \"no-such-host.invalid\": EAI_"),
            std::string::npos)
      << connected.error().message;
}

TEST_F(StreamTest, UnansweredConnectTimesOut) {
  UnansweringPort port;
  TcpConnectOptions options;
  options.connect_timeout = 200ms;
  TcpConnector connector(&loop_, "127.0.0.1", port.port(), options);
  const auto started = std::chrono::steady_clock::now();
  auto connected = connect(connector);
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::timed_out));
  EXPECT_NE(connected.error().message.find("127.0.0.1:" + std::to_string(port.port()) +
                                           ": timed out after 200 ms"),
            std::string::npos)
      << connected.error().message;
  // libuv counts from its cached loop time, which may be a millisecond behind the clock.
  EXPECT_GE(took, 190ms);
}

TEST_F(StreamTest, WriteQueueFillsWhenThePeerDoesNotReadAndLosesNothing) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection&) {};  // accepts, but does not read yet
  server.on_data = [](TestServer::Connection&, const std::uint8_t*, std::size_t) {};
  TcpConnectOptions options;
  options.stream.write_queue_limit = 1 << 20;
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port(), options);
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);
  ASSERT_TRUE(run_until([&] { return server.accepted() == 1; }));

  // The kernel's socket buffers take the first megabytes; the queue then fills up.
  const std::size_t chunk = 64 * 1024;
  std::size_t accepted = 0;
  Status written;
  for (int i = 0; i < 100'000 && written.ok(); ++i) {
    written = stream->write(pattern(accepted, chunk));
    if (written.ok()) accepted += chunk;
  }
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, make_error_code(transport_errc::write_queue_full));
  EXPECT_NE(written.error().message.find("limit of 1048576 bytes"), std::string::npos)
      << written.error().message;
  const std::size_t queued = stream->queued_bytes();
  EXPECT_LE(queued, std::size_t{1} << 20);
  EXPECT_GT(queued + chunk, std::size_t{1} << 20);
  // A refused write queues nothing; a smaller one that fits still goes.
  EXPECT_FALSE(stream->write(pattern(accepted, chunk)).ok());
  EXPECT_EQ(stream->queued_bytes(), queued);
  const std::size_t room = (std::size_t{1} << 20) - queued;
  if (room > 0) {
    ASSERT_TRUE(stream->write(pattern(accepted, room)).ok());
    accepted += room;
  }

  EXPECT_EQ(listener.drained, 0) << "the queue has not drained";

  server.connections().front().start_reading();
  ASSERT_TRUE(run_until([&] { return server.connections().front().received.size() >= accepted; }));
  EXPECT_EQ(server.connections().front().received.size(), accepted);
  EXPECT_TRUE(server.connections().front().received == pattern(0, accepted));
  EXPECT_EQ(stream->queued_bytes(), 0u);
  EXPECT_EQ(listener.drained, 1);
  EXPECT_TRUE(stream->write(pattern(accepted, chunk)).ok());
  close_and_destroy(stream);
}

TEST_F(StreamTest, DrainedComesOnceEachTimeTheQueueEmptiesAndNeverInsideWrite) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection&) {};  // reads only when the test says
  server.on_data = [](TestServer::Connection&, const std::uint8_t*, std::size_t) {};
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  std::size_t queued_when_drained = 1;
  listener.after_drained = [&] { queued_when_drained = stream->queued_bytes(); };
  stream->start_reading(listener);
  ASSERT_TRUE(run_until([&] { return server.accepted() == 1; }));
  TestServer::Connection& peer = server.connections().front();

  // Bytes the kernel takes at once were never queued: nothing drains.
  std::size_t written = 0;
  ASSERT_TRUE(stream->write(pattern(written, 1000)).ok());
  written += 1000;
  run_until([] { return false; }, 20ms);
  EXPECT_EQ(listener.drained, 0);

  const std::size_t chunk = 256 * 1024;
  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE(round);
    while (stream->queued_bytes() < std::size_t{2} << 20) {
      ASSERT_TRUE(stream->write(pattern(written, chunk)).ok());
      written += chunk;
      EXPECT_EQ(listener.drained, round - 1) << "on_stream_drained ran inside write()";
    }
    peer.start_reading();
    ASSERT_TRUE(run_until([&] { return listener.drained == round; }));
    EXPECT_EQ(queued_when_drained, 0u);
    ASSERT_TRUE(run_until([&] { return peer.received.size() >= written; }));
    peer.stop_reading();
  }
  EXPECT_TRUE(peer.received == pattern(0, written));
  EXPECT_EQ(listener.ends, 0);
  close_and_destroy(stream);
}

TEST_F(StreamTest, CloseWithWritesPendingCancelsThemAndCallsNoListener) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection&) {};
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  stream->start_reading(listener);
  ASSERT_TRUE(run_until([&] { return server.accepted() == 1; }));
  while (stream->queued_bytes() < 4 * 1024 * 1024) {
    ASSERT_TRUE(stream->write(pattern(0, 256 * 1024)).ok());
  }
  // The server hangs up after close(): the stream must not tell the listener.
  close_and_destroy(stream);
  server.connections().front().close();
  run_until([] { return false; }, 50ms);
  EXPECT_EQ(listener.ends, 0);
  EXPECT_EQ(listener.data_calls, 0);
}

TEST_F(StreamTest, ListenerMayCloseTheStreamFromInsideOnData) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  server.on_accept = [](TestServer::Connection& connection) {
    connection.write(bytes_of("one"));
    connection.close();  // EOF right behind the data
  };
  std::unique_ptr<Stream> stream = connect_tcp("127.0.0.1", server.port());
  ASSERT_TRUE(stream);
  RecordingListener listener;
  int closed = 0;
  listener.after_data = [&] {
    stream->close([&] {
      ++closed;
      stream.reset();
    });
  };
  stream->start_reading(listener);
  ASSERT_TRUE(run_until([&] { return closed == 1; }));
  EXPECT_EQ(listener.data_calls, 1);
  EXPECT_EQ(listener.ends, 0);
  EXPECT_FALSE(stream);
}

TEST_F(StreamTest, CancelWhileResolvingStopsWithoutCallback) {
  auto connector = std::make_unique<TcpConnector>(&loop_, "localhost", 9);
  int done = 0;
  int canceled = 0;
  connector->start([&](Result<std::unique_ptr<Stream>>) { ++done; });
  ASSERT_TRUE(connector->cancel([&] {
    ++canceled;
    connector.reset();
  }));
  EXPECT_EQ(canceled, 0) << "on_canceled ran inside cancel()";
  ASSERT_TRUE(run_until([&] { return canceled > 0; }));
  run_until([] { return false; }, 50ms);
  EXPECT_EQ(canceled, 1);
  EXPECT_EQ(done, 0);
}

TEST_F(StreamTest, CancelWhileConnectingStopsWithoutCallback) {
  UnansweringPort port;
  auto connector = std::make_unique<TcpConnector>(&loop_, "127.0.0.1", port.port());
  int done = 0;
  int canceled = 0;
  connector->start([&](Result<std::unique_ptr<Stream>>) { ++done; });
  run_until([] { return false; }, 100ms);  // resolved by now, and connecting
  ASSERT_TRUE(connector->cancel([&] {
    ++canceled;
    connector.reset();
  }));
  ASSERT_TRUE(run_until([&] { return canceled > 0; }));
  EXPECT_EQ(done, 0);
}

TEST_F(StreamTest, CancelIsRefusedBeforeStartAndAfterTheCallback) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  auto connector = std::make_unique<TcpConnector>(&loop_, "127.0.0.1", server.port());
  EXPECT_FALSE(connector->cancel([] { ADD_FAILURE() << "on_canceled ran"; }));
  std::unique_ptr<Stream> stream;
  connector->start([&](Result<std::unique_ptr<Stream>> connected) {
    ASSERT_TRUE(connected.ok());
    stream = std::move(connected.value());
    EXPECT_FALSE(connector->cancel([] { ADD_FAILURE() << "on_canceled ran"; }));
    connector.reset();  // the callback is the connector's last act
  });
  ASSERT_TRUE(run_until([&] { return stream != nullptr; }));
  EXPECT_FALSE(connector);
  close_and_destroy(stream);
}

class PipeTest : public StreamTest {
 protected:
  void SetUp() override {
    StreamTest::SetUp();
    char pattern[] = "/tmp/uvwamp-stream-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    directory_ = pattern;
  }
  void TearDown() override {
    StreamTest::TearDown();
    std::remove((directory_ + "/socket").c_str());
    rmdir(directory_.c_str());
  }
  std::string directory_;
};

TEST_F(PipeTest, ConnectsToAUnixSocketAndEchoes) {
  TestServer& server = add_server();
  const std::string path = directory_ + "/socket";
  ASSERT_EQ(server.listen_pipe(path), 0);
  auto connector = std::make_unique<PipeConnector>(&loop_, path);
  auto connected = connect(*connector);
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  std::unique_ptr<Stream> stream = std::move(connected.value());
  RecordingListener listener;
  stream->start_reading(listener);
  expect_echo(*stream, listener, "through a Unix socket");

  server.connections().front().close();
  ASSERT_TRUE(run_until([&] { return listener.ends > 0; }));
  EXPECT_EQ(listener.end.code, make_error_code(transport_errc::connection_closed));
  close_and_destroy(stream);
}

TEST_F(PipeTest, PeerGoneWithMegabytesQueuedEndsTheStreamWithoutSigpipe) {
  TestServer& server = add_server();
  const std::string path = directory_ + "/socket";
  ASSERT_EQ(server.listen_pipe(path), 0);
  expect_peer_gone_with_writes_queued(server, [&]() -> std::unique_ptr<Stream> {
    PipeConnector connector(&loop_, path);
    auto connected = connect(connector);
    EXPECT_TRUE(connected.ok()) << connected.error().message;
    return connected.ok() ? std::move(connected.value()) : nullptr;
  });
}

TEST_F(PipeTest, MissingSocketFailsNamingThePath) {
  PipeConnector connector(&loop_, directory_ + "/nothing-here");
  auto connected = connect(connector);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::connect_failed));
  EXPECT_EQ(connected.error().message, "could not connect to the Unix socket \"" + directory_ +
                                           "/nothing-here\": ENOENT (no such file or directory)");
}

TEST_F(PipeTest, PathTooLongForASocketAddressFails) {
  PipeConnector connector(&loop_, directory_ + "/" + std::string(200, 'x'));
  auto connected = connect(connector);
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().code, make_error_code(transport_errc::connect_failed));
  EXPECT_NE(connected.error().message.find("is longer than 107 bytes"), std::string::npos)
      << connected.error().message;
}

TEST_F(PipeTest, CancelBeforeTheConnectCompletes) {
  TestServer& server = add_server();
  const std::string path = directory_ + "/socket";
  ASSERT_EQ(server.listen_pipe(path), 0);
  auto connector = std::make_unique<PipeConnector>(&loop_, path);
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

}  // namespace
}  // namespace uvwamp
