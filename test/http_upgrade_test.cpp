#include "framing/http_upgrade.hpp"

#include <uvwamp/transport_error.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace uvwamp {
namespace {

// RFC 6455, section 1.3: the key of "the sample nonce" and the accept value it asks for.
constexpr char kSampleNonce[] = "the sample nonce";
constexpr char kSampleKey[] = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr char kSampleAccept[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

UpgradeRequest sample_request() {
  UpgradeRequest request;
  request.host = "router.example:8080";
  request.path = "/ws?realm=test";
  request.subprotocols = {"wamp.2.cbor", "wamp.2.msgpack", "wamp.2.json"};
  std::memcpy(request.key_nonce.data(), kSampleNonce, request.key_nonce.size());
  return request;
}

// A 101 response with `fields` as its header block.
std::string response_with(const std::string& fields) {
  return "HTTP/1.1 101 Switching Protocols\r\n" + fields + "\r\n";
}

const std::string kAcceptingResponse = response_with(
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "Sec-WebSocket-Protocol: wamp.2.json\r\n");

Result<std::size_t> feed_text(HttpUpgrade& upgrade, const std::string& text) {
  return upgrade.feed(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

// Feeds `response` in one read and returns the failure it must cause.
Error failure_for(const std::string& response) {
  HttpUpgrade upgrade(sample_request());
  auto consumed = feed_text(upgrade, response);
  EXPECT_FALSE(consumed.ok()) << response;
  EXPECT_FALSE(upgrade.accepted());
  return consumed.ok() ? Error{} : consumed.error();
}

void expect_accepted(const std::string& response, const std::string& subprotocol) {
  HttpUpgrade upgrade(sample_request());
  auto consumed = feed_text(upgrade, response);
  ASSERT_TRUE(consumed.ok()) << consumed.error().message;
  EXPECT_EQ(consumed.value(), response.size());
  EXPECT_TRUE(upgrade.accepted());
  EXPECT_EQ(upgrade.subprotocol(), subprotocol);
}

TEST(HttpUpgrade, AcceptValueOfRfc6455Example) {
  EXPECT_EQ(websocket_accept(kSampleKey), kSampleAccept);
}

TEST(HttpUpgrade, WritesTheRequest) {
  UpgradeRequest request = sample_request();
  request.extra_headers = {{"Origin", "http://app.example"}, {"X-Trace", "a\tb"}};
  HttpUpgrade upgrade(request);
  EXPECT_EQ(upgrade.request(),
            "GET /ws?realm=test HTTP/1.1\r\n"
            "Host: router.example:8080\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: wamp.2.cbor, wamp.2.msgpack, wamp.2.json\r\n"
            "Origin: http://app.example\r\n"
            "X-Trace: a\tb\r\n"
            "\r\n");
  EXPECT_FALSE(upgrade.accepted());
  EXPECT_EQ(upgrade.subprotocol(), "");
}

TEST(HttpUpgrade, RefusesRequestsItCannotWrite) {
  const auto rejects = [](void (*change)(UpgradeRequest&)) {
    UpgradeRequest request = sample_request();
    change(request);
    EXPECT_THROW(HttpUpgrade{request}, std::invalid_argument);
  };
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"X-Evil", "a\r\nHost: other"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"X-Evil", "a\nb"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"X-Evil", "a\rb"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"X-Evil\r\nHost", "x"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"Two Words", "x"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"", "x"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"sec-websocket-protocol", "x"}}; });
  rejects([](UpgradeRequest& r) { r.extra_headers = {{"HOST", "x"}}; });
  rejects([](UpgradeRequest& r) { r.host = ""; });
  rejects([](UpgradeRequest& r) { r.host = "a.example\r\nX: y"; });
  rejects([](UpgradeRequest& r) { r.path = "ws"; });
  rejects([](UpgradeRequest& r) { r.path = "/a b"; });
  rejects([](UpgradeRequest& r) { r.subprotocols = {}; });
  rejects([](UpgradeRequest& r) { r.subprotocols = {"wamp.2.json", "two words"}; });
}

TEST(HttpUpgrade, AcceptsAtEverySplitAndLeavesWhatFollows) {
  const std::string frames = "\x81\x02hi";
  const std::string input = kAcceptingResponse + frames;

  // One octet at a time: each octet of the head is consumed, the first frame octet is not.
  {
    HttpUpgrade upgrade(sample_request());
    std::size_t consumed_total = 0;
    for (std::size_t i = 0; i < input.size() && !upgrade.accepted(); ++i) {
      auto consumed = feed_text(upgrade, input.substr(i, 1));
      ASSERT_TRUE(consumed.ok()) << consumed.error().message;
      consumed_total += consumed.value();
    }
    EXPECT_TRUE(upgrade.accepted());
    EXPECT_EQ(consumed_total, kAcceptingResponse.size());
  }
  // Every two-way split, the second part always holding the frames.
  for (std::size_t split = 0; split <= kAcceptingResponse.size(); ++split) {
    HttpUpgrade upgrade(sample_request());
    auto first = feed_text(upgrade, input.substr(0, split));
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first.value(), split);
    auto second = feed_text(upgrade, input.substr(split));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(split + second.value(), kAcceptingResponse.size()) << "split " << split;
    EXPECT_TRUE(upgrade.accepted());
    EXPECT_EQ(upgrade.subprotocol(), "wamp.2.json");
    // Accepted: nothing more is the head's.
    auto after = feed_text(upgrade, frames);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after.value(), 0u);
  }
}

TEST(HttpUpgrade, IncompleteResponseKeepsWaiting) {
  HttpUpgrade upgrade(sample_request());
  const std::string head_without_end = kAcceptingResponse.substr(0, kAcceptingResponse.size() - 2);
  auto consumed = feed_text(upgrade, head_without_end);
  ASSERT_TRUE(consumed.ok());
  EXPECT_EQ(consumed.value(), head_without_end.size());
  EXPECT_FALSE(upgrade.accepted());
  consumed = feed_text(upgrade, "\r\n");
  ASSERT_TRUE(consumed.ok());
  EXPECT_TRUE(upgrade.accepted());
}

TEST(HttpUpgrade, HeaderNamesAndTokensIgnoreCase) {
  expect_accepted(response_with("UPGRADE: WebSocket\r\n"
                                "connection: UPGRADE\r\n"
                                "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                "SEC-WEBSOCKET-PROTOCOL: wamp.2.cbor\r\n"),
                  "wamp.2.cbor");
}

TEST(HttpUpgrade, ConnectionTokensInListsAndRepeatedFields) {
  const std::string rest =
      "Upgrade: websocket\r\n"
      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
      "Sec-WebSocket-Protocol: wamp.2.msgpack\r\n";
  expect_accepted(response_with("Connection: keep-alive, Upgrade\r\n" + rest), "wamp.2.msgpack");
  expect_accepted(response_with("Connection: Upgrade ,keep-alive,\r\n" + rest), "wamp.2.msgpack");
  expect_accepted(response_with("Connection: keep-alive\r\nConnection: upgrade\r\n" + rest),
                  "wamp.2.msgpack");
  // "Upgrade" must be a whole token, not part of one.
  const Error error = failure_for(response_with("Connection: keep-alive, Upgraded\r\n" + rest));
  EXPECT_EQ(error.code, transport_errc::bad_handshake);
  EXPECT_NE(error.message.find("Connection"), std::string::npos) << error.message;
}

TEST(HttpUpgrade, HeaderContinuationLines) {
  // obs-fold: a line starting with white space continues the field above it.
  expect_accepted(response_with("Upgrade: websocket\r\n"
                                "Connection: keep-alive,\r\n"
                                "\tUpgrade\r\n"
                                "Sec-WebSocket-Accept:\r\n"
                                "  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                "Sec-WebSocket-Protocol: wamp.2.json\r\n"),
                  "wamp.2.json");
  const Error error = failure_for(response_with(" Upgrade: websocket\r\n"));
  EXPECT_EQ(error.code, transport_errc::bad_handshake);
  EXPECT_NE(error.message.find("before any header"), std::string::npos) << error.message;
}

TEST(HttpUpgrade, BareLineFeedsAndSpacesAroundValues) {
  expect_accepted(
      "HTTP/1.1 101 Switching Protocols\n"
      "Upgrade:websocket\n"
      "Connection:   Upgrade   \n"
      "Sec-WebSocket-Accept: \ts3pPLMBiTxaQ9kYGzzhZRbK+xOo=\t\n"
      "Sec-WebSocket-Protocol: wamp.2.json\n"
      "\n",
      "wamp.2.json");
}

TEST(HttpUpgrade, RefusalQuotesTheStatusLine) {
  const Error error = failure_for(
      "HTTP/1.1 404 Not Found\r\n"
      "Content-Type: text/plain\r\n"
      "Content-Length: 9\r\n"
      "\r\n"
      "not here\n");
  EXPECT_EQ(error.code, transport_errc::handshake_refused);
  EXPECT_NE(error.message.find("HTTP/1.1 404 Not Found"), std::string::npos) << error.message;

  // A refusal is reported as soon as its head is complete, before any body arrives.
  HttpUpgrade upgrade(sample_request());
  auto consumed = feed_text(upgrade, "HTTP/1.0 426 Upgrade Required\r\nSec-WebSocket-Version: 13");
  ASSERT_TRUE(consumed.ok());
  consumed = feed_text(upgrade, "\r\n\r\n");
  ASSERT_FALSE(consumed.ok());
  EXPECT_EQ(consumed.error().code, transport_errc::handshake_refused);
  EXPECT_NE(consumed.error().message.find("426 Upgrade Required"), std::string::npos);
}

TEST(HttpUpgrade, FailureIsFinal) {
  HttpUpgrade upgrade(sample_request());
  auto first = feed_text(upgrade, "HTTP/1.1 500 Oops\r\n\r\n");
  ASSERT_FALSE(first.ok());
  auto again = feed_text(upgrade, kAcceptingResponse);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, first.error().code);
  EXPECT_EQ(again.error().message, first.error().message);
  EXPECT_FALSE(upgrade.accepted());
}

TEST(HttpUpgrade, BadHandshakes) {
  const std::string upgrade = "Upgrade: websocket\r\n";
  const std::string connection = "Connection: Upgrade\r\n";
  const std::string accept = "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n";
  const std::string protocol = "Sec-WebSocket-Protocol: wamp.2.json\r\n";
  const std::pair<std::string, const char*> cases[] = {
      {response_with(connection + accept + protocol), "Upgrade: websocket"},
      {response_with("Upgrade: h2c\r\n" + connection + accept + protocol), "Upgrade: websocket"},
      {response_with(upgrade + accept + protocol), "Connection: Upgrade"},
      {response_with(upgrade + connection + protocol), "0 Sec-WebSocket-Accept"},
      {response_with(upgrade + connection + accept + accept + protocol), "2 Sec-WebSocket-Accept"},
      {response_with(upgrade + connection + "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                     protocol),
       "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="},
      // The accept value is base64: case matters.
      {response_with(upgrade + connection +
                     "Sec-WebSocket-Accept: S3PPLMBITXAQ9KYGZZHZRBK+XOO=\r\n" + protocol),
       "Sec-WebSocket-Accept"},
      {response_with(upgrade + connection + accept), "router chose no WAMP subprotocol"},
      {response_with(upgrade + connection + accept + "Sec-WebSocket-Protocol: \r\n"),
       "router chose no WAMP subprotocol"},
      {response_with(upgrade + connection + accept + "Sec-WebSocket-Protocol: wamp.2.ubjson\r\n"),
       "wamp.2.ubjson"},
      {response_with(upgrade + connection + accept + "Sec-WebSocket-Protocol: WAMP.2.JSON\r\n"),
       "not offered"},
      {response_with(upgrade + connection + accept +
                     "Sec-WebSocket-Protocol: wamp.2.json, wamp.2.cbor\r\n"),
       "more than one subprotocol"},
      {response_with(upgrade + connection + accept + protocol + protocol),
       "more than one subprotocol"},
      {response_with(upgrade + connection + accept + protocol +
                     "Sec-WebSocket-Extensions: permessage-deflate\r\n"),
       "permessage-deflate"},
      {response_with(upgrade + connection + accept + protocol + "Sec-WebSocket-Extensions:\r\n"),
       "extensions"},
      {"ICY 200 OK\r\n\r\n", "not HTTP/1"},
      {"HTTP/1.1 1010 Odd\r\n\r\n", "not HTTP/1"},
      {"HTTP/1.1 10x Odd\r\n\r\n", "not HTTP/1"},
      {"\r\n", "no status line"},
      {response_with(upgrade + "Connection Upgrade\r\n"), "malformed header line"},
      {response_with(upgrade + "Connection : Upgrade\r\n"), "malformed header line"},
      {response_with(upgrade + ": Upgrade\r\n"), "malformed header line"},
      {response_with(upgrade + "X-Bell: \x07\r\n"), "control characters"},
      {response_with(upgrade + "X-Bare: a\rb\r\n"), "control characters"},
  };
  for (const auto& [response, fragment] : cases) {
    const Error error = failure_for(response);
    EXPECT_EQ(error.code, transport_errc::bad_handshake) << response;
    EXPECT_NE(error.message.find(fragment), std::string::npos)
        << "message \"" << error.message << "\" lacks \"" << fragment << "\"";
  }
}

TEST(HttpUpgrade, ResponseHeadIsLimitedTo16KiB) {
  // A padding field that brings the whole head to `head_size` octets.
  const auto padded_response = [](std::size_t head_size) {
    const std::string base = kAcceptingResponse;
    const std::string field_start = "X-Pad: ";
    const std::size_t padding = head_size - base.size() - field_start.size() - 2;
    return response_with(
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Protocol: wamp.2.json\r\n" +
        field_start + std::string(padding, 'p') + "\r\n");
  };
  const std::string at_limit = padded_response(HttpUpgrade::kMaxResponseHead);
  ASSERT_EQ(at_limit.size(), 16384u);
  expect_accepted(at_limit, "wamp.2.json");

  const std::string over_limit = padded_response(HttpUpgrade::kMaxResponseHead + 1);
  const Error error = failure_for(over_limit);
  EXPECT_EQ(error.code, transport_errc::bad_handshake);
  EXPECT_NE(error.message.find("16384"), std::string::npos) << error.message;

  // The limit is enforced while the head is still incomplete, one octet past it.
  HttpUpgrade upgrade(sample_request());
  const std::string endless =
      "HTTP/1.1 101 Switching Protocols\r\nX-Pad: " + std::string(20000, 'p');
  std::size_t fed = 0;
  Result<std::size_t> consumed = std::size_t{0};
  while (fed < endless.size()) {
    consumed = feed_text(upgrade, endless.substr(fed, 1000));
    if (!consumed) break;
    fed += 1000;
  }
  ASSERT_FALSE(consumed.ok());
  EXPECT_EQ(consumed.error().code, transport_errc::bad_handshake);
  EXPECT_EQ(fed, 16000u);  // the read that crosses 16384 fails
}

}  // namespace
}  // namespace uvwamp
