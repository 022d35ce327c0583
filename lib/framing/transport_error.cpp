#include <uvwamp/transport_error.hpp>

#include <string>

namespace uvwamp {
namespace {

class TransportCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.transport"; }
  std::string message(int code) const override {
    switch (static_cast<transport_errc>(code)) {
      case transport_errc::handshake_refused:
        return "the router refused the opening handshake";
      case transport_errc::bad_handshake:
        return "the router's handshake reply breaks the protocol";
      case transport_errc::handshake_timeout:
        return "no complete handshake reply in time";
      case transport_errc::message_too_large:
        return "message larger than the allowed maximum";
      case transport_errc::protocol_violation:
        return "frame breaks the framing protocol";
      case transport_errc::not_open:
        return "transport not open";
      case transport_errc::connection_closed:
        return "the peer closed the connection";
      case transport_errc::connect_failed:
        return "no address could be connected to";
      case transport_errc::resolve_failed:
        return "host name did not resolve";
      case transport_errc::tls_failed:
        return "TLS handshake or record failed";
      case transport_errc::certificate_rejected:
        return "the router's certificate did not verify";
      case transport_errc::invalid_url:
        return "endpoint URL cannot be used";
      case transport_errc::write_queue_full:
        return "write queue full";
      case transport_errc::timed_out:
        return "operation timed out";
      case transport_errc::serializer_refused:
        return "the router does not speak the serializer asked for";
      case transport_errc::keepalive_timeout:
        return "the router did not answer a ping in time";
    }
    return "unknown transport error";
  }
};

}  // namespace

const std::error_category& transport_category() noexcept {
  static const TransportCategory category;
  return category;
}

std::error_code make_error_code(transport_errc e) noexcept {
  return {static_cast<int>(e), transport_category()};
}

}  // namespace uvwamp
