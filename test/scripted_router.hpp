// A scripted in-process router for the client's tests: RawSocket with JSON, a message at a
// time, each test scripting its answers; and ClientTest, a loop fixture that makes clients
// against it and closes them before the loop closes.
#pragma once

#include <uvwamp/client.hpp>

#include <gtest/gtest.h>
#include <uvwamp/serializer.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "uv_test_support.hpp"

namespace uvwamp::test {

using Bytes = std::vector<std::uint8_t>;

// One client connection as the scripted router sees it.
struct RouterPeer {
  TestServer::Connection* connection = nullptr;
  std::size_t consumed = 0;
  bool handshaken = false;
  std::vector<Value> received;  // every message the client sent, decoded

  void send(const Value& message) {
    Bytes payload;
    ASSERT_TRUE(json_serializer().encode(message, payload).ok());
    const std::size_t size = payload.size();
    Bytes frame = {0, static_cast<std::uint8_t>(size >> 16), static_cast<std::uint8_t>(size >> 8),
                   static_cast<std::uint8_t>(size)};
    frame.insert(frame.end(), payload.begin(), payload.end());
    connection->write(std::move(frame));
  }
  void send_raw_json(const std::string& json) {
    Bytes frame = {0, 0, static_cast<std::uint8_t>(json.size() >> 8),
                   static_cast<std::uint8_t>(json.size())};
    frame.insert(frame.end(), json.begin(), json.end());
    connection->write(std::move(frame));
  }
  void drop() { connection->close(); }
};

inline std::int64_t type_of(const Value& message) {
  return message.if_array()->at(0).to_int64().value();
}

// A RawSocket router that accepts JSON and hands each message to `script`. By default it
// welcomes every HELLO with session id 42 and answers GOODBYE with GOODBYE.
class ScriptedRouter {
 public:
  explicit ScriptedRouter(TestServer& server) {
    server.on_accept = [this](TestServer::Connection& connection) {
      RouterPeer& peer = peers_.emplace_back();
      peer.connection = &connection;
      connection.user = &peer;
      connection.start_reading();
    };
    server.on_data = [this](TestServer::Connection& connection, const std::uint8_t*, std::size_t) {
      parse(*static_cast<RouterPeer*>(connection.user));
    };
  }

  std::function<void(RouterPeer&, const Value&)> script =
      [](RouterPeer& peer, const Value& message) { welcome_and_goodbye(peer, message); };

  static void welcome_and_goodbye(RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1) peer.send(Value::Array{2, 42, Value::Object{}});
    if (type_of(message) == 6) {
      peer.send(Value::Array{6, Value::Object{}, "wamp.close.goodbye_and_out"});
    }
  }

  std::list<RouterPeer>& peers() { return peers_; }
  RouterPeer& last() { return peers_.back(); }

 private:
  void parse(RouterPeer& peer) {
    Bytes& in = peer.connection->received;
    if (!peer.handshaken) {
      if (in.size() < 4) return;
      // Accept the serializer asked for, with the largest message limit.
      peer.connection->write({0x7f, static_cast<std::uint8_t>(0xf0 | (in[1] & 0x0f)), 0, 0});
      peer.handshaken = true;
      peer.consumed = 4;
    }
    while (in.size() - peer.consumed >= 4) {
      const std::uint8_t* header = in.data() + peer.consumed;
      const std::size_t size =
          (std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) | std::size_t{header[3]};
      if (in.size() - peer.consumed - 4 < size) return;
      const std::uint8_t* payload = header + 4;
      peer.consumed += 4 + size;
      if (header[0] != 0) continue;  // pings and pongs
      Result<Value> message = json_serializer().decode(payload, size);
      ASSERT_TRUE(message.ok()) << message.error().message;
      peer.received.push_back(message.value());
      script(peer, message.value());
      if (peer.connection->closed) return;
    }
  }

  std::list<RouterPeer> peers_;
};

class ClientTest : public LoopTest {
 protected:
  ScriptedRouter& serve() {
    TestServer& server = add_server();
    EXPECT_EQ(server.listen_tcp("127.0.0.1"), 0);
    routers_.push_back(std::make_unique<ScriptedRouter>(server));
    url_ = "rs://127.0.0.1:" + std::to_string(server.port());
    return *routers_.back();
  }

  ClientOptions options() {
    ClientOptions options;
    options.urls = {url_};
    options.realm = "realm1";
    options.serializers = {&json_serializer()};
    return options;
  }

  // A client the fixture closes (if the test did not) before the loop closes.
  Client& make(ClientOptions client_options) {
    clients_.push_back(std::make_unique<Client>(&loop_, std::move(client_options)));
    return *clients_.back();
  }
  Client& make() { return make(options()); }

  void TearDown() override {
    clients_.clear();  // destroying completes what is pending; the loop then closes the handles
    LoopTest::TearDown();
  }

  WampResult<SessionInfo> join(Client& client) {
    std::optional<WampResult<SessionInfo>> joined;
    client.join([&](WampResult<SessionInfo> r) { joined.emplace(std::move(r)); });
    EXPECT_FALSE(joined) << "join() called back inside the call";
    EXPECT_TRUE(run_until([&] { return joined.has_value(); }));
    if (!joined) return local_error_for_test("join did not complete");
    return std::move(*joined);
  }

  static WampError local_error_for_test(std::string message) {
    return WampError{
        make_error_code(client_errc::timed_out), "test.timeout", std::move(message), {}, {}, {}};
  }

  // The messages of `type` the client sent to `peer`.
  static std::vector<Value> sent(const RouterPeer& peer, std::int64_t type) {
    std::vector<Value> found;
    for (const Value& message : peer.received) {
      if (type_of(message) == type) found.push_back(message);
    }
    return found;
  }

  std::vector<std::unique_ptr<ScriptedRouter>> routers_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::string url_;
};

}  // namespace uvwamp::test
