// uvwamp: a WAMP session as the router opened it, and the handlers of joining and leaving.
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <functional>
#include <string>

namespace uvwamp {

class Serializer;

// The session join() opened.
struct SessionInfo {
  Id session_id = 0;
  std::string realm;
  std::string url;                         // the URL that connected
  const Serializer* serializer = nullptr;  // the one the router accepted
  // Who the router says the client is: WELCOME.Details' authid, authrole, authmethod,
  // authprovider and authextra (empty when the router sent none).
  std::string authid;
  std::string authrole;
  std::string authmethod;
  std::string authprovider;
  Value::Object authextra;
  Value::Object details;  // WELCOME.Details as the router sent them
};

using JoinHandler = std::function<void(WampResult<SessionInfo>)>;
// The router's GOODBYE reason ("wamp.close.goodbye_and_out"), or why the goodbye went unanswered.
using LeaveHandler = std::function<void(WampResult<std::string>)>;
// Why the session ended when no leave() asked for it.
using SessionEndedHandler = std::function<void(const WampError&)>;

}  // namespace uvwamp
