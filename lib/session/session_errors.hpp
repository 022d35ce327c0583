// The WampErrors the session makes: local ones (client_errc with the URI its code names), the
// router's or a callee's (client_errc::wamp_error with the URI it sent), and a refused URI.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <string>
#include <string_view>

#include "message/message.hpp"

namespace uvwamp {

// A WampError for a local reason: `code` with the URI client_errc gives it and `message`.
WampError local_error(client_errc code, std::string message);

// An error the router or a callee sent: `sentence` (what failed), then the URI and the text the
// error carries (a string first argument or a "message"), as WampError::message.
WampError remote_error(std::string sentence, std::string uri, Value::Array args,
                       Value::Object kwargs, Value::Object details);

// invalid_argument with the URI wamp.error.invalid_uri: "'uri' is not a valid `what`".
WampError invalid_uri(std::string_view what, std::string_view uri);

// "CALL com.example.add", for messages about a request.
std::string describe_request(msg::Type type, const std::string& uri);

// timed_out: "`request` was not answered within N ms".
WampError timed_out_error(const std::string& request, std::chrono::milliseconds timeout);

}  // namespace uvwamp
