// Connection against scripted routers: a test-local uv server (uv_test_support.hpp) that speaks
// RawSocket or WebSocket by hand, frame by frame, so that each test decides exactly what the
// router says and when, and can see every byte the connection sent.
#include "transport/connection.hpp"

#include <gtest/gtest.h>
#include <uvwamp/serializer.hpp>
#include <uvwamp/transport_error.hpp>

#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framing/http_upgrade.hpp"
#include "uv_test_support.hpp"

namespace uvwamp {
namespace {

using test::bytes_of;
using test::LoopTest;
using test::TestServer;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint8_t kMessage = 0, kPing = 1, kPong = 2;  // RawSocket frame types
constexpr std::uint8_t kWebSocketPing = 0x9, kWebSocketPong = 0xa;

Bytes rawsocket_frame(const Bytes& payload, std::uint8_t type = kMessage) {
  const std::size_t size = payload.size();
  Bytes frame = {type, static_cast<std::uint8_t>(size >> 16), static_cast<std::uint8_t>(size >> 8),
                 static_cast<std::uint8_t>(size)};
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

// An unmasked WebSocket frame, as a server sends it.
Bytes websocket_frame(std::uint8_t opcode, const Bytes& payload, bool fin = true) {
  Bytes frame = {static_cast<std::uint8_t>((fin ? 0x80 : 0) | opcode)};
  const std::size_t size = payload.size();
  if (size < 126) {
    frame.push_back(static_cast<std::uint8_t>(size));
  } else if (size < 65536) {
    frame.insert(frame.end(),
                 {126, static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
  } else {
    frame.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(size) >> shift));
  }
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

Bytes close_payload(std::uint16_t code, const std::string& reason = "") {
  Bytes payload = bytes_of("  " + reason);  // two octets for the code, then the reason
  payload[0] = static_cast<std::uint8_t>(code >> 8);
  payload[1] = static_cast<std::uint8_t>(code);
  return payload;
}

Bytes encoded(const Serializer& serializer, const Value& value) {
  Bytes out;
  EXPECT_TRUE(serializer.encode(value, out).ok());
  return out;
}

Value hello() {
  return Value::Array{1, "realm1",
                      Value::Object{{"roles", Value::Object{{"caller", Value::Object{}}}}}};
}

// One frame the client sent, unmasked.
struct ClientFrame {
  std::uint8_t opcode = 0;  // WebSocket opcode, or RawSocket frame type
  bool masked = false;
  Bytes payload;
};

// What the scripted router knows of one client connection.
struct Peer {
  TestServer::Connection* connection = nullptr;
  std::size_t consumed = 0;  // octets of connection->received already parsed
  bool handshaken = false;
  Bytes rawsocket_hello;                       // the client's 4 handshake octets
  std::string request;                         // the client's HTTP upgrade request
  std::map<std::string, std::string> headers;  // its headers, names in lower case
  std::vector<ClientFrame> frames;

  void send(const Bytes& bytes) { connection->write(bytes); }
};

// A router on a TestServer that answers handshakes and hands each client frame to a script.
class ScriptedRouter {
 public:
  enum class Kind { rawsocket, websocket };

  ScriptedRouter(TestServer& server, Kind kind) : kind_(kind) {
    server.on_accept = [this](TestServer::Connection& connection) {
      Peer& peer = peers_.emplace_back();
      peer.connection = &connection;
      connection.user = &peer;
      connection.start_reading();
    };
    server.on_data = [this](TestServer::Connection& connection, const std::uint8_t*, std::size_t) {
      parse(*static_cast<Peer*>(connection.user));
    };
  }

  // RawSocket: the reply to the client's 4 octets; nullopt sends nothing. By default the
  // router accepts the serializer asked for, with a limit of 16 MiB.
  std::function<std::optional<Bytes>(Peer&, std::uint8_t serializer)> rawsocket_reply =
      [](Peer&, std::uint8_t serializer) {
        return std::optional<Bytes>(
            Bytes{0x7f, static_cast<std::uint8_t>(0xf0 | serializer), 0, 0});
      };
  // WebSocket: the response to the request; nullopt sends nothing. By default a 101 that picks
  // `subprotocol`, or the first offered when that is empty.
  std::string subprotocol;
  std::function<std::optional<std::string>(Peer&)> websocket_response = [this](Peer& peer) {
    return std::optional<std::string>(accept(peer, subprotocol));
  };
  // Each frame of an open connection. By default messages are echoed, and a close frame is
  // answered with the same close frame.
  std::function<void(Peer&, const ClientFrame&)> on_frame =
      [this](Peer& peer, const ClientFrame& frame) { echo(peer, frame); };

  std::deque<Peer>& peers() { return peers_; }

  static std::string accept(Peer& peer, std::string subprotocol) {
    if (subprotocol.empty()) {
      const std::string& offered = peer.headers["sec-websocket-protocol"];
      subprotocol = offered.substr(0, offered.find(','));
    }
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Accept: " +
           websocket_accept(peer.headers["sec-websocket-key"]) +
           "\r\nSec-WebSocket-Protocol: " + subprotocol + "\r\n\r\n";
  }

  void echo(Peer& peer, const ClientFrame& frame) {
    if (kind_ == Kind::rawsocket) {
      if (frame.opcode == kMessage) peer.send(rawsocket_frame(frame.payload));
    } else if (frame.opcode == 0x1 || frame.opcode == 0x2 || frame.opcode == 0x8) {
      peer.send(websocket_frame(frame.opcode, frame.payload));
    }
  }

 private:
  void parse(Peer& peer) {
    const Bytes& in = peer.connection->received;
    while (!peer.connection->closed) {
      const std::size_t available = in.size() - peer.consumed;
      const std::uint8_t* data = in.data() + peer.consumed;
      if (!peer.handshaken) {
        if (kind_ == Kind::rawsocket) {
          if (available < 4) return;
          peer.rawsocket_hello.assign(data, data + 4);
          peer.consumed += 4;
          peer.handshaken = true;
          if (auto reply = rawsocket_reply(peer, data[1] & 0x0f)) peer.send(*reply);
        } else {
          const std::string text(data, data + available);
          const std::size_t end = text.find("\r\n\r\n");
          if (end == std::string::npos) return;
          peer.request = text.substr(0, end + 4);
          peer.consumed += end + 4;
          peer.handshaken = true;
          read_headers(peer);
          if (auto response = websocket_response(peer)) peer.send(bytes_of(*response));
        }
        continue;
      }
      std::optional<ClientFrame> frame = kind_ == Kind::rawsocket
                                             ? read_rawsocket(peer, data, available)
                                             : read_websocket(peer, data, available);
      if (!frame) return;
      peer.frames.push_back(*frame);
      on_frame(peer, *frame);
    }
  }

  static std::optional<ClientFrame> read_rawsocket(Peer& peer, const std::uint8_t* data,
                                                   std::size_t available) {
    if (available < 4) return std::nullopt;
    const std::size_t size = std::size_t{data[1]} << 16 | std::size_t{data[2]} << 8 | data[3];
    if (available < 4 + size) return std::nullopt;
    peer.consumed += 4 + size;
    return ClientFrame{static_cast<std::uint8_t>(data[0] & 0x07), false,
                       Bytes(data + 4, data + 4 + size)};
  }

  static std::optional<ClientFrame> read_websocket(Peer& peer, const std::uint8_t* data,
                                                   std::size_t available) {
    if (available < 2) return std::nullopt;
    ClientFrame frame;
    frame.opcode = data[0] & 0x0f;
    frame.masked = (data[1] & 0x80) != 0;
    std::size_t header = 2;
    std::uint64_t size = data[1] & 0x7f;
    const std::size_t length_octets = size == 126 ? 2 : size == 127 ? 8 : 0;
    if (available < header + length_octets) return std::nullopt;
    if (length_octets > 0) {
      size = 0;
      for (std::size_t i = 0; i < length_octets; ++i)
        size = size << 8 | data[header + i];
      header += length_octets;
    }
    const std::size_t mask_at = header;
    if (frame.masked) header += 4;
    if (available < header + size) return std::nullopt;
    frame.payload.assign(data + header, data + header + size);
    if (frame.masked) {
      for (std::size_t i = 0; i < frame.payload.size(); ++i)
        frame.payload[i] ^= data[mask_at + i % 4];
    }
    peer.consumed += header + size;
    return frame;
  }

  static void read_headers(Peer& peer) {
    std::size_t line_start = peer.request.find("\r\n") + 2;
    while (true) {
      const std::size_t line_end = peer.request.find("\r\n", line_start);
      if (line_end == std::string::npos || line_end == line_start) return;
      const std::string line = peer.request.substr(line_start, line_end - line_start);
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      peer.headers[name] = value;
      line_start = line_end + 2;
    }
  }

  Kind kind_;
  std::deque<Peer> peers_;  // a deque: TestServer::Connection::user points into it
};

struct RecordingListener : Connection::Listener {
  void on_message(Value message) override {
    messages.push_back(std::move(message));
    if (after_message) after_message();
  }
  void on_connection_lost(const Error& why) override {
    ++lost;
    lost_why = why;
  }
  void on_send_pressure(bool congested) override { pressure.push_back(congested); }

  std::vector<Value> messages;
  int lost = 0;
  Error lost_why;
  std::vector<bool> pressure;  // each on_send_pressure, in order
  std::function<void()> after_message;
};

class ConnectionTest : public LoopTest {
 protected:
  ScriptedRouter& serve(ScriptedRouter::Kind kind) {
    TestServer& server = add_server();
    EXPECT_EQ(server.listen_tcp("127.0.0.1"), 0);
    routers_.push_back(std::make_unique<ScriptedRouter>(server, kind));
    port_ = server.port();
    const char* scheme = kind == ScriptedRouter::Kind::rawsocket ? "rs" : "ws";
    url_ = std::string(scheme) + "://127.0.0.1:" + std::to_string(port_) +
           (kind == ScriptedRouter::Kind::websocket ? "/ws" : "");
    return *routers_.back();
  }

  // A test that stops at a failed assertion leaves connections open: close them here, so that
  // the loop still closes cleanly.
  void TearDown() override {
    for (auto& connection : connections_) {
      if (connection && connection->close([&] { connection.reset(); })) {
        run_until([&] { return !connection; });
      }
      connection.reset();
    }
    LoopTest::TearDown();
  }

  // The fixture owns each connection; a test destroys it through the reference.
  std::unique_ptr<Connection>& make(ConnectionOptions options = {}) {
    connections_.push_back(std::make_unique<Connection>(&loop_, listener_, std::move(options)));
    return connections_.back();
  }

  // Connects and runs the loop until connect()'s callback ran; checks it did not run inside.
  Result<const Serializer*> open(Connection& connection, const std::string& url) {
    std::optional<Result<const Serializer*>> result;
    const Status started =
        connection.connect(url, [&](Result<const Serializer*> r) { result.emplace(r); });
    EXPECT_TRUE(started.ok()) << started.error().message;
    EXPECT_FALSE(result.has_value()) << "the callback ran inside connect()";
    if (!run_until([&] { return result.has_value(); })) {
      return Error{transport_errc::timed_out, "connect() did not call back in 10 s"};
    }
    return *result;
  }

  // Closes, expects on_closed once and not inside close(), and destroys the connection in it.
  void close_and_destroy(std::unique_ptr<Connection>& connection) {
    int closed = 0;
    ASSERT_TRUE(connection->close([&] {
      ++closed;
      connection.reset();
    }));
    EXPECT_EQ(closed, 0) << "on_closed ran inside close()";
    EXPECT_TRUE(run_until([&] { return closed > 0; }));
    EXPECT_EQ(closed, 1);
  }

  // A connection to the router serve() made last.
  Peer& peer(std::size_t index = 0) { return routers_.back()->peers().at(index); }

  RecordingListener listener_;
  std::list<std::unique_ptr<Connection>> connections_;  // a list: make() hands out references
  // Each lives as long as its server, to which it gave callbacks that point at it.
  std::vector<std::unique_ptr<ScriptedRouter>> routers_;
  std::uint16_t port_ = 0;
  std::string url_;
};

using Kind = ScriptedRouter::Kind;

const char* name(Kind kind) {
  return kind == Kind::rawsocket ? "RawSocket" : "WebSocket";
}

// ---- RawSocket ----

TEST_F(ConnectionTest, RawSocketOpensAndCarriesMessagesBothWays) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  auto& connection = make();
  auto opened = open(*connection, url_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), &cbor_serializer()) << "the first preference is asked for first";
  // Magic, a 16 MiB limit (exponent 15) and CBOR's id; the reserved octets zero.
  EXPECT_EQ(peer().rawsocket_hello, (Bytes{0x7f, 0xf3, 0, 0}));

  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(listener_.messages[0], hello());
  ASSERT_EQ(peer().frames.size(), 1u);
  EXPECT_EQ(peer().frames[0].payload, encoded(cbor_serializer(), hello()));

  // A PING is answered with a PONG that echoes it, and reaches no listener.
  router.on_frame = [](Peer&, const ClientFrame&) {};
  peer().send(rawsocket_frame(bytes_of("are you there"), kPing));
  ASSERT_TRUE(run_until([&] { return peer().frames.size() == 2; }));
  EXPECT_EQ(peer().frames[1].opcode, 2);
  EXPECT_EQ(peer().frames[1].payload, bytes_of("are you there"));
  EXPECT_EQ(listener_.messages.size(), 1u);

  close_and_destroy(connection);
  EXPECT_EQ(listener_.lost, 0);
}

TEST_F(ConnectionTest, RawSocketAsksForTheNextSerializerWhenRefused) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.rawsocket_reply = [](Peer& peer, std::uint8_t serializer) -> std::optional<Bytes> {
    if (serializer == json_serializer().rawsocket_id()) return Bytes{0x7f, 0xf1, 0, 0};
    peer.send(Bytes{0x7f, 0x10, 0, 0});  // error 1: serializer unsupported
    peer.connection->close();
    return std::nullopt;
  };
  auto& connection = make();
  auto opened = open(*connection, url_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), &json_serializer());
  ASSERT_EQ(router.peers().size(), 3u) << "one connection per serializer";
  EXPECT_EQ(peer(0).rawsocket_hello[1] & 0x0f, cbor_serializer().rawsocket_id());
  EXPECT_EQ(peer(1).rawsocket_hello[1] & 0x0f, msgpack_serializer().rawsocket_id());
  EXPECT_EQ(peer(2).rawsocket_hello[1] & 0x0f, json_serializer().rawsocket_id());

  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(peer(2).frames.at(0).payload, encoded(json_serializer(), hello()));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RawSocketFailsWhenEverySerializerIsRefused) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.rawsocket_reply = [](Peer&, std::uint8_t) {
    return std::optional<Bytes>(Bytes{0x7f, 0x10, 0, 0});
  };
  ConnectionOptions options;
  options.serializers = {&msgpack_serializer(), &json_serializer()};
  auto& connection = make(options);
  auto opened = open(*connection, url_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::serializer_refused));
  EXPECT_NE(opened.error().message.find("serializer unsupported"), std::string::npos);
  EXPECT_NE(opened.error().message.find("after the router refused msgpack"), std::string::npos)
      << opened.error().message;
  EXPECT_EQ(router.peers().size(), 2u);
  EXPECT_FALSE(connection->send(hello()).ok());
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RawSocketOtherRefusalsAreNotRetried) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.rawsocket_reply = [](Peer&, std::uint8_t) {
    return std::optional<Bytes>(Bytes{0x7f, 0x40, 0, 0});  // maximum connection count reached
  };
  auto& connection = make();
  auto opened = open(*connection, url_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::handshake_refused));
  EXPECT_NE(opened.error().message.find("maximum connection count"), std::string::npos);
  EXPECT_EQ(router.peers().size(), 1u);
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RawSocketAnnouncesTheMessageLimitAndHoldsTheRouterToIt) {
  serve(Kind::rawsocket);
  ConnectionOptions options;
  options.max_message_size = 1000;  // announced as 1024 (exponent 1)
  auto& connection = make(options);
  ASSERT_TRUE(open(*connection, url_).ok());
  EXPECT_EQ(peer().rawsocket_hello[1], 0x13);

  // A CBOR text string of 1021 octets is a message of exactly 1024: still allowed.
  Bytes at_limit = {0x79, 0x03, 0xfd};
  at_limit.resize(1024, 'a');
  peer().send(rawsocket_frame(at_limit));
  peer().send(rawsocket_frame(Bytes(1025, 0x41)));
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  ASSERT_EQ(listener_.messages.size(), 1u);
  EXPECT_EQ(listener_.messages[0], Value(std::string(1021, 'a')));
  EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::message_too_large))
      << listener_.lost_why.message;
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RawSocketRefusesToSendOverTheRoutersLimit) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.rawsocket_reply = [](Peer&, std::uint8_t serializer) {
    return std::optional<Bytes>(Bytes{0x7f, static_cast<std::uint8_t>(serializer), 0, 0});
  };  // the router accepts 512 octets
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());
  const Value too_large = Value::Array{16, std::string(600, 'x')};
  const Status sent = connection->send(too_large);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, make_error_code(transport_errc::message_too_large));
  EXPECT_EQ(sent.error().message, "message of " +
                                      std::to_string(encoded(cbor_serializer(), too_large).size()) +
                                      " octets exceeds the router's limit of 512 octets");
  ASSERT_TRUE(connection->send(hello()).ok()) << "a failed send changes nothing";
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RefusesToSendOverMaxOutgoingMessageSizeAndGoesOn) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    serve(kind);
    ConnectionOptions options;
    options.max_outgoing_message_size = encoded(cbor_serializer(), hello()).size();
    auto& connection = make(options);
    ASSERT_TRUE(open(*connection, url_).ok());  // cbor, the first offered
    const Value too_large = Value::Array{16, std::string(200, 'x')};
    const Status sent = connection->send(too_large);
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.error().code, make_error_code(transport_errc::message_too_large));
    EXPECT_EQ(sent.error().message,
              "message of " + std::to_string(encoded(cbor_serializer(), too_large).size()) +
                  " octets exceeds the limit of " +
                  std::to_string(options.max_outgoing_message_size) +
                  " octets set for outgoing messages");
    ASSERT_TRUE(connection->send(hello()).ok()) << "a message of exactly the limit goes out";
    ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
    ASSERT_EQ(peer().frames.size(), 1u) << "the refused message never went out";
    EXPECT_EQ(peer().frames[0].payload, encoded(cbor_serializer(), hello()));
    EXPECT_EQ(listener_.lost, 0);
    close_and_destroy(connection);
    listener_.messages.clear();
  }
}

TEST_F(ConnectionTest, UndecodableMessageEndsTheConnection) {
  serve(Kind::rawsocket);
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());
  peer().send(rawsocket_frame(Bytes{0xff, 0x00}));
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  EXPECT_EQ(listener_.lost_why.code.category(), codec_category());
  EXPECT_NE(listener_.lost_why.message.find("not valid cbor"), std::string::npos)
      << listener_.lost_why.message;
  const Status sent = connection->send(hello());
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code, make_error_code(transport_errc::not_open));
  close_and_destroy(connection);
  EXPECT_EQ(listener_.lost, 1);
}

TEST_F(ConnectionTest, PeerDroppingMidFrameLosesTheConnection) {
  serve(Kind::rawsocket);
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());
  Bytes frame = rawsocket_frame(encoded(cbor_serializer(), hello()));
  frame.resize(frame.size() / 2);
  peer().send(frame);
  peer().connection->close();
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::connection_closed));
  EXPECT_TRUE(listener_.messages.empty());
  close_and_destroy(connection);
  EXPECT_EQ(listener_.lost, 1);
}

TEST_F(ConnectionTest, HandshakeTimeoutWhenTheRouterNeverAnswers) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    ScriptedRouter& router = serve(kind);
    router.rawsocket_reply = [](Peer&, std::uint8_t) { return std::nullopt; };
    router.websocket_response = [](Peer&) { return std::nullopt; };
    ConnectionOptions options;
    options.handshake_timeout = std::chrono::milliseconds(100);
    auto& connection = make(options);
    const auto started = std::chrono::steady_clock::now();
    auto opened = open(*connection, url_);
    const auto took = std::chrono::steady_clock::now() - started;
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, make_error_code(transport_errc::handshake_timeout));
    EXPECT_NE(opened.error().message.find("within 100 ms"), std::string::npos)
        << opened.error().message;
    EXPECT_GE(took, std::chrono::milliseconds(90));
    EXPECT_EQ(router.peers().size(), 1u);
    close_and_destroy(connection);
  }
}

TEST_F(ConnectionTest, RouterClosingDuringTheHandshakeFailsTheConnect) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.rawsocket_reply = [](Peer& peer, std::uint8_t) {
    peer.connection->close();
    return std::nullopt;
  };
  auto& connection = make();
  auto opened = open(*connection, url_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::connection_closed));
  EXPECT_NE(opened.error().message.find("during the RawSocket handshake"), std::string::npos);
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RawSocketOverAUnixSocket) {
  char directory[] = "/tmp/uvwamp-connection-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const std::string path = std::string(directory) + "/router.sock";
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_pipe(path), 0);
  ScriptedRouter router(server, Kind::rawsocket);
  ConnectionOptions options;
  options.serializers = {&msgpack_serializer()};
  auto& connection = make(options);
  auto opened = open(*connection, "rs://unix:" + path);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), &msgpack_serializer());
  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(listener_.messages[0], hello());
  close_and_destroy(connection);
  server.close();
  run_until([] { return false; }, std::chrono::milliseconds(0), /*drain=*/true);
  unlink(path.c_str());
  rmdir(directory);
}

TEST_F(ConnectionTest, AnEndpointFilledInByHand) {
  char directory[] = "/tmp/uvwamp-connection-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  const std::string path = std::string(directory) + "/router.sock";
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_pipe(path), 0);
  ScriptedRouter router(server, Kind::websocket);
  Endpoint endpoint;
  endpoint.protocol = Endpoint::Protocol::websocket;
  endpoint.unix_path = path;
  endpoint.http_host = "router.internal";
  endpoint.http_path = "/wamp?realm=realm1";

  auto& tls_over_unix = make();
  Endpoint secure = endpoint;
  secure.tls = true;
  const Status refused = tls_over_unix->connect(
      secure, [](Result<const Serializer*>) { ADD_FAILURE() << "a failed connect() called back"; });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, make_error_code(transport_errc::invalid_url));

  auto& connection = make();
  std::optional<Result<const Serializer*>> opened;
  ASSERT_TRUE(
      connection->connect(endpoint, [&](Result<const Serializer*> r) { opened.emplace(r); }).ok());
  ASSERT_TRUE(run_until([&] { return opened.has_value(); }));
  ASSERT_TRUE(opened->ok()) << opened->error().message;
  EXPECT_EQ(router.peers().at(0).request.rfind("GET /wamp?realm=realm1 HTTP/1.1\r\n", 0), 0u);
  EXPECT_EQ(router.peers().at(0).headers["host"], "router.internal");
  close_and_destroy(connection);
  server.close();
  run_until([] { return false; }, std::chrono::milliseconds(0), /*drain=*/true);
  unlink(path.c_str());
  rmdir(directory);
}

// ---- WebSocket ----

TEST_F(ConnectionTest, WebSocketOffersEverySerializerAndUsesTheOneChosen) {
  ScriptedRouter& router = serve(Kind::websocket);
  router.subprotocol = "wamp.2.json";
  ConnectionOptions options;
  options.websocket_headers = {{"Origin", "http://example.com"}};
  auto& connection = make(options);
  auto opened = open(*connection, url_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened.value(), &json_serializer());
  EXPECT_EQ(peer().request.rfind("GET /ws HTTP/1.1\r\n", 0), 0u) << peer().request;
  EXPECT_EQ(peer().headers["host"], "127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(peer().headers["sec-websocket-protocol"], "wamp.2.cbor, wamp.2.msgpack, wamp.2.json");
  EXPECT_EQ(peer().headers["origin"], "http://example.com");

  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(listener_.messages[0], hello());
  const ClientFrame& sent = peer().frames.at(0);
  EXPECT_EQ(sent.opcode, 0x1) << "JSON travels in text frames";
  EXPECT_TRUE(sent.masked);
  EXPECT_EQ(sent.payload, encoded(json_serializer(), hello()));

  // close(): our close frame (1000), the router's echo, then the stream closes.
  close_and_destroy(connection);
  ASSERT_EQ(peer().frames.size(), 2u);
  EXPECT_EQ(peer().frames[1].opcode, 0x8);
  EXPECT_EQ(peer().frames[1].payload, close_payload(1000));
  EXPECT_EQ(listener_.lost, 0);
}

TEST_F(ConnectionTest, WebSocketBinarySerializersUseBinaryFrames) {
  serve(Kind::websocket);  // picks the first offered
  ConnectionOptions options;
  options.serializers = {&msgpack_serializer(), &cbor_serializer()};
  auto& connection = make(options);
  auto opened = open(*connection, url_);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened.value(), &msgpack_serializer());
  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(peer().frames.at(0).opcode, 0x2);
  EXPECT_EQ(peer().frames.at(0).payload, encoded(msgpack_serializer(), hello()));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, WebSocketKeysAreFreshPerConnection) {
  serve(Kind::websocket);
  std::vector<std::string> keys;
  for (int i = 0; i < 2; ++i) {
    auto& connection = make();
    ASSERT_TRUE(open(*connection, url_).ok());
    keys.push_back(peer(static_cast<std::size_t>(i)).headers["sec-websocket-key"]);
    close_and_destroy(connection);
  }
  EXPECT_EQ(keys[0].size(), 24u);
  EXPECT_NE(keys[0], keys[1]);
}

TEST_F(ConnectionTest, WebSocketRefusalIsReported) {
  ScriptedRouter& router = serve(Kind::websocket);
  router.websocket_response = [](Peer&) {
    return std::optional<std::string>("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
  };
  auto& connection = make();
  auto opened = open(*connection, url_);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::handshake_refused));
  EXPECT_NE(opened.error().message.find("403 Forbidden"), std::string::npos);
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, WebSocketOversizeMessageFailsWith1009) {
  serve(Kind::websocket);
  ConnectionOptions options;
  options.max_message_size = 100;
  auto& connection = make(options);
  ASSERT_TRUE(open(*connection, url_).ok());
  peer().send(websocket_frame(0x2, Bytes(101, 0)));
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::message_too_large));
  ASSERT_TRUE(run_until([&] { return !peer().frames.empty(); }));
  EXPECT_EQ(peer().frames[0].opcode, 0x8);
  ASSERT_GE(peer().frames[0].payload.size(), 2u);
  EXPECT_EQ(Bytes(peer().frames[0].payload.begin(), peer().frames[0].payload.begin() + 2),
            close_payload(1009));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, WebSocketUndecodableMessageIsAnsweredWith1007) {
  serve(Kind::websocket);
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());             // cbor
  peer().send(websocket_frame(0x2, Bytes{0x82, 0x01}));  // an array of 2 with one element
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  EXPECT_EQ(listener_.lost_why.code.category(), codec_category());
  ASSERT_TRUE(run_until([&] { return !peer().frames.empty(); }));
  EXPECT_EQ(peer().frames[0].opcode, 0x8);
  ASSERT_GE(peer().frames[0].payload.size(), 2u);
  EXPECT_EQ(Bytes(peer().frames[0].payload.begin(), peer().frames[0].payload.begin() + 2),
            close_payload(1007));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, RouterClosingTheWebSocketLosesTheConnection) {
  ScriptedRouter& router = serve(Kind::websocket);
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());
  router.on_frame = [](Peer&, const ClientFrame&) {};
  peer().send(websocket_frame(0x8, close_payload(1001, "going away")));
  ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
  EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::connection_closed));
  EXPECT_NE(listener_.lost_why.message.find("status 1001"), std::string::npos);
  EXPECT_NE(listener_.lost_why.message.find("going away"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return !peer().frames.empty(); }));
  EXPECT_EQ(peer().frames[0].payload, close_payload(1001, "going away")) << "the client echoes it";
  close_and_destroy(connection);
  EXPECT_EQ(peer().frames.size(), 1u) << "no second close frame";
}

TEST_F(ConnectionTest, CloseWaitsForTheRoutersCloseFrameOnlySoLong) {
  ScriptedRouter& router = serve(Kind::websocket);
  router.on_frame = [](Peer&, const ClientFrame&) {};  // never answers the close frame
  ConnectionOptions options;
  options.handshake_timeout = std::chrono::milliseconds(150);
  auto& connection = make(options);
  ASSERT_TRUE(open(*connection, url_).ok());
  const auto started = std::chrono::steady_clock::now();
  close_and_destroy(connection);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(140));
  EXPECT_LT(took, std::chrono::seconds(5));
  ASSERT_EQ(peer().frames.size(), 1u);
  EXPECT_EQ(peer().frames[0].opcode, 0x8);
}

// ---- Keepalive ----

bool is_ping(Kind kind, const ClientFrame& frame) {
  return frame.opcode == (kind == Kind::rawsocket ? kPing : kWebSocketPing);
}

// The payloads of the pings the client sent to `peer`.
std::vector<Bytes> pings(Kind kind, const Peer& peer) {
  std::vector<Bytes> payloads;
  for (const ClientFrame& frame : peer.frames)
    if (is_ping(kind, frame)) payloads.push_back(frame.payload);
  return payloads;
}

Bytes pong(Kind kind, const Bytes& payload) {
  return kind == Kind::rawsocket ? rawsocket_frame(payload, kPong)
                                 : websocket_frame(kWebSocketPong, payload);
}

// The payload of the client's ping number `number`: the number in 8 octets, big-endian.
Bytes ping_payload(std::uint64_t number) {
  Bytes payload(8);
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<std::uint8_t>(number >> (8 * (7 - i)));
  return payload;
}

TEST_F(ConnectionTest, KeepaliveGoesOnWhileTheRouterAnswers) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    ScriptedRouter& router = serve(kind);
    router.on_frame = [&router, kind](Peer& peer, const ClientFrame& frame) {
      if (is_ping(kind, frame)) {
        peer.send(pong(kind, frame.payload));
      } else {
        router.echo(peer, frame);
      }
    };
    ConnectionOptions options;
    options.keepalive_interval = std::chrono::milliseconds(20);
    options.rawsocket_ping = true;
    options.keepalive_timeout = std::chrono::milliseconds(200);
    auto& connection = make(options);
    ASSERT_TRUE(open(*connection, url_).ok());
    // One ping is out at a time, so each one after the first proves the previous answer was
    // taken; 15 of them span more than the timeout.
    ASSERT_TRUE(run_until([&] { return pings(kind, peer()).size() >= 15 || listener_.lost > 0; }));
    EXPECT_EQ(listener_.lost, 0) << listener_.lost_why.message;
    const std::vector<Bytes> sent = pings(kind, peer());
    for (std::size_t i = 0; i < sent.size(); ++i)
      EXPECT_EQ(sent[i], ping_payload(i + 1)) << "ping " << i + 1;
    if (kind == Kind::websocket) {
      EXPECT_TRUE(peer().frames.at(0).masked);
    }
    ASSERT_TRUE(connection->send(hello()).ok()) << "messages flow between the pings";
    ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
    close_and_destroy(connection);
    listener_.messages.clear();
  }
}

TEST_F(ConnectionTest, KeepaliveCountsAnythingFromTheRouterAsAnAnswer) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    ScriptedRouter& router = serve(kind);
    // A router too busy to answer pings, but sending messages all the while.
    router.on_frame = [&router, kind](Peer& peer, const ClientFrame& frame) {
      if (!is_ping(kind, frame)) {
        router.echo(peer, frame);
        return;
      }
      const Bytes message = encoded(cbor_serializer(), hello());
      peer.send(kind == Kind::rawsocket ? rawsocket_frame(message) : websocket_frame(0x2, message));
    };
    ConnectionOptions options;
    options.keepalive_interval = std::chrono::milliseconds(20);
    options.rawsocket_ping = true;
    options.keepalive_timeout = std::chrono::milliseconds(100);
    auto& connection = make(options);
    ASSERT_TRUE(open(*connection, url_).ok());
    ASSERT_TRUE(run_until([&] { return pings(kind, peer()).size() >= 10 || listener_.lost > 0; }));
    EXPECT_EQ(listener_.lost, 0) << listener_.lost_why.message;
    EXPECT_GE(listener_.messages.size(), 9u);
    close_and_destroy(connection);
    listener_.messages.clear();
  }
}

TEST_F(ConnectionTest, KeepaliveLosesARouterThatStopsAnswering) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    ScriptedRouter& router = serve(kind);
    // Answers the first two pings, then falls silent, though the connection stays up. (The
    // payloads are big-endian, so they compare as the numbers do.)
    router.on_frame = [kind](Peer& peer, const ClientFrame& frame) {
      if (is_ping(kind, frame) && frame.payload < ping_payload(3)) {
        peer.send(pong(kind, frame.payload));
      }
    };
    ConnectionOptions options;
    options.keepalive_interval = std::chrono::milliseconds(50);
    options.rawsocket_ping = true;
    options.keepalive_timeout = std::chrono::milliseconds(150);
    auto& connection = make(options);
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(open(*connection, url_).ok());
    ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::keepalive_timeout));
    EXPECT_EQ(listener_.lost_why.message, "the router did not answer a ping within 150 ms");
    // The third ping went out at least three intervals in, and was waited for a timeout (less
    // a little: uv's clock counts whole milliseconds).
    EXPECT_EQ(pings(kind, peer()).size(), 3u) << "no second ping while one is unanswered";
    EXPECT_GE(took, std::chrono::milliseconds(3 * 50 + 150 - 10));
    EXPECT_LT(took, std::chrono::seconds(5));
    const Status sent = connection->send(hello());
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.error().code, make_error_code(transport_errc::not_open));
    close_and_destroy(connection);
    EXPECT_EQ(listener_.lost, 1);
    listener_.lost = 0;
  }
}

TEST_F(ConnectionTest, KeepaliveLosesARouterThatNeverAnswers) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    ScriptedRouter& router = serve(kind);
    router.on_frame = [](Peer&, const ClientFrame&) {};
    ConnectionOptions options;
    options.keepalive_interval = std::chrono::milliseconds(100);
    options.rawsocket_ping = true;
    options.keepalive_timeout = std::chrono::milliseconds(100);
    auto& connection = make(options);
    const auto started = std::chrono::steady_clock::now();
    ASSERT_TRUE(open(*connection, url_).ok());
    ASSERT_TRUE(run_until([&] { return listener_.lost > 0; }));
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(listener_.lost_why.code, make_error_code(transport_errc::keepalive_timeout));
    EXPECT_EQ(pings(kind, peer()), std::vector<Bytes>{ping_payload(1)});
    // Not before interval + timeout (less a little: uv's clock counts whole milliseconds).
    EXPECT_GE(took, std::chrono::milliseconds(100 + 100 - 10));
    EXPECT_LT(took, std::chrono::seconds(5));
    close_and_destroy(connection);
    listener_.lost = 0;
  }
}

TEST_F(ConnectionTest, KeepaliveOffSendsNoPing) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    // Two connections side by side: the pings of the one with keepalive tell how long the one
    // without has been open.
    ScriptedRouter& with_keepalive = serve(kind);
    with_keepalive.on_frame = [&with_keepalive, kind](Peer& peer, const ClientFrame& frame) {
      if (is_ping(kind, frame)) {
        peer.send(pong(kind, frame.payload));
      } else {
        with_keepalive.echo(peer, frame);
      }
    };
    const std::string pinging_url = url_;
    ScriptedRouter& without = serve(kind);
    ConnectionOptions options;
    options.keepalive_interval = std::chrono::milliseconds(20);
    options.rawsocket_ping = true;
    auto& pinging = make(options);
    ASSERT_TRUE(open(*pinging, pinging_url).ok());
    ConnectionOptions off;
    off.keepalive_timeout = std::chrono::milliseconds(1);  // unused while the interval is zero
    auto& quiet = make(off);
    ASSERT_TRUE(open(*quiet, url_).ok());
    ASSERT_TRUE(run_until([&] {
      return pings(kind, with_keepalive.peers().at(0)).size() >= 10 || listener_.lost > 0;
    }));
    EXPECT_TRUE(without.peers().at(0).frames.empty());
    EXPECT_EQ(listener_.lost, 0);
    close_and_destroy(pinging);
    close_and_destroy(quiet);
  }
}

// RawSocket pings are opt-in (Crossbar drops the connection at a PING): a RawSocket connection
// with a keepalive interval but without rawsocket_ping sends none.
TEST_F(ConnectionTest, RawSocketPingsOnlyWhenAskedFor) {
  const Kind kind = Kind::rawsocket;
  ScriptedRouter& with_pings = serve(kind);
  with_pings.on_frame = [&with_pings, kind](Peer& peer, const ClientFrame& frame) {
    if (is_ping(kind, frame)) {
      peer.send(pong(kind, frame.payload));
    } else {
      with_pings.echo(peer, frame);
    }
  };
  const std::string pinging_url = url_;
  ScriptedRouter& without = serve(kind);
  ConnectionOptions options;
  options.keepalive_interval = std::chrono::milliseconds(20);
  options.rawsocket_ping = true;
  auto& pinging = make(options);
  ASSERT_TRUE(open(*pinging, pinging_url).ok());
  options.rawsocket_ping = false;
  auto& quiet = make(options);
  ASSERT_TRUE(open(*quiet, url_).ok());
  ASSERT_TRUE(run_until(
      [&] { return pings(kind, with_pings.peers().at(0)).size() >= 10 || listener_.lost > 0; }));
  EXPECT_TRUE(without.peers().at(0).frames.empty());
  EXPECT_EQ(listener_.lost, 0);
  close_and_destroy(pinging);
  close_and_destroy(quiet);
}

// ---- Backpressure, and close() with bytes queued ----

// A message of some 64 KiB, numbered so that the order it arrives in shows.
Value bulk(int number) {
  return Value::Array{16, number, Value::Object{}, "com.example.bulk",
                      Value::Array{std::string(64 * 1024, 'b')}};
}

// Answers a WebSocket close frame with the same, so that close() does not wait for the timeout,
// and keeps every other frame without answering.
void answer_only_close(ScriptedRouter& router) {
  router.on_frame = [&router](Peer& peer, const ClientFrame& frame) {
    if (frame.opcode == 0x8) router.echo(peer, frame);
  };
}

// Sends bulk(0), bulk(1), ... until more than `bytes` wait in the connection's queue (the
// kernel's socket buffers, which take megabytes first, are full by then); how many it sent.
int send_until_queued(Connection& connection, std::size_t bytes) {
  int sent = 0;
  while (connection.queued_bytes() <= bytes) {
    if (sent == 2000) {
      ADD_FAILURE() << "the queue did not grow past " << bytes << " bytes";
      break;
    }
    const Status status = connection.send(bulk(sent));
    if (!status) {
      ADD_FAILURE() << status.error().message;
      break;
    }
    ++sent;
  }
  return sent;
}

// The router's frames from `first` on are the messages bulk(0) .. bulk(count - 1), in order.
void expect_bulk_in_order(const Peer& peer, const Serializer& serializer, int count,
                          std::size_t first = 0) {
  ASSERT_GE(peer.frames.size(), first + static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    if (peer.frames[first + static_cast<std::size_t>(i)].payload != encoded(serializer, bulk(i))) {
      ADD_FAILURE() << "frame " << first + static_cast<std::size_t>(i) << " is not bulk(" << i
                    << ")";
      return;
    }
  }
}

TEST_F(ConnectionTest, SendPressureComesAfterSendAndEndsWhenTheQueueDrains) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    listener_.pressure.clear();
    ScriptedRouter& router = serve(kind);
    answer_only_close(router);
    ConnectionOptions options;
    options.write_queue_high_water = 256 * 1024;
    auto& connection = make(options);
    const auto opened = open(*connection, url_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    peer().connection->stop_reading();

    const int sent = send_until_queued(*connection, options.write_queue_high_water);
    EXPECT_TRUE(listener_.pressure.empty()) << "on_send_pressure ran inside send()";
    ASSERT_TRUE(run_until([&] { return !listener_.pressure.empty(); }));
    EXPECT_EQ(listener_.pressure, std::vector<bool>{true});
    run_until([] { return false; }, std::chrono::milliseconds(20));
    EXPECT_EQ(listener_.pressure, std::vector<bool>{true}) << "the router still reads nothing";

    peer().connection->start_reading();
    ASSERT_TRUE(run_until([&] { return listener_.pressure.size() == 2; }));
    EXPECT_EQ(listener_.pressure, (std::vector<bool>{true, false}));
    EXPECT_EQ(connection->queued_bytes(), 0u);
    ASSERT_TRUE(run_until([&] { return peer().frames.size() >= static_cast<std::size_t>(sent); }));
    expect_bulk_in_order(peer(), *opened.value(), sent);

    // Sending goes on, and a second congestion is reported like the first.
    peer().connection->stop_reading();
    const int more = send_until_queued(*connection, options.write_queue_high_water);
    EXPECT_GT(more, 0);
    ASSERT_TRUE(run_until([&] { return listener_.pressure.size() == 3; }));
    peer().connection->start_reading();
    ASSERT_TRUE(run_until([&] { return listener_.pressure.size() == 4; }));
    EXPECT_EQ(listener_.pressure, (std::vector<bool>{true, false, true, false}));
    close_and_destroy(connection);
  }
}

TEST_F(ConnectionTest, NoSendPressureWhenTheHighWaterMarkIsOff) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  answer_only_close(router);
  ConnectionOptions options;
  options.write_queue_high_water = 0;
  auto& connection = make(options);
  ASSERT_TRUE(open(*connection, url_).ok());
  peer().connection->stop_reading();
  send_until_queued(*connection, std::size_t{2} << 20);
  peer().connection->start_reading();
  ASSERT_TRUE(run_until([&] { return connection->queued_bytes() == 0; }));
  run_until([] { return false; }, std::chrono::milliseconds(20));
  EXPECT_TRUE(listener_.pressure.empty());
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, CloseWritesOutWhatIsQueuedBeforeTheStreamCloses) {
  for (Kind kind : {Kind::rawsocket, Kind::websocket}) {
    SCOPED_TRACE(name(kind));
    listener_.pressure.clear();
    ScriptedRouter& router = serve(kind);
    answer_only_close(router);
    auto& connection = make();
    const auto opened = open(*connection, url_);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    peer().connection->stop_reading();
    const int sent = send_until_queued(*connection, std::size_t{2} << 20);

    int closed = 0;
    ASSERT_TRUE(connection->close([&] {
      ++closed;
      connection.reset();
    }));
    run_until([] { return false; }, std::chrono::milliseconds(100));
    EXPECT_EQ(closed, 0) << "closed with bytes still queued for a router that reads nothing";
    peer().connection->start_reading();
    ASSERT_TRUE(run_until([&] { return closed == 1; }));
    // What the stream wrote before it closed all reaches the router, in order, before its end.
    const std::size_t expected = static_cast<std::size_t>(sent) + (kind == Kind::websocket);
    ASSERT_TRUE(run_until([&] { return peer().frames.size() >= expected; }));
    expect_bulk_in_order(peer(), *opened.value(), sent);
    if (kind == Kind::websocket) {
      EXPECT_EQ(peer().frames.back().opcode, 0x8);
    }
    EXPECT_EQ(peer().frames.size(), expected);
    EXPECT_TRUE(listener_.pressure.empty()) << "a listener call after close()";
  }
}

TEST_F(ConnectionTest, CloseWaitsForQueuedBytesOnlySoLong) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  answer_only_close(router);
  ConnectionOptions options;
  options.handshake_timeout = std::chrono::milliseconds(150);
  auto& connection = make(options);
  ASSERT_TRUE(open(*connection, url_).ok());
  peer().connection->stop_reading();  // for good
  send_until_queued(*connection, std::size_t{1} << 20);
  // close() counts from the loop's time, which stood still while the test sent megabytes.
  uv_update_time(&loop_);
  const auto started = std::chrono::steady_clock::now();
  close_and_destroy(connection);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_GE(took, std::chrono::milliseconds(140));
  EXPECT_LT(took, std::chrono::seconds(5));
}

// ---- Lifetime and callbacks ----

TEST_F(ConnectionTest, NoListenerCallAfterClose) {
  ScriptedRouter& router = serve(Kind::rawsocket);
  router.on_frame = [](Peer& peer, const ClientFrame& frame) {
    // Three messages in one write: the listener closes in the first.
    Bytes three;
    for (int i = 0; i < 3; ++i) {
      const Bytes one = rawsocket_frame(frame.payload);
      three.insert(three.end(), one.begin(), one.end());
    }
    peer.send(three);
    peer.connection->close();
  };
  auto& connection = make();
  ASSERT_TRUE(open(*connection, url_).ok());
  int closed = 0;
  listener_.after_message = [&] {
    EXPECT_TRUE(connection->close([&] { ++closed; }));
    EXPECT_FALSE(connection->close([&] { ADD_FAILURE() << "a second close called back"; }));
  };
  ASSERT_TRUE(connection->send(hello()).ok());
  ASSERT_TRUE(run_until([&] { return closed == 1; }));
  EXPECT_EQ(listener_.messages.size(), 1u);
  EXPECT_EQ(listener_.lost, 0) << "the router's close came after close()";
  connection.reset();
}

TEST_F(ConnectionTest, CloseWhileConnectingCancelsTheCallback) {
  serve(Kind::rawsocket);
  auto& connection = make();
  ASSERT_TRUE(connection
                  ->connect(url_,
                            [](Result<const Serializer*>) {
                              ADD_FAILURE() << "connect called back after close()";
                            })
                  .ok());
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, CloseDuringTheHandshakeCancelsTheCallback) {
  ScriptedRouter& router = serve(Kind::websocket);
  router.websocket_response = [](Peer&) { return std::nullopt; };
  auto& connection = make();
  ASSERT_TRUE(connection
                  ->connect(url_,
                            [](Result<const Serializer*>) {
                              ADD_FAILURE() << "connect called back after close()";
                            })
                  .ok());
  ASSERT_TRUE(run_until([&] { return !router.peers().empty() && router.peers()[0].handshaken; }));
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, CloseInsideTheConnectCallback) {
  serve(Kind::websocket);
  auto& connection = make();
  int closed = 0;
  bool called = false;
  ASSERT_TRUE(connection
                  ->connect(url_,
                            [&](Result<const Serializer*> opened) {
                              called = true;
                              EXPECT_TRUE(opened.ok());
                              EXPECT_TRUE(connection->close([&] {
                                ++closed;
                                connection.reset();
                              }));
                            })
                  .ok());
  ASSERT_TRUE(run_until([&] { return closed == 1; }));
  EXPECT_TRUE(called);
}

TEST_F(ConnectionTest, ConnectFailureIsReportedAndTheConnectionStillCloses) {
  TestServer& server = add_server();
  ASSERT_EQ(server.listen_tcp("127.0.0.1"), 0);
  const std::uint16_t port = server.port();
  server.close();  // nothing listens on the port any more
  auto& connection = make();
  auto opened = open(*connection, "rs://127.0.0.1:" + std::to_string(port));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, make_error_code(transport_errc::connect_failed));
  EXPECT_NE(opened.error().message.find("ECONNREFUSED"), std::string::npos);
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, InvalidURLFailsAtOnceAndHoldsNothing) {
  auto& connection = make();
  const Status started = connection->connect("rs://127.0.0.1", [](Result<const Serializer*>) {
    ADD_FAILURE() << "a failed connect() called back";
  });
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code, make_error_code(transport_errc::invalid_url));
  EXPECT_FALSE(connection->close([] { ADD_FAILURE() << "nothing to close"; }));
  connection.reset();  // allowed at once: the loop must close cleanly in TearDown
}

TEST_F(ConnectionTest, SendFailsCleanly) {
  serve(Kind::rawsocket);
  ConnectionOptions options;
  options.serializers = {&json_serializer()};
  options.write_queue_limit = 256;
  options.write_queue_high_water = 0;  // the default is over this limit
  auto& connection = make(options);
  const Status early = connection->send(hello());
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, make_error_code(transport_errc::not_open));
  ASSERT_TRUE(open(*connection, url_).ok());

  const Status nan = connection->send(Value::Array{16, std::nan("")});
  ASSERT_FALSE(nan.ok());
  EXPECT_EQ(nan.error().code, make_error_code(codec_errc::not_encodable));
  EXPECT_NE(nan.error().message.find("cannot be sent as json"), std::string::npos);

  const Status big = connection->send(Value::Array{16, std::string(300, 'x')});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, make_error_code(transport_errc::write_queue_full));

  ASSERT_TRUE(connection->send(hello()).ok()) << "failed sends changed nothing";
  ASSERT_TRUE(run_until([&] { return listener_.messages.size() == 1; }));
  EXPECT_EQ(listener_.messages[0], hello());
  close_and_destroy(connection);
}

TEST_F(ConnectionTest, OptionsThatCannotWorkAreRefused) {
  ConnectionOptions none;
  none.serializers.clear();
  EXPECT_THROW(make(none), std::invalid_argument);
  ConnectionOptions null_one;
  null_one.serializers = {nullptr};
  EXPECT_THROW(make(null_one), std::invalid_argument);
  ConnectionOptions zero;
  zero.max_message_size = 0;
  EXPECT_THROW(make(zero), std::invalid_argument);
  ConnectionOptions high_water_over_the_limit;
  high_water_over_the_limit.write_queue_limit = 1000;
  high_water_over_the_limit.write_queue_high_water = 1001;
  EXPECT_THROW(make(high_water_over_the_limit), std::invalid_argument);
  ConnectionOptions keepalive_without_timeout;
  keepalive_without_timeout.keepalive_interval = std::chrono::seconds(1);
  keepalive_without_timeout.keepalive_timeout = std::chrono::milliseconds(0);
  EXPECT_THROW(make(keepalive_without_timeout), std::invalid_argument);

  ConnectionOptions bad_header;
  bad_header.websocket_headers = {{"Sec-WebSocket-Key", "mine"}};
  auto& connection = make(bad_header);
  EXPECT_THROW((void)connection->connect("ws://127.0.0.1:1/", [](Result<const Serializer*>) {}),
               std::invalid_argument);
  EXPECT_FALSE(connection->close([] {}));
}

}  // namespace
}  // namespace uvwamp
