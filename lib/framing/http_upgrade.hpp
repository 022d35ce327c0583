// HttpUpgrade: the client's half of the WebSocket opening handshake (RFC 6455, section 4) as a
// small engine without I/O. It writes the HTTP/1.1 upgrade request and reads the router's
// response head, byte by byte if need be, until it has accepted or refused the upgrade.
//
// What the engine decides where the RFCs leave room:
// - A response line may end in CRLF or a bare LF (RFC 9112, section 2.2), and a header line
//   that starts with a space or a tab continues the one above it (obs-fold), its break read as
//   one space.
// - The head, up to and including its closing empty line, may be at most 16 KiB; a longer one is
//   a bad_handshake, reported as soon as the limit is passed, not when the head ends.
// - Any status other than 101 is a refusal (handshake_refused) whose message quotes the status
//   line; the headers and body of a refusal are not examined.
// - A 101 must carry Upgrade with the token "websocket" and Connection with the token "upgrade"
//   (token lists, case-insensitive, over all fields of that name); exactly one
//   Sec-WebSocket-Accept with the digest of our key; exactly one Sec-WebSocket-Protocol token,
//   one of those offered (WAMP needs a subprotocol even though RFC 6455 does not); and no
//   Sec-WebSocket-Extensions at all, as we offer none. Anything else is a bad_handshake.
#pragma once

#include <uvwamp/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace uvwamp {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct UpgradeRequest {
  // The Host header: the host, plus ":port" when the port is not the scheme's default (80 for
  // ws, 443 for wss); an IPv6 address goes in brackets.
  std::string host;
  // The resource name: an absolute path and an optional query, percent-encoded ("/ws").
  std::string path = "/";
  // Offered in this order, most wanted first; at least one.
  std::vector<std::string> subprotocols;
  // Sent after the handshake's own headers, which they may not repeat.
  std::vector<HttpHeader> extra_headers;
  // The Sec-WebSocket-Key before base64. RFC 6455 wants it random and fresh per connection.
  std::array<std::uint8_t, 16> key_nonce{};
};

// base64(SHA-1(key + the RFC 6455 GUID)): the Sec-WebSocket-Accept a router answers `key` with.
std::string websocket_accept(const std::string& key);

class HttpUpgrade {
 public:
  static constexpr std::size_t kMaxResponseHead = 16 * 1024;

  // Throws std::invalid_argument when the request cannot be written as asked: an empty host or
  // one with white space or control characters, a path not starting with '/' or holding white
  // space or control characters, no subprotocol or one that is not an HTTP token, a header name
  // that is not a token or is one the handshake writes itself, or a header value with CR, LF or
  // another control character.
  explicit HttpUpgrade(const UpgradeRequest& request);

  // The complete request, to be sent before anything else.
  const std::string& request() const noexcept { return request_; }

  // Reads the response. Returns how many octets of `data` belong to the response head: all of
  // them while it is incomplete, and fewer once accepted() when WebSocket frames follow it in
  // the same read. Fails with handshake_refused or bad_handshake; after a failure every call
  // returns that failure again, and after acceptance every call consumes nothing.
  Result<std::size_t> feed(const std::uint8_t* data, std::size_t size);

  bool accepted() const noexcept { return accepted_; }
  // The subprotocol the router chose; empty until accepted().
  const std::string& subprotocol() const noexcept { return subprotocol_; }

 private:
  Status check_response();
  Error fail(std::error_code code, std::string message);

  std::vector<std::string> offered_;
  std::string request_;
  std::string expected_accept_;

  std::string head_;            // the response head read so far
  std::size_t line_start_ = 0;  // where in head_ the line being read starts
  bool accepted_ = false;
  std::optional<Error> failure_;
  std::string subprotocol_;
};

}  // namespace uvwamp
