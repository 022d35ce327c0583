// Endpoint: where a router listens and how to speak to it, parsed from a URL.
//
//   ws://host[:port][/path][?query]   WebSocket over TCP; port 80, path "/" by default
//   wss://host[:port][/path][?query]  WebSocket over TLS; port 443 by default
//   rs://host:port                    RawSocket over TCP; the port is required
//   rss://host:port                   RawSocket over TLS; the port is required
//   ws://unix:/path/to.sock           WebSocket over a Unix socket
//   rs://unix:/path/to.sock           RawSocket over a Unix socket
//
// The Unix socket form is autobahn-python's (autobahn/websocket/util.py and rawsocket/util.py,
// parse_url): the host `unix`, then after its colon the socket's path, taken literally. So a
// host that is really named "unix" cannot be reached by name with a port. Over a Unix socket
// the WebSocket upgrade asks for host "localhost" and path "/"; an Endpoint filled in by hand
// may ask for others. TLS over a Unix socket is not offered: no router we test with serves it.
//
// Where uvwamp is stricter than autobahn: RawSocket has no well-known port, so rs:// and rss://
// need one (autobahn falls back to 80 and 443); and a host is a DNS name (letters, digits, '-',
// '.', '_'), an IPv4 address or an IPv6 address in brackets -- no user information, no percent-
// encoding, no IPv6 zone. Scheme names are case-insensitive. A fragment is never allowed, and a
// RawSocket URL has neither path nor query.
#pragma once

#include <uvwamp/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace uvwamp {

struct Endpoint {
  enum class Protocol { websocket, rawsocket };

  Protocol protocol = Protocol::websocket;
  bool tls = false;

  // Over TCP: a DNS name or an IP address (an IPv6 address without its brackets), and a port.
  std::string host;
  std::uint16_t port = 0;

  // Over a Unix socket: the socket's path. Non-empty exactly when the endpoint is a Unix socket.
  std::string unix_path;

  // WebSocket only, for the upgrade request: the Host header (the host, in brackets when it is
  // an IPv6 address, plus ":port" when the port is not the scheme's default) and the resource
  // name (the path and query, as written in the URL).
  std::string http_host;
  std::string http_path = "/";

  bool is_unix() const noexcept { return !unix_path.empty(); }
};

// Fails with transport_errc::invalid_url and a sentence that quotes what is wrong: an unknown or
// missing scheme, a missing host, port or socket path, a port that is not a number or is out of
// 1..65535, a character a host or path may not hold, a query or fragment where none is allowed.
Result<Endpoint> parse_endpoint(std::string_view url);

}  // namespace uvwamp
