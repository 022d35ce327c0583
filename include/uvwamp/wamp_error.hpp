// uvwamp: how a WAMP request fails. Every request of the client completes with a WampResult: a
// value, or a WampError that says who refused it (the router, the callee, or this client) and
// why, as a std::error_code, a WAMP error URI, a sentence and the error's payload.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <system_error>

namespace uvwamp {

// Why a request failed. wamp_error is an error the router or the callee sent, named by its URI;
// every other code has the URI given beside it, also where the router or the callee sent it (a
// call canceled or timed out ends with the same code whoever ended it; the message says who).
enum class client_errc {
  wamp_error = 1,         // the router or the callee answered with ERROR or ABORT; see `uri`
  not_joined,             // uvwamp.error.not_joined: no session was open for the request
  already_joined,         // uvwamp.error.already_joined: join() while joining or joined
  session_ended,          // uvwamp.error.session_ended: the session ended before the answer came
  transport_lost,         // uvwamp.error.transport_lost: the connection to the router ended
  closed,                 // uvwamp.error.closed: close() or the destructor ended the request
  protocol_violation,     // wamp.error.protocol_violation: the router broke the protocol
  invalid_argument,       // wamp.error.invalid_uri or uvwamp.error.invalid_argument: the request
                          // cannot be sent as given (a bad URI, a payload the serializer cannot
                          // write, no room left in the write queue, a stale
                          // handle)
  connect_failed,         // uvwamp.error.connect_failed: no URL could be connected to
  timed_out,              // uvwamp.error.timeout: the router did not answer in time; for a call,
                          // wamp.error.timeout: its timeout passed (here, at the router or at
                          // the callee)
  authentication_failed,  // wamp.error.authentication_failed: this client could not or would
                          // not authenticate (no secret, a challenge it cannot answer, a
                          // router that failed to prove itself); see auth.hpp
  canceled,               // wamp.error.canceled: the call was canceled (Client::cancel), here,
                          // at the router or at the callee
  not_supported,          // wamp.error.feature_not_supported: the router does not announce a
                          // feature the request needs
  payload_size_exceeded,  // wamp.error.payload_size_exceeded: the request's message is over the
                          // router's or the client's limit (ClientOptions::
                          // max_outgoing_message_size); nothing was sent, the session goes on
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(client_errc e) noexcept;

// WAMP's ids: sessions, requests, registrations, subscriptions and publications.
using Id = std::uint64_t;

// How a request failed. For client_errc::wamp_error `uri` is the error the router or the callee
// sent (as "wamp.error.no_such_procedure") with its arguments and details, and `message` is a
// sentence made from them; for a local reason `uri` is the URI the code names and `message`
// says what happened, quoting the transport's error where there is one.
struct WampError {
  std::error_code code;
  std::string uri;
  std::string message;
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

template <class T>
using WampResult = Result<T, WampError>;
using WampStatus = Result<void, WampError>;

// For requests that complete with nothing but success or an error: unregister, unsubscribe.
using DoneHandler = std::function<void(WampStatus)>;

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::client_errc> : true_type {};
}  // namespace std
