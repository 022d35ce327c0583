#include "transport/endpoint.hpp"

#include <gtest/gtest.h>
#include <uvwamp/transport_error.hpp>

#include <string>

namespace uvwamp {
namespace {

Endpoint parsed(const std::string& url) {
  auto endpoint = parse_endpoint(url);
  EXPECT_TRUE(endpoint.ok()) << url << ": " << endpoint.error().message;
  return endpoint.ok() ? endpoint.value() : Endpoint{};
}

// The message of the error parse_endpoint gives for `url`; it must be an invalid_url.
std::string refusal(const std::string& url) {
  auto endpoint = parse_endpoint(url);
  if (endpoint.ok()) {
    ADD_FAILURE() << url << " was accepted";
    return "";
  }
  EXPECT_EQ(endpoint.error().code, make_error_code(transport_errc::invalid_url)) << url;
  EXPECT_NE(endpoint.error().message.find(url), std::string::npos)
      << "the message should quote the URL: " << endpoint.error().message;
  return endpoint.error().message;
}

#define EXPECT_REFUSED(url, words) EXPECT_NE(refusal(url).find(words), std::string::npos) << url

TEST(Endpoint, WebSocketDefaults) {
  const Endpoint endpoint = parsed("ws://example.com");
  EXPECT_EQ(endpoint.protocol, Endpoint::Protocol::websocket);
  EXPECT_FALSE(endpoint.tls);
  EXPECT_EQ(endpoint.host, "example.com");
  EXPECT_EQ(endpoint.port, 80);
  EXPECT_FALSE(endpoint.is_unix());
  EXPECT_EQ(endpoint.http_host, "example.com");
  EXPECT_EQ(endpoint.http_path, "/");
}

TEST(Endpoint, SecureWebSocketDefaultsToPort443) {
  const Endpoint endpoint = parsed("wss://router.example/ws");
  EXPECT_TRUE(endpoint.tls);
  EXPECT_EQ(endpoint.port, 443);
  EXPECT_EQ(endpoint.http_host, "router.example");
  EXPECT_EQ(endpoint.http_path, "/ws");
}

TEST(Endpoint, HostHeaderNamesOnlyAPortThatIsNotTheDefault) {
  EXPECT_EQ(parsed("ws://h:8080/ws").http_host, "h:8080");
  EXPECT_EQ(parsed("ws://h:80/ws").http_host, "h");
  EXPECT_EQ(parsed("wss://h:80/ws").http_host, "h:80");
  EXPECT_EQ(parsed("wss://h:443/ws").http_host, "h");
}

TEST(Endpoint, PathAndQueryFormTheResourceName) {
  EXPECT_EQ(parsed("ws://h/a/b?x=1&y=%20").http_path, "/a/b?x=1&y=%20");
  EXPECT_EQ(parsed("ws://h:9000?token=abc").http_path, "/?token=abc");
  EXPECT_EQ(parsed("ws://h:9000?token=abc").port, 9000);
  EXPECT_EQ(parsed("ws://h/").http_path, "/");
}

TEST(Endpoint, EmptyPortMeansTheDefault) {
  EXPECT_EQ(parsed("ws://h:/ws").port, 80);
}

TEST(Endpoint, RawSocket) {
  const Endpoint plain = parsed("rs://127.0.0.1:8080");
  EXPECT_EQ(plain.protocol, Endpoint::Protocol::rawsocket);
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.host, "127.0.0.1");
  EXPECT_EQ(plain.port, 8080);
  EXPECT_TRUE(plain.http_host.empty());

  const Endpoint secure = parsed("rss://localhost:65535");
  EXPECT_EQ(secure.protocol, Endpoint::Protocol::rawsocket);
  EXPECT_TRUE(secure.tls);
  EXPECT_EQ(secure.port, 65535);
}

TEST(Endpoint, SchemesAreCaseInsensitive) {
  EXPECT_EQ(parsed("WS://h").protocol, Endpoint::Protocol::websocket);
  EXPECT_TRUE(parsed("RsS://h:1").tls);
}

TEST(Endpoint, IPv6LiteralsInBrackets) {
  const Endpoint endpoint = parsed("ws://[::1]:8080/ws");
  EXPECT_EQ(endpoint.host, "::1");
  EXPECT_EQ(endpoint.port, 8080);
  EXPECT_EQ(endpoint.http_host, "[::1]:8080");

  EXPECT_EQ(parsed("wss://[2001:db8::7]").http_host, "[2001:db8::7]");
  EXPECT_EQ(parsed("rs://[fe80::1]:9").host, "fe80::1");
}

TEST(Endpoint, UnixSocketsTheAutobahnWay) {
  const Endpoint rawsocket = parsed("rs://unix:/run/router/rawsocket.sock");
  EXPECT_EQ(rawsocket.protocol, Endpoint::Protocol::rawsocket);
  EXPECT_TRUE(rawsocket.is_unix());
  EXPECT_EQ(rawsocket.unix_path, "/run/router/rawsocket.sock");
  EXPECT_TRUE(rawsocket.host.empty());
  EXPECT_EQ(rawsocket.port, 0);

  const Endpoint websocket = parsed("ws://unix:/tmp/ws.sock");
  EXPECT_EQ(websocket.protocol, Endpoint::Protocol::websocket);
  EXPECT_EQ(websocket.unix_path, "/tmp/ws.sock");
  EXPECT_EQ(websocket.http_host, "localhost");
  EXPECT_EQ(websocket.http_path, "/");

  // The path is taken as written: relative, with colons or spaces.
  EXPECT_EQ(parsed("rs://unix:router.sock").unix_path, "router.sock");
  EXPECT_EQ(parsed("rs://UNIX:/a:b c").unix_path, "/a:b c");
}

TEST(Endpoint, RefusesUnknownSchemes) {
  EXPECT_REFUSED("http://h/ws", "unknown scheme 'http'");
  EXPECT_REFUSED("tcp://h:1", "expected ws, wss, rs or rss");
  EXPECT_REFUSED("h:8080", "no scheme");
  EXPECT_REFUSED("", "empty");
}

TEST(Endpoint, PointsPlusUnixSchemesAtTheAutobahnForm) {
  EXPECT_REFUSED("ws+unix:///tmp/x.sock", "ws://unix:/path/to.sock");
  EXPECT_REFUSED("rs+unix:///tmp/x.sock", "rs://unix:/path/to.sock");
}

TEST(Endpoint, RefusesMissingHost) {
  EXPECT_REFUSED("ws://", "host is missing");
  EXPECT_REFUSED("ws:///ws", "host is missing");
  EXPECT_REFUSED("rs://:8080", "host is missing");
  EXPECT_REFUSED("ws://[]:80", "not an IPv6 address");
}

TEST(Endpoint, RefusesBadPorts) {
  EXPECT_REFUSED("ws://h:http/ws", "port 'http' is not a number");
  EXPECT_REFUSED("ws://h:-1", "is not a number");
  EXPECT_REFUSED("ws://h:0", "out of the range 1..65535");
  EXPECT_REFUSED("ws://h:65536", "out of the range 1..65535");
  EXPECT_REFUSED("rs://h:99999999999999999999999", "out of the range");
  EXPECT_REFUSED("rs://h", "needs a port");
  EXPECT_REFUSED("rss://h:", "needs a port");
}

TEST(Endpoint, RefusesWhatARawSocketURLCannotHave) {
  EXPECT_REFUSED("rs://h:1/ws", "has no path");
  EXPECT_REFUSED("rs://h:1/", "has no path");
  EXPECT_REFUSED("rs://h:1?a=b", "has no query");
  EXPECT_REFUSED("rs://unix:/tmp/x.sock?a=b", "has no query");
}

TEST(Endpoint, RefusesFragments) {
  EXPECT_REFUSED("ws://h/ws#top", "fragment");
  EXPECT_REFUSED("rs://h:1#x", "fragment");
}

TEST(Endpoint, RefusesBadHosts) {
  EXPECT_REFUSED("ws://user:pw@h/ws", "user information");
  EXPECT_REFUSED("ws://::1/ws", "in brackets");
  EXPECT_REFUSED("ws://[::1/ws", "no ']'");
  EXPECT_REFUSED("ws://[::1]x/ws", "followed by ':port'");
  EXPECT_REFUSED("ws://[not-v6]/", "not an IPv6 address");
  EXPECT_REFUSED("ws://[fe80::1%25eth0]/", "not an IPv6 address");
  EXPECT_REFUSED("ws://ex ample/", "may not contain byte 0x20");
  EXPECT_REFUSED("ws://ex%41mple/", "may not contain '%'");
}

TEST(Endpoint, RefusesPathsThatAreNotPercentEncoded) {
  EXPECT_REFUSED("ws://h/a b", "percent-encode");
  EXPECT_REFUSED("ws://h/caf\xc3\xa9", "byte 0xc3");
  EXPECT_REFUSED(std::string("ws://h/a\r\nX-Evil: 1"), "byte 0x0d");
}

TEST(Endpoint, RefusesIncompleteUnixSockets) {
  EXPECT_REFUSED("rs://unix:", "path after 'unix:' is missing");
  EXPECT_REFUSED("rss://unix:/tmp/x.sock", "TLS over a Unix socket");
  EXPECT_REFUSED("wss://unix:/tmp/x.sock", "TLS over a Unix socket");
}

}  // namespace
}  // namespace uvwamp
