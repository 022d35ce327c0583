#include <uvwamp/wamp_error.hpp>

#include <optional>
#include <string>
#include <utility>

#include "session/session_errors.hpp"

namespace uvwamp {
namespace {

class ClientCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.client"; }
  std::string message(int code) const override {
    switch (static_cast<client_errc>(code)) {
      case client_errc::wamp_error:
        return "the router or the callee answered with an error";
      case client_errc::not_joined:
        return "no session is open";
      case client_errc::already_joined:
        return "a session is already open or opening";
      case client_errc::session_ended:
        return "the session ended before the answer came";
      case client_errc::transport_lost:
        return "the connection to the router was lost";
      case client_errc::closed:
        return "the client was closed";
      case client_errc::protocol_violation:
        return "the router broke the WAMP protocol";
      case client_errc::invalid_argument:
        return "the request cannot be sent as given";
      case client_errc::connect_failed:
        return "no router URL could be connected to";
      case client_errc::timed_out:
        return "the router did not answer in time";
      case client_errc::authentication_failed:
        return "the client could not authenticate";
      case client_errc::canceled:
        return "the call was canceled";
      case client_errc::not_supported:
        return "the router does not support what the request needs";
      case client_errc::payload_size_exceeded:
        return "the message is over the size limit";
    }
    return "unknown client error";
  }
};

// wamp_error has no URI of its own: the router or the callee names the error, so a local error
// of that kind (which nothing should make) gets the generic one.
const char* local_uri(client_errc code) noexcept {
  switch (code) {
    case client_errc::wamp_error:
      return "wamp.error.runtime_error";
    case client_errc::not_joined:
      return "uvwamp.error.not_joined";
    case client_errc::already_joined:
      return "uvwamp.error.already_joined";
    case client_errc::session_ended:
      return "uvwamp.error.session_ended";
    case client_errc::transport_lost:
      return "uvwamp.error.transport_lost";
    case client_errc::closed:
      return "uvwamp.error.closed";
    case client_errc::protocol_violation:
      return "wamp.error.protocol_violation";
    case client_errc::invalid_argument:
      return "uvwamp.error.invalid_argument";
    case client_errc::connect_failed:
      return "uvwamp.error.connect_failed";
    case client_errc::timed_out:
      return "uvwamp.error.timeout";
    case client_errc::authentication_failed:
      return "wamp.error.authentication_failed";
    case client_errc::canceled:
      return "wamp.error.canceled";
    case client_errc::not_supported:
      return "wamp.error.feature_not_supported";
    case client_errc::payload_size_exceeded:
      return "wamp.error.payload_size_exceeded";
  }
  return "wamp.error.runtime_error";
}

// The text a router or callee gave with an error: a string first argument, or a "message".
std::optional<std::string> error_text(const Value::Array& args, const Value::Object& kwargs) {
  if (!args.empty()) {
    if (const std::string* text = args.front().if_string()) return *text;
  }
  auto message = kwargs.find("message");
  if (message != kwargs.end()) {
    if (const std::string* text = message->second.if_string()) return *text;
  }
  return std::nullopt;
}

}  // namespace

const std::error_category& client_category() noexcept {
  static const ClientCategory category;
  return category;
}

std::error_code make_error_code(client_errc e) noexcept {
  return {static_cast<int>(e), client_category()};
}

WampError local_error(client_errc code, std::string message) {
  WampError error;
  error.code = code;
  error.uri = local_uri(code);
  error.message = std::move(message);
  return error;
}

WampError remote_error(std::string sentence, std::string uri, Value::Array args,
                       Value::Object kwargs, Value::Object details) {
  sentence += ": " + uri;
  if (auto text = error_text(args, kwargs)) sentence += " (" + *text + ")";
  if (auto text = error_text({}, details)) sentence += " (" + *text + ")";
  WampError error;
  error.code = client_errc::wamp_error;
  error.uri = std::move(uri);
  error.message = std::move(sentence);
  error.args = std::move(args);
  error.kwargs = std::move(kwargs);
  error.details = std::move(details);
  return error;
}

WampError invalid_uri(std::string_view what, std::string_view uri) {
  WampError error = local_error(client_errc::invalid_argument,
                                "'" + std::string(uri) + "' is not a valid " + std::string(what));
  error.uri = "wamp.error.invalid_uri";
  return error;
}

std::string describe_request(msg::Type type, const std::string& uri) {
  return std::string(msg::type_name(type)) + " " + uri;
}

WampError timed_out_error(const std::string& request, std::chrono::milliseconds timeout) {
  return local_error(client_errc::timed_out, request + " was not answered within " +
                                                 std::to_string(timeout.count()) + " ms");
}

}  // namespace uvwamp
