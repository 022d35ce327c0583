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
// Profile, and the Advanced Profile's RPC features (rpc.hpp, docs/rpc.md). join() connects to the
// first of ClientOptions::urls that answers and opens a session in the realm; leave() ends the
// session and closes the connection, after which join() may open another; close() ends everything
// for good.
//
// Threading: the client lives on the loop's thread. Every call and every callback happens there;
// the client starts no thread and never blocks the loop. The one way in from other threads is a
// WorkerInvocation (worker_pool.hpp), whose handlers run on a WorkerPool the application made.
//
// Completion: every request (join, leave, call, register_procedure, unregister, publish,
// subscribe, unsubscribe) completes exactly once, through its handler, with a value or a
// WampError: the router's or the callee's WAMP error, or a local one (not joined, the transport
// lost, the client closed, ...; see client_errc). A handler never runs inside the call that
// made the request, so a request that cannot even be sent still completes on a later turn of
// the loop. Handlers may call back into the client, including close(), and may destroy it.
// cancel() and continue_call() are no requests: they act at once and return what came of it.
//
// Handlers that throw: an exception never unwinds through libuv. What a handler throws is
// caught where uvwamp called it and given to ClientOptions::on_handler_exception, and the client
// goes on as if the handler had returned. An invocation handler that throws is the exception: its
// caller gets wamp.error.runtime_error with the exception's what() (see InvocationHandler).
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
#include <uvwamp/pubsub.hpp>
#include <uvwamp/reconnect.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/rpc.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/session_info.hpp>
#include <uvwamp/tls_options.hpp>
#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>
#include <uvwamp/worker_pool.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

typedef struct uv_loop_s uv_loop_t;

namespace uvwamp {

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
  // How long join() waits for the router after HELLO, and again after each AUTHENTICATE, for
  // WELCOME, CHALLENGE or ABORT; then it fails with timed_out. The time a CHALLENGE's answer
  // takes here (a secret asked for) does not count. Zero for no limit.
  std::chrono::milliseconds join_timeout{10'000};
  // TCP keepalive: the kernel probes a TCP connection idle this long, so that a router gone
  // without a word (its host powered off, a cable cut) ends the session even while nothing is
  // sent. Whole seconds; zero turns it off. Default 60 s.
  std::chrono::seconds tcp_keepalive{60};
  // Keepalive: a WebSocket ping, or a RawSocket PING, every `keepalive_interval` while the
  // connection is open; a router that sends nothing back (a pong or anything else) within
  // `keepalive_timeout` is taken for dead: the connection is closed as lost (the reconnect
  // policy applies), so a hung router is noticed within interval + timeout. Zero interval turns
  // it off. Default 30 s and 10 s.
  std::chrono::milliseconds keepalive_interval{30'000};
  std::chrono::milliseconds keepalive_timeout{10'000};
  // Keepalive over RawSocket too (rs://, rss://), with PING frames. Off by default: Crossbar
  // (autobahn-python's RawSocket) does not know PING and drops the connection at the first one;
  // nexus answers it. Over RawSocket without it, TCP keepalive is what notices a dead router.
  bool rawsocket_ping = false;
  // How long leave() waits for the router's GOODBYE before closing anyway.
  std::chrono::milliseconds goodbye_timeout{5'000};
  // The longest message accepted from the router. Default 16 MiB.
  std::size_t max_message_size = std::size_t{16} << 20;
  // The longest message sent: a request whose message is longer fails with
  // client_errc::payload_size_exceeded, naming both sizes, and nothing is sent; the session goes
  // on. A RawSocket router announces its own limit, which applies as well; a WebSocket router's
  // is not known, hence this one. Zero for no limit of the client's own. Default 16 MiB, which
  // Crossbar and nexus accept by default.
  std::size_t max_outgoing_message_size = std::size_t{16} << 20;
  // Who the client says it is and how it proves it (auth.hpp). Default: nothing offered.
  AuthOptions auth;
  // The timeout of every call whose CallOptions::timeout is nullopt; zero for none (the
  // default).
  std::chrono::milliseconds call_timeout{0};
  // How long register_procedure(), unregister(), subscribe(), unsubscribe() and an acknowledged
  // publish() wait for the router's answer, unless their options say otherwise; then they fail
  // with client_errc::timed_out, and an answer that comes later changes nothing (a registration
  // or subscription the router makes after all is dropped at once). Zero for no limit.
  // Default 10 s.
  std::chrono::milliseconds request_timeout{10'000};
  // The most bytes that may wait to be written to the router; a request that would go over it
  // fails with invalid_argument (write_queue_full in its message). Default 16 MiB.
  std::size_t write_queue_limit = std::size_t{16} << 20;
  // Backpressure before that limit: when a request leaves more than `write_queue_high_water`
  // bytes waiting, `on_send_pressure(true)` runs (on a later turn), and `on_send_pressure(false)`
  // once everything waiting went to the kernel, so that a publisher can hold back instead of
  // meeting the limit. At most write_queue_limit; zero for none. Default 1 MiB.
  std::size_t write_queue_high_water = std::size_t{1} << 20;
  std::function<void(bool congested)> on_send_pressure;
  // Reconnecting after the router went away, and restoring registrations and subscriptions
  // (reconnect.hpp, docs/resilience.md). Off by default.
  ReconnectOptions reconnect;
  // Given what a handler threw, on the loop's thread; the client has caught it and goes on.
  // Unset, uvwamp writes one line about it to stderr.
  std::function<void(std::exception_ptr)> on_handler_exception;
};

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
  // The bytes waiting to be written to the router (see ClientOptions::write_queue_high_water);
  // 0 without a connection.
  std::size_t queued_bytes() const noexcept;

  // The returned handle names the call for cancel() and continue_call(); it names nothing when
  // the call failed before it went out (its handler still runs, on a later turn).
  CallRequest call(std::string procedure, Value::Array args, CallHandler on_result);
  CallRequest call(std::string procedure, Value::Array args, Value::Object kwargs,
                   CallOptions options, CallHandler on_result);
  // Cancels a call in flight: with CANCEL in `mode` where the router announces call_canceling.
  // skip and killnowait complete the call at once (on a later turn) with client_errc::canceled;
  // kill waits for the router, whose answer, wamp.error.canceled or the result that won the
  // race, completes it (Crossbar answers only once the callee did: pair kill with a timeout).
  // Where the router cannot cancel, the call completes at once and the callee is not told.
  // A call that is not in flight (completed, canceled, from another session) fails with
  // invalid_argument, and nothing changes.
  WampStatus cancel(const CallRequest& call, CancelMode mode = CancelMode::kill);
  // The next chunk of a call made with CallOptions::progress; `progress` is true while more
  // follow, and false for the last. Fails, sending nothing, for a call that is not in flight or
  // whose last chunk went, and when the chunk cannot be sent.
  WampStatus continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                           bool progress);

  void publish(std::string topic, Value::Array args, PublishHandler on_done);
  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler on_done);

  // Several subscriptions to one topic share the router's subscription; each gets every event
  // and is unsubscribed on its own.
  void subscribe(std::string topic, EventHandler on_event, SubscribeHandler on_subscribed);
  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler on_subscribed);
  // No event reaches the subscription's handler once unsubscribe() was called. `timeout`:
  // how long to wait for UNSUBSCRIBED (zero: no limit); ClientOptions::request_timeout without.
  void unsubscribe(const Subscription& subscription, DoneHandler on_done);
  void unsubscribe(const Subscription& subscription, DoneHandler on_done,
                   std::chrono::milliseconds timeout);

  void register_procedure(std::string procedure, InvocationHandler on_invocation,
                          RegisterHandler on_registered);
  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler on_registered);
  // The same, with a handler that runs on one of `pool`'s threads (worker_pool.hpp): the loop
  // goes on while it works, and it learns at once when its call is interrupted. Throws
  // std::invalid_argument for a null pool.
  void register_procedure(std::string procedure, RegisterOptions options,
                          std::shared_ptr<WorkerPool> pool, WorkerInvocationHandler on_invocation,
                          RegisterHandler on_registered);
  // No invocation reaches the handler once unregister() was called. `timeout`: how long to wait
  // for UNREGISTERED (zero: no limit); ClientOptions::request_timeout without.
  void unregister(const Registration& registration, DoneHandler on_done);
  void unregister(const Registration& registration, DoneHandler on_done,
                  std::chrono::milliseconds timeout);

 private:
  std::shared_ptr<detail::ClientCore> core_;
};

}  // namespace uvwamp
