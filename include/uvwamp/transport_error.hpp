// Errors of the transport: framing (RawSocket, WebSocket), streams (TCP, Unix sockets, TLS) and
// connecting to an endpoint. They reach users through the client's callbacks.
#pragma once

#include <system_error>

namespace uvwamp {

enum class transport_errc {
  handshake_refused = 1,  // the router answered the opening handshake with a refusal
  bad_handshake,          // the router's handshake reply breaks the protocol
  handshake_timeout,      // no complete handshake reply in time
  message_too_large,      // a message over the negotiated or configured maximum
  protocol_violation,     // a frame that breaks the framing protocol
  not_open,               // sending before the handshake completed or after close
  connection_closed,      // the peer closed the connection
  connect_failed,         // no address could be connected to
  resolve_failed,         // the host name did not resolve
  tls_failed,             // the TLS handshake or a TLS record failed
  certificate_rejected,   // the router's certificate did not verify
  invalid_url,            // an endpoint URL that uvwamp cannot use
  write_queue_full,       // the bounded write queue has no room
  timed_out,              // an operation did not finish in its time limit
  serializer_refused,     // the router does not speak the serializer asked for (RawSocket)
  keepalive_timeout,      // the router did not answer a keepalive ping in time
};

const std::error_category& transport_category() noexcept;
std::error_code make_error_code(transport_errc e) noexcept;

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::transport_errc> : true_type {};
}  // namespace std
