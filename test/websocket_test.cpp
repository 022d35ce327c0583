#include "framing/websocket.hpp"

#include <uvwamp/transport_error.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "util/hex.hpp"

namespace uvwamp {
namespace {

// RFC 6455: the key of "the sample nonce" (section 1.3) and the mask of the examples in
// section 5.7, which every frame we send uses here.
constexpr char kSampleNonce[] = "the sample nonce";
constexpr std::uint8_t kMask[] = {0x37, 0xfa, 0x21, 0x3d};

const std::string kRequest =
    "GET /ws HTTP/1.1\r\n"
    "Host: router.example:8080\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: wamp.2.cbor, wamp.2.msgpack, wamp.2.json\r\n"
    "\r\n";

std::string accepting_response(const std::string& subprotocol) {
  return "HTTP/1.1 101 Switching Protocols\r\n"
         "Upgrade: websocket\r\n"
         "Connection: Upgrade\r\n"
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
         "Sec-WebSocket-Protocol: " +
         subprotocol + "\r\n\r\n";
}

std::vector<std::uint8_t> bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

std::vector<std::uint8_t> from_hex(const std::string& text) {
  auto decoded = hex::decode(text);
  EXPECT_TRUE(decoded.has_value()) << text;
  return decoded.value_or(std::vector<std::uint8_t>());
}

std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::string without_spaces(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ' '), text.end());
  return text;
}

std::string hex_of(const std::vector<std::uint8_t>& data) {
  return hex::encode(data.data(), data.size());
}

WebSocketOptions test_options() {
  WebSocketOptions options;
  options.host = "router.example:8080";
  options.path = "/ws";
  options.subprotocols = {{"wamp.2.cbor", false}, {"wamp.2.msgpack", false}, {"wamp.2.json", true}};
  std::memcpy(options.key_nonce.data(), kSampleNonce, options.key_nonce.size());
  options.mask_source = [](std::uint8_t* buffer, std::size_t size) {
    for (std::size_t i = 0; i < size; ++i)
      buffer[i] = kMask[i % 4];
  };
  return options;
}

std::string describe(const FramingEvent& event) {
  switch (event.kind) {
    case FramingEvent::Kind::opened:
      return "opened";
    case FramingEvent::Kind::message:
      return "message " + hex_of(event.payload);
    case FramingEvent::Kind::closed:
      return "closed " + std::to_string(event.code) + " " + event.reason;
    case FramingEvent::Kind::pong:
      return "pong " + hex_of(event.payload);
  }
  return "?";
}

// What one run of an engine produced: its events, everything it wrote (the request included),
// and the error that ended it, if any.
struct Transcript {
  std::vector<std::string> events;
  std::string output_hex;
  std::optional<transport_errc> error;
  std::string error_message;
};

void drain(WebSocketFraming& engine, Transcript& transcript) {
  while (auto event = engine.next_event())
    transcript.events.push_back(describe(*event));
  std::vector<std::uint8_t> output;
  engine.take_output(output);
  transcript.output_hex += hex_of(output);
}

// Starts an engine and feeds it `input` as reads that start at each offset in `cuts`.
Transcript run(const WebSocketOptions& options, const std::vector<std::uint8_t>& input,
               const std::vector<std::size_t>& cuts) {
  WebSocketFraming engine(options);
  Transcript transcript;
  engine.start();
  drain(engine, transcript);
  std::size_t begin = 0;
  for (std::size_t i = 0; i <= cuts.size(); ++i) {
    const std::size_t end = i < cuts.size() ? cuts[i] : input.size();
    Status status = engine.feed(input.data() + begin, end - begin);
    drain(engine, transcript);
    if (!status) {
      transcript.error = static_cast<transport_errc>(status.error().code.value());
      transcript.error_message = status.error().message;
      EXPECT_EQ(status.error().code.category(), transport_category());
      // A failure is final: the same error again, and nothing more.
      Status again = engine.feed(input.data(), input.size());
      EXPECT_FALSE(again.ok());
      if (!again.ok()) {
        EXPECT_EQ(again.error().message, status.error().message);
      }
      EXPECT_FALSE(engine.next_event().has_value());
      EXPECT_FALSE(engine.want_write());
      const std::uint8_t message[] = {'x'};
      EXPECT_FALSE(engine.send_message(message, 1).ok());
      break;
    }
    begin = end;
  }
  return transcript;
}

void expect_same(const Transcript& actual, const Transcript& expected, const std::string& how) {
  EXPECT_EQ(actual.events, expected.events) << how;
  EXPECT_EQ(actual.output_hex, expected.output_hex) << how;
  EXPECT_EQ(actual.error, expected.error) << how << ": " << actual.error_message;
  EXPECT_EQ(actual.error_message, expected.error_message) << how;
}

// Feeds `input` in one read, one octet per read, and split in two at every offset; all must
// give `expected`. Returns the one-read transcript.
Transcript expect_at_every_split(const WebSocketOptions& options,
                                 const std::vector<std::uint8_t>& input,
                                 const Transcript& expected) {
  const Transcript whole = run(options, input, {});
  expect_same(whole, expected, "one read");
  std::vector<std::size_t> every_octet;
  for (std::size_t i = 1; i < input.size(); ++i)
    every_octet.push_back(i);
  expect_same(run(options, input, every_octet), expected, "one octet per read");
  for (std::size_t split = 1; split < input.size(); ++split)
    expect_same(run(options, input, {split}), expected, "split at " + std::to_string(split));
  return whole;
}

// A JSON session: the router accepts wamp.2.json, sends messages in text frames and closes.
TEST(WebSocketFraming, TextSessionAtEverySplit) {
  const auto input = concat({
      bytes(accepting_response("wamp.2.json")),
      from_hex("81 05 48656c6c6f"),   // text "Hello" (RFC 6455 5.7), one frame
      from_hex("01 03 5b312c"),       // text "[1," not FIN
      from_hex("89 05 48656c6c6f"),   // PING "Hello" between the fragments
      from_hex("00 02 322c"),         // continuation "2," not FIN
      from_hex("80 02 335d"),         // continuation "3]" FIN
      from_hex("88 05 03e8 627965"),  // close 1000 "bye"
  });
  Transcript expected;
  expected.events = {"opened", "message 48656c6c6f", "message 5b312c322c335d", "closed 1000 bye"};
  expected.output_hex = hex_of(bytes(kRequest)) +
                        without_spaces(
                            "8a85 37fa213d 7f9f4d5158"    // PONG "Hello", masked (RFC 6455 5.7)
                            "8885 37fa213d 3412434452");  // our close 1000 "bye", masked
  expect_at_every_split(test_options(), input, expected);

  WebSocketFraming engine(test_options());
  engine.start();
  EXPECT_EQ(engine.subprotocol(), "");
  ASSERT_TRUE(engine.feed(input.data(), input.size()).ok());
  EXPECT_EQ(engine.subprotocol(), "wamp.2.json");
}

// A CBOR session: binary frames, a 16-bit length, and a close frame without a status.
TEST(WebSocketFraming, BinarySessionAtEverySplit) {
  std::vector<std::uint8_t> long_payload(300);
  for (std::size_t i = 0; i < long_payload.size(); ++i)
    long_payload[i] = static_cast<std::uint8_t>(i);
  const auto input = concat({
      bytes(accepting_response("wamp.2.cbor")),
      from_hex("82 03 830102"),            // binary, one frame
      from_hex("8a 08 0000000000000001"),  // PONG 1
      from_hex("82 7e 012c"),              // binary, 300 octets in the 16-bit length form
      long_payload,
      from_hex("02 01 83"),    // binary 83 not FIN
      from_hex("89 00"),       // empty PING
      from_hex("8a 00"),       // empty PONG
      from_hex("00 01 04"),    // continuation 04 not FIN
      from_hex("80 02 0506"),  // continuation 05 06 FIN
      from_hex("88 00"),       // close without status
  });
  Transcript expected;
  expected.events = {
      "opened", "message 830102",   "pong 0000000000000001", "message " + hex_of(long_payload),
      "pong ",  "message 83040506", "closed 1005 "};
  expected.output_hex = hex_of(bytes(kRequest)) + without_spaces(
                                                      "8a80 37fa213d"    // empty PONG
                                                      "8880 37fa213d");  // our empty close
  expect_at_every_split(test_options(), input, expected);
}

// wslay checks a close reason's UTF-8 per chunk of input: the engine hands it close frames whole,
// so a reason with a two-octet character is accepted at every split.
TEST(WebSocketFraming, CloseReasonAtEverySplit) {
  const auto input = concat({
      bytes(accepting_response("wamp.2.json")),
      from_hex("81 02 6869"),                 // text "hi"
      from_hex("88 08 03e8 c3a7 6120 7661"),  // close 1000 "\u00e7a va"
  });
  Transcript expected;
  expected.events = {"opened", "message 6869",
                     "closed 1000 \xc3\xa7"
                     "a va"};
  // Our echo: 03e8 c3a7 6120 7661 masked with 37fa213d.
  expected.output_hex = hex_of(bytes(kRequest)) + "888837fa213d3412e29a56da575c";
  expect_at_every_split(test_options(), input, expected);
}

TEST(WebSocketFraming, WritesTheUpgradeRequestOnStart) {
  WebSocketFraming engine(test_options());
  EXPECT_FALSE(engine.want_write());
  engine.start();
  EXPECT_TRUE(engine.want_write());
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(engine.take_output(output));
  EXPECT_EQ(std::string(output.begin(), output.end()), kRequest);
  EXPECT_FALSE(engine.want_write());
  EXPECT_FALSE(engine.take_output(output));
  EXPECT_FALSE(engine.next_event().has_value());
}

// An engine that has read the router's acceptance of `subprotocol`, output taken.
struct OpenEngine {
  explicit OpenEngine(const std::string& subprotocol, WebSocketOptions options = test_options())
      : engine(options) {
    engine.start();
    const auto response = bytes(accepting_response(subprotocol));
    EXPECT_TRUE(engine.feed(response.data(), response.size()).ok());
    auto event = engine.next_event();
    EXPECT_TRUE(event && event->kind == FramingEvent::Kind::opened);
    engine.take_output(ignored);
  }
  std::string output_hex() {
    std::vector<std::uint8_t> output;
    engine.take_output(output);
    return hex_of(output);
  }
  Status feed_hex(const std::string& text) {
    const auto data = from_hex(text);
    return engine.feed(data.data(), data.size());
  }
  WebSocketFraming engine;
  std::vector<std::uint8_t> ignored;
};

TEST(WebSocketFraming, SendsMaskedTextFramesForTextSubprotocols) {
  OpenEngine open("wamp.2.json");
  const auto hello = bytes("Hello");
  ASSERT_TRUE(open.engine.send_message(hello.data(), hello.size()).ok());
  EXPECT_TRUE(open.engine.want_write());
  // RFC 6455, section 5.7: a single-frame masked text message.
  EXPECT_EQ(open.output_hex(), "818537fa213d7f9f4d5158");
}

TEST(WebSocketFraming, SendsMaskedBinaryFramesInEachLengthForm) {
  int mask_calls = 0;
  WebSocketOptions options = test_options();
  options.mask_source = [&mask_calls](std::uint8_t* buffer, std::size_t size) {
    ++mask_calls;
    ASSERT_EQ(size, 4u);
    std::memcpy(buffer, kMask, 4);
  };
  OpenEngine open("wamp.2.msgpack", options);
  const auto unmask = [](const std::vector<std::uint8_t>& frame, std::size_t header) {
    std::vector<std::uint8_t> payload(frame.begin() + header, frame.end());
    for (std::size_t i = 0; i < payload.size(); ++i)
      payload[i] ^= kMask[i % 4];
    return payload;
  };
  const std::pair<std::size_t, const char*> cases[] = {
      {125, "82fd37fa213d"},                    // 7-bit length
      {126, "82fe007e37fa213d"},                // 16-bit length
      {65535, "82feffff37fa213d"},              // largest 16-bit length
      {65536, "82ff000000000001000037fa213d"},  // 64-bit length
  };
  for (const auto& [size, header_hex] : cases) {
    std::vector<std::uint8_t> message(size);
    for (std::size_t i = 0; i < size; ++i)
      message[i] = static_cast<std::uint8_t>(i * 7);
    ASSERT_TRUE(open.engine.send_message(message.data(), message.size()).ok());
    std::vector<std::uint8_t> frame;
    open.engine.take_output(frame);
    const std::size_t header_size = std::strlen(header_hex) / 2;
    ASSERT_GE(frame.size(), header_size);
    EXPECT_EQ(hex::encode(frame.data(), header_size), header_hex) << size;
    EXPECT_EQ(unmask(frame, header_size), message) << size;
  }
  EXPECT_EQ(mask_calls, 4);
}

TEST(WebSocketFraming, SendsMaskedPings) {
  OpenEngine open("wamp.2.cbor");
  const auto hello = bytes("Hello");
  ASSERT_TRUE(open.engine.send_ping(hello.data(), hello.size()).ok());
  ASSERT_TRUE(open.engine.send_ping(nullptr, 0).ok());
  EXPECT_FALSE(open.engine.next_event().has_value());
  // RFC 6455, section 5.7: the ping of "Hello", masked as a client must, then an empty one.
  EXPECT_EQ(open.output_hex(), without_spaces("8985 37fa213d 7f9f4d5158"
                                              "8980 37fa213d"));

  // A control frame carries at most 125 octets.
  const std::vector<std::uint8_t> payload(126, 0x55);
  const Status too_large = open.engine.send_ping(payload.data(), payload.size());
  ASSERT_FALSE(too_large.ok());
  EXPECT_EQ(too_large.error().code, transport_errc::message_too_large);
  EXPECT_EQ(too_large.error().message,
            "WebSocket: a ping of 126 octets exceeds the limit of 125 octets of a control frame");
  EXPECT_FALSE(open.engine.want_write());
  ASSERT_TRUE(open.engine.send_ping(payload.data(), 125).ok());
  EXPECT_EQ(open.output_hex().substr(0, 4), "89fd");
}

TEST(WebSocketFraming, PingBeforeOpenAndAfterCloseFails) {
  const std::uint8_t payload[] = {1, 2};
  WebSocketFraming engine(test_options());
  engine.start();
  Status status = engine.send_ping(payload, sizeof payload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);

  OpenEngine closed_by_us("wamp.2.json");
  closed_by_us.engine.close(1000, "");
  closed_by_us.output_hex();
  status = closed_by_us.engine.send_ping(payload, sizeof payload);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);
  EXPECT_FALSE(closed_by_us.engine.want_write());
}

TEST(WebSocketFraming, PongsAfterOurCloseAreDropped) {
  OpenEngine open("wamp.2.json");
  open.engine.close(1000, "");
  open.output_hex();
  ASSERT_TRUE(open.feed_hex("8a 02 0102  88 02 03e8").ok());
  auto event = open.engine.next_event();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(describe(*event), "closed 1000 ");
  EXPECT_FALSE(open.engine.next_event().has_value());
}

TEST(WebSocketFraming, SendBeforeOpenAndAfterCloseFails) {
  const auto hello = bytes("Hello");
  WebSocketFraming engine(test_options());
  Status status = engine.send_message(hello.data(), hello.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);
  engine.start();
  status = engine.send_message(hello.data(), hello.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);

  OpenEngine closed_by_router("wamp.2.json");
  ASSERT_TRUE(closed_by_router.feed_hex("88 02 03e8").ok());
  status = closed_by_router.engine.send_message(hello.data(), hello.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);

  OpenEngine closed_by_us("wamp.2.json");
  closed_by_us.engine.close(1000, "");
  status = closed_by_us.engine.send_message(hello.data(), hello.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);
}

TEST(WebSocketFraming, CloseSendsOurFrameAndWaitsForTheRouters) {
  OpenEngine open("wamp.2.json");
  open.engine.close(1000, "done");
  // close 1000 "done": 03e8 646f6e65 masked with 37fa213d.
  EXPECT_EQ(open.output_hex(), "888637fa213d34124552599f");
  open.engine.close(1001, "again");  // a second close does nothing
  EXPECT_FALSE(open.engine.want_write());

  // A message that crosses our close is dropped; the router's close ends the session and is not
  // answered again.
  ASSERT_TRUE(open.feed_hex("81 05 48656c6c6f  88 04 03e9 6f6b").ok());
  auto event = open.engine.next_event();
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(describe(*event), "closed 1001 ok");
  EXPECT_FALSE(open.engine.next_event().has_value());
  EXPECT_FALSE(open.engine.want_write());
  // Finished: later input is ignored.
  EXPECT_TRUE(open.feed_hex("81 05 48656c6c6f").ok());
  EXPECT_FALSE(open.engine.next_event().has_value());
}

TEST(WebSocketFraming, CloseKeepsStatusAndReasonOnTheWire) {
  // A reason over 123 octets is cut at a character boundary: 61 two-octet characters fit.
  std::string long_reason;
  for (int i = 0; i < 100; ++i)
    long_reason += "\xc3\xa9";  // U+00E9
  OpenEngine long_close("wamp.2.json");
  long_close.engine.close(4000, long_reason);
  std::vector<std::uint8_t> frame;
  long_close.engine.take_output(frame);
  ASSERT_EQ(frame.size(), 2u + 4u + 2u + 122u);
  EXPECT_EQ(hex::encode(frame.data(), 6), "88fc37fa213d");  // 124 octets of payload

  // Codes that may not be sent give a close frame without status or reason.
  OpenEngine reserved_code("wamp.2.json");
  reserved_code.engine.close(1005, "ignored");
  EXPECT_EQ(reserved_code.output_hex(), "888037fa213d");

  // A reason that is not UTF-8 is dropped; the code stays: 03e8 masked is 3412.
  OpenEngine bad_reason("wamp.2.json");
  bad_reason.engine.close(1000, "\xff");
  EXPECT_EQ(bad_reason.output_hex(), "888237fa213d3412");
}

TEST(WebSocketFraming, CloseBeforeTheUpgradeSendsNothing) {
  WebSocketFraming engine(test_options());
  engine.start();
  std::vector<std::uint8_t> request;
  engine.take_output(request);
  engine.close(1000, "bye");
  EXPECT_FALSE(engine.want_write());
  const auto response = bytes(accepting_response("wamp.2.json"));
  EXPECT_TRUE(engine.feed(response.data(), response.size()).ok());
  EXPECT_FALSE(engine.next_event().has_value());
}

TEST(WebSocketFraming, FeedBeforeStartFails) {
  WebSocketFraming engine(test_options());
  const auto response = bytes(accepting_response("wamp.2.json"));
  Status status = engine.feed(response.data(), response.size());
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, transport_errc::not_open);
}

// The error `input` (after the request) must end every split of the input with, and its
// message must hold `fragment`; `close_hex` is the close frame that fails the connection.
void expect_failure(const std::vector<std::uint8_t>& input, transport_errc code,
                    const std::string& fragment, const std::vector<std::string>& events,
                    const std::string& close_hex, WebSocketOptions options = test_options()) {
  const Transcript whole = run(options, input, {});
  ASSERT_TRUE(whole.error.has_value()) << fragment;
  EXPECT_EQ(*whole.error, code) << whole.error_message;
  EXPECT_NE(whole.error_message.find(fragment), std::string::npos)
      << "\"" << whole.error_message << "\" lacks \"" << fragment << "\"";
  Transcript expected = whole;
  expected.events = events;
  expected.output_hex = hex_of(bytes(kRequest)) + without_spaces(close_hex);
  expect_at_every_split(options, input, expected);
}

TEST(WebSocketFraming, RefusedUpgrade) {
  expect_failure(bytes("HTTP/1.1 404 Not Found\r\n"
                       "Content-Length: 10\r\n"
                       "\r\n"
                       "not found\n"),
                 transport_errc::handshake_refused, "HTTP/1.1 404 Not Found", {}, "");
}

TEST(WebSocketFraming, BadHandshakes) {
  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n";
  const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  const std::string json = "Sec-WebSocket-Protocol: wamp.2.json\r\n";
  expect_failure(bytes(head + "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n" + json + "\r\n"),
                 transport_errc::bad_handshake, "Sec-WebSocket-Accept", {}, "");
  expect_failure(bytes(head + accept + "\r\n"), transport_errc::bad_handshake,
                 "router chose no WAMP subprotocol", {}, "");
  expect_failure(bytes(head + accept + "Sec-WebSocket-Protocol: wamp.2.flatbuffers\r\n\r\n"),
                 transport_errc::bad_handshake, "wamp.2.flatbuffers", {}, "");
  expect_failure(
      bytes(head + accept + json + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"),
      transport_errc::bad_handshake, "permessage-deflate", {}, "");
  expect_failure(bytes(head + "X-Pad: " + std::string(17000, 'p') + "\r\n\r\n"),
                 transport_errc::bad_handshake, "16384", {}, "");
}

// Frames after an accepted wamp.2.json upgrade.
std::vector<std::uint8_t> json_session(const std::string& frames_hex) {
  return concat({bytes(accepting_response("wamp.2.json")), from_hex(frames_hex)});
}

TEST(WebSocketFraming, MaskedFrameFromTheRouter) {
  // RFC 6455, section 5.1: a client must fail the connection on a masked frame. Our close 1002
  // is 03ea, masked 3410. The message before the bad frame is still delivered.
  expect_failure(json_session("81 02 6869  81 85 37fa213d 7f9f4d5158"),
                 transport_errc::protocol_violation, "masked", {"opened", "message 6869"},
                 "8882 37fa213d 3410");
}

TEST(WebSocketFraming, MessageOverTheLimit) {
  WebSocketOptions options = test_options();
  options.max_message_size = 5;
  // Exactly the limit passes; one octet more, in one frame or over fragments, fails with 1009
  // (03f1, masked 340b).
  expect_failure(json_session("81 05 48656c6c6f  81 06 48656c6c6f21"),
                 transport_errc::message_too_large, "limit of 5 octets",
                 {"opened", "message 48656c6c6f"}, "8882 37fa213d 340b", options);
  expect_failure(json_session("01 03 48656c  80 03 6c6f21"), transport_errc::message_too_large,
                 "limit of 5 octets", {"opened"}, "8882 37fa213d 340b", options);
}

TEST(WebSocketFraming, TextThatIsNotUtf8) {
  // A character split over two fragments is fine; a broken one fails with 1007 (03ef, masked
  // 3415).
  expect_failure(json_session("01 01 c3  80 01 a9  81 02 c328"), transport_errc::protocol_violation,
                 "not UTF-8", {"opened", "message c3a9"}, "8882 37fa213d 3415");
  // The same holds for the reason of a close frame.
  expect_failure(json_session("88 03 03e8 ff"), transport_errc::protocol_violation, "not UTF-8",
                 {"opened"}, "8882 37fa213d 3415");
}

TEST(WebSocketFraming, MessageOfTheWrongType) {
  // wamp.2.json carries text only and wamp.2.cbor binary only: 1003 (03eb, masked 3411).
  expect_failure(json_session("82 02 0102"), transport_errc::protocol_violation,
                 "a binary message on wamp.2.json", {"opened"}, "8882 37fa213d 3411");
  expect_failure(concat({bytes(accepting_response("wamp.2.cbor")), from_hex("81 02 6869")}),
                 transport_errc::protocol_violation, "a text message on wamp.2.cbor", {"opened"},
                 "8882 37fa213d 3411");
}

TEST(WebSocketFraming, FramesThatBreakRfc6455) {
  const char* const bad_frames[] = {
      "c1 02 6869",           // RSV1 set without an extension
      "83 00",                // reserved opcode 3
      "80 02 6869",           // a continuation with no message to continue
      "01 01 68  81 01 69",   // a new message inside a fragmented one
      "88 02 03e7",           // close status 999
      "88 02 03ed",           // close status 1005, which may not be sent
      "88 82 37fa213d 3412",  // a masked close frame
  };
  for (const char* frames : bad_frames) {
    SCOPED_TRACE(frames);
    // Our close 1002: 03ea, masked 3410.
    expect_failure(json_session(frames), transport_errc::protocol_violation, "RFC 6455", {"opened"},
                   "8882 37fa213d 3410");
  }
  const char* const malformed_headers[] = {
      "89 7e 007e",              // a PING of 126 octets
      "88 7e 007e",              // a close frame of 126 octets
      "09 00",                   // a fragmented PING
      "81 7e 0005",              // a 16-bit length that fits in 7 bits
      "81 7f 8000000000000000",  // a 64-bit length with the top bit set
  };
  for (const char* frames : malformed_headers) {
    SCOPED_TRACE(frames);
    // wslay sends an empty close frame for these.
    expect_failure(json_session(frames), transport_errc::protocol_violation,
                   "malformed frame header", {"opened"}, "8880 37fa213d");
  }
}

std::vector<std::string> cut_hex(detail::CloseFrameGate& gate, const std::string& text) {
  const auto data = from_hex(text);
  std::vector<detail::CloseFrameGate::Piece> pieces;
  gate.cut(data.data(), data.size(), pieces);
  std::vector<std::string> out;
  for (const auto& piece : pieces)
    out.push_back(hex::encode(piece.data, piece.size));
  return out;
}

using Pieces = std::vector<std::string>;

TEST(CloseFrameGate, HoldsACloseFrameUntilItIsWhole) {
  detail::CloseFrameGate gate;
  EXPECT_EQ(cut_hex(gate, "81 02 6869  88 05 03e8"), (Pieces{"81026869"}));
  EXPECT_EQ(cut_hex(gate, "62"), (Pieces{}));
  EXPECT_EQ(cut_hex(gate, "7965  81 01 41"), (Pieces{"880503e8627965", "810141"}));
  // wslay reads nothing after a close frame: the rest passes unexamined.
  EXPECT_EQ(cut_hex(gate, "88 05"), (Pieces{"8805"}));
}

TEST(CloseFrameGate, FollowsLengthsAndMasksOfOtherFrames) {
  detail::CloseFrameGate gate;
  // Payload octets that look like a close frame's first octet are payload.
  const std::string payload_126 = hex_of(std::vector<std::uint8_t>(126, 0x88));
  EXPECT_EQ(cut_hex(gate, "82 7e 007e" + payload_126.substr(0, 100)),
            (Pieces{"827e007e" + payload_126.substr(0, 100)}));
  EXPECT_EQ(cut_hex(gate, payload_126.substr(100)), (Pieces{payload_126.substr(100)}));
  const std::string payload_65536 = hex_of(std::vector<std::uint8_t>(65536, 0x88));
  EXPECT_EQ(cut_hex(gate, "82 7f 0000000000010000" + payload_65536),
            (Pieces{"827f0000000000010000" + payload_65536}));
  EXPECT_EQ(cut_hex(gate, "82 82 01020304 8888  89 00  88 82 01020304 0203"),
            (Pieces{"82820102030488888900", "8882010203040203"}));
}

TEST(CloseFrameGate, PassesACloseFrameThatAnnouncesTooMuch) {
  detail::CloseFrameGate gate;
  EXPECT_EQ(cut_hex(gate, "81 01 41  88 7e 00"), (Pieces{"810141", "887e", "00"}));
}

TEST(WebSocketFraming, RefusesOptionsThatCannotWork) {
  WebSocketOptions no_mask = test_options();
  no_mask.mask_source = nullptr;
  EXPECT_THROW(WebSocketFraming{no_mask}, std::invalid_argument);
  WebSocketOptions no_limit = test_options();
  no_limit.max_message_size = 0;
  EXPECT_THROW(WebSocketFraming{no_limit}, std::invalid_argument);
  WebSocketOptions header_injection = test_options();
  header_injection.extra_headers = {{"Cookie", "a=b\r\nX-Injected: 1"}};
  EXPECT_THROW(WebSocketFraming{header_injection}, std::invalid_argument);
  WebSocketOptions no_subprotocol = test_options();
  no_subprotocol.subprotocols.clear();
  EXPECT_THROW(WebSocketFraming{no_subprotocol}, std::invalid_argument);
}

}  // namespace
}  // namespace uvwamp
