// uvwamp::Client: a WAMP session with a router, on the caller's libuv loop.
//
//   uvwamp::ClientOptions options;
//   options.urls = {"ws://127.0.0.1:8080/ws"};
//   options.realm = "realm1";
//   uvwamp::Client client(loop, options);
//   client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
//     if (!joined) return report(joined.error());
//     client.call("com.example.add", {2, 3}, [&](uvwamp::WampResult<uvwamp::CallResult> r) {
//       if (r) print(r->args.at(0));
//       client.close([] {});
//     });
//   });
//   uv_run(loop, UV_RUN_DEFAULT);
//
// The client plays the four WAMP roles, Caller, Callee, Publisher and Subscriber, of the Basic
// Profile. join() connects to the first of ClientOptions::urls that answers and opens a session
// in the realm; leave() ends the session and closes the connection, after which join() may open
// another; close() ends everything for good.
//
// Threading: the client lives on the loop's thread. Every call and every callback happens there;
// the client starts no thread and never blocks the loop.
//
// Completion: every request (join, leave, call, register_procedure, unregister, publish,
// subscribe, unsubscribe) completes exactly once, through its handler, with a value or a
// WampError: the router's or the callee's WAMP error, or a local one (not joined, the transport
// lost, the client closed, ...; see client_errc). A handler never runs inside the call that
// made the request, so a request that cannot even be sent still completes on a later turn of
// the loop. Handlers may call back into the client, including close(), and may destroy it.
//
// Ending: when the session ends in a way leave() did not ask for (the router says GOODBYE or
// ABORT, the connection is lost, the router breaks the protocol), the pending requests complete
// with the reason and the session-ended handler (set_session_ended_handler) runs. close()
// completes what is pending with client_errc::closed, closes the connection and then runs its
// callback; no callback of the client runs after that one. The destructor does the same at
// once: pending requests complete with client_errc::closed before it returns (their handlers
// must not use the client any more), and the uv handles finish closing on the loop, so run the
// loop once more before uv_loop_close().
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/tls_options.hpp>
#include <uvwamp/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

typedef struct uv_loop_s uv_loop_t;

namespace uvwamp {

// Why a request failed. Each code but wamp_error is a local reason, with the WAMP-style URI
// given in WampError::uri.
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
                          // write, a message over the size limit or with no room
                          // left in the write queue, a stale handle)
  connect_failed,         // uvwamp.error.connect_failed: no URL could be connected to
  timed_out,              // uvwamp.error.timeout: the router did not answer in time
  authentication_failed,  // wamp.error.authentication_failed: this client could not or would
                          // not authenticate (no secret, a challenge it cannot answer, a
                          // router that failed to prove itself); see auth.hpp
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(client_errc e) noexcept;

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

struct ClientOptions {
  // Router endpoints, tried in order until one connects (see docs/transports.md):
  // ws://, wss://, rs://, rss://, and ws://unix:/path or rs://unix:/path for a Unix socket.
  std::vector<std::string> urls;
  std::string realm;
  // Most wanted first. Default: cbor, msgpack, json.
  std::vector<const Serializer*> serializers = {&cbor_serializer(), &msgpack_serializer(),
                                                &json_serializer()};
  // For wss:// and rss://; the certificate is checked against the URL's host unless
  // `tls.server_name` names another.
  TlsOptions tls;
  // Per URL: how long the TCP connection may take, and each handshake after it. Default 10 s.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds handshake_timeout{10'000};
  // How long leave() waits for the router's GOODBYE before closing anyway.
  std::chrono::milliseconds goodbye_timeout{5'000};
  // The longest message accepted from the router. Default 16 MiB.
  std::size_t max_message_size = std::size_t{16} << 20;
  // Who the client says it is and how it proves it (auth.hpp). Default: nothing offered.
  AuthOptions auth;
};

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

// Extra options, for router features uvwamp has no typed field for yet, are sent as given.
struct CallOptions {
  Value::Object extra;
};
struct PublishOptions {
  // Ask the router to confirm the publication (PUBLISHED) or refuse it (ERROR).
  bool acknowledge = false;
  Value::Object extra;
};
struct SubscribeOptions {
  Value::Object extra;
};
struct RegisterOptions {
  Value::Object extra;
};

struct CallResult {
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

struct Event {
  Id subscription = 0;
  Id publication = 0;
  std::string topic;  // the topic subscribed to
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

// What an acknowledged publish() gives; an unacknowledged one completes with id 0 once the
// message is queued for the router.
struct Publication {
  Id id = 0;
};

// Handles for unregister() and unsubscribe(). Plain values: dropping one changes nothing, and
// they may outlive the client. A handle from an earlier session (before a leave() or a lost
// connection) no longer names anything; unregister() and unsubscribe() refuse it.
struct Registration {
  Id id = 0;
  std::string procedure;
  std::uint64_t session_epoch = 0;  // which join() it belongs to
};
struct Subscription {
  Id id = 0;
  std::string topic;
  std::uint64_t local_id = 0;  // several local subscriptions may share one router subscription
  std::uint64_t session_epoch = 0;
};

namespace detail {
class InvocationAnswerer;
}

// One call of a registered procedure, handed to its handler. Answer it once, with yield() or
// error(), now or later (move it somewhere to answer later), on the loop's thread. An invocation
// destroyed unanswered answers the caller with wamp.error.runtime_error, so no caller waits
// forever. Answering after the session ended does nothing and returns false.
class Invocation {
 public:
  Invocation(Invocation&&) noexcept;
  Invocation& operator=(Invocation&&) noexcept;
  ~Invocation();

  Id request_id() const noexcept { return request_; }
  Id registration_id() const noexcept { return registration_; }
  const std::string& procedure() const noexcept { return procedure_; }
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;

  // True when the answer went to the router.
  bool yield(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool error(std::string uri, Value::Array error_args = {}, Value::Object error_kwargs = {});
  bool answered() const noexcept { return answered_; }

 private:
  friend class detail::InvocationAnswerer;
  Invocation(std::weak_ptr<detail::InvocationAnswerer> answerer, Id request, Id registration,
             std::string procedure);

  std::weak_ptr<detail::InvocationAnswerer> answerer_;
  Id request_ = 0;
  Id registration_ = 0;
  std::string procedure_;
  bool answered_ = false;
};

using JoinHandler = std::function<void(WampResult<SessionInfo>)>;
// The router's GOODBYE reason ("wamp.close.goodbye_and_out"), or why the goodbye went unanswered.
using LeaveHandler = std::function<void(WampResult<std::string>)>;
using CallHandler = std::function<void(WampResult<CallResult>)>;
using PublishHandler = std::function<void(WampResult<Publication>)>;
using SubscribeHandler = std::function<void(WampResult<Subscription>)>;
using RegisterHandler = std::function<void(WampResult<Registration>)>;
using DoneHandler = std::function<void(WampStatus)>;
using EventHandler = std::function<void(const Event&)>;
// A handler that throws answers the caller with wamp.error.runtime_error and the exception's
// what(), unless it answered first.
using InvocationHandler = std::function<void(Invocation)>;
// Why the session ended when no leave() asked for it.
using SessionEndedHandler = std::function<void(const WampError&)>;

namespace detail {
class ClientCore;
}

class Client {
 public:
  // Throws std::invalid_argument for options that cannot work: no URL, a URL parse fails on, an
  // empty realm, no serializer.
  Client(uv_loop_t* loop, ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects (each URL in turn until one answers) and opens the session: HELLO, then WELCOME
  // or ABORT (client_errc::wamp_error with ABORT's reason as the URI).
  void join(JoinHandler on_joined);
  // Says GOODBYE with `reason`, waits (up to goodbye_timeout) for the router's, then closes the
  // connection and completes. Pending requests complete with session_ended.
  void leave(LeaveHandler on_left, std::string reason = "wamp.close.close_realm");
  // Ends the session and the connection for good; see "Ending" above. It says no GOODBYE (call
  // leave() first for that). A second close() does nothing and never calls its callback; the
  // client's other methods may still be called until the callback ran (their requests complete
  // with client_errc::closed), but not after it.
  void close(std::function<void()> on_closed);

  void set_session_ended_handler(SessionEndedHandler handler);
  bool is_joined() const noexcept;

  void call(std::string procedure, Value::Array args, CallHandler on_result);
  void call(std::string procedure, Value::Array args, Value::Object kwargs, CallOptions options,
            CallHandler on_result);

  void publish(std::string topic, Value::Array args, PublishHandler on_done);
  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler on_done);

  // Several subscriptions to one topic share the router's subscription; each gets every event
  // and is unsubscribed on its own.
  void subscribe(std::string topic, EventHandler on_event, SubscribeHandler on_subscribed);
  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler on_subscribed);
  // No event reaches the subscription's handler once unsubscribe() was called.
  void unsubscribe(const Subscription& subscription, DoneHandler on_done);

  void register_procedure(std::string procedure, InvocationHandler on_invocation,
                          RegisterHandler on_registered);
  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler on_registered);
  // No invocation reaches the handler once unregister() was called.
  void unregister(const Registration& registration, DoneHandler on_done);

 private:
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::client_errc> : true_type {};
}  // namespace std
