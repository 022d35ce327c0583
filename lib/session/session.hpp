// Session: the WAMP session state machine of a client, with no I/O. Messages from the router go
// in through receive(); messages for the router go out through Link::send(); requests complete
// through the handlers of the public vocabulary (rpc.hpp, pubsub.hpp, session_info.hpp). It plays
// Caller, Callee, Publisher and Subscriber: the Basic Profile, and of the Advanced Profile the
// RPC features HELLO announces (progressive call results and invocations, call timeouts, call
// canceling, caller identification, pattern-based and shared registration, registration
// revocation).
//
// Its parts, one file each: the core (state, epoch, request ids, sending, the ways an epoch
// ends: session_core.hpp) and the roles it drives, each with its own records: establishing
// (HELLO, authentication, WELCOME), caller, callee, publisher and subscriber.
//
// States (one enum, State):
//   closed --join()--> establishing --WELCOME--> established --leave()--> leaving --GOODBYE-->
//   closed establishing --ABORT--> closed                      established --GOODBYE from router-->
//   closed any --end() / protocol violation / ABORT--> closed
// A session that reached closed may join() again; each join() starts a new epoch, and calls,
// registrations, subscriptions and invocations of an earlier epoch name nothing any more.
//
// Request ids are session-scoped, 1, 2, 3, ... (the spec's rule), and a new epoch starts again
// from 1. Each pending request sits in its role's table, keyed by its id, until its answer comes.
//
// The router breaks the protocol when it sends a message that does not parse, one a client
// never receives, one out of order (anything but WELCOME, ABORT or CHALLENGE before WELCOME; a
// second WELCOME), an answer to no pending request of that kind, or an EVENT or INVOCATION for
// a subscription or registration this session never had. The session then sends ABORT
// wamp.error.protocol_violation (its Details' "message" says what was wrong), goes to closed,
// completes every pending request with client_errc::protocol_violation and tells the Listener.
// What a router may send after a request ended here is not a violation and is dropped: the
// answer to a call this session canceled or timed out, a progressive RESULT the call did not
// ask for, an INTERRUPT for an invocation already answered, input for an invocation already
// answered.
//
// Completion rules, the public ones of client.hpp, kept here so that they hold whatever drives
// the session: every request completes exactly once; a handler never runs inside the call that
// made the request -- a request that fails at once, or completes without an answer from the
// router (an unacknowledged publish, unsubscribing one of several local subscriptions, a call
// canceled or timed out here), completes from a task given to Link::defer(). Handlers run from
// receive(), expire(), end() and deferred tasks, and may call any method of the session, end()
// included.
//
// Handlers that throw: what a handler run from receive(), expire() or end() throws is caught
// and given to Listener::on_handler_exception(), and the session goes on (an invocation handler
// that throws answers its caller with wamp.error.runtime_error instead). A deferred task runs a
// handler as it is: its owner catches what it throws.
//
// Time: the session reads the time from Link::now() when it arms a deadline (a join's wait for
// the router, a call's timeout, an invocation's forwarded timeout), gives the earliest with
// next_deadline(), and times out what is due when the owner calls expire(). The owner asks
// next_deadline() after each call into the session; the session never sleeps or reads a clock.
//
// Ending: on leave() the pending requests complete with session_ended (from a deferred task) and
// messages other than GOODBYE and ABORT are ignored until the router's GOODBYE. When the router
// ends the session (GOODBYE, which the session answers with wamp.close.goodbye_and_out, or
// ABORT) the pending requests complete with session_ended and the Listener is told. end() is
// for the owner: the transport is gone, the client closes; it completes everything pending
// (a leave() included) with the error given and tells nobody else.
//
// Authentication: join() offers the methods of its AuthOptions in HELLO. A CHALLENGE (only while
// establishing) goes to the Authenticator that offered the method the router picked; its answer
// goes out as AUTHENTICATE if the session is still waiting for it. A CHALLENGE for a method not
// offered, or a second one while an answer is being computed, breaks the protocol. When the
// client cannot answer, or WELCOME fails the answer's check (SCRAM's server proof), the session
// sends ABORT wamp.error.authentication_failed and join() fails with
// client_errc::authentication_failed. Secrets go out only in AUTHENTICATE, whose copy is wiped
// once the Link took it.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/pubsub.hpp>
#include <uvwamp/reconnect.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/rpc.hpp>
#include <uvwamp/session_info.hpp>
#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "message/message.hpp"
#include "session/session_errors.hpp"

namespace uvwamp {

// The session's time, as its owner tells it.
using TimePoint = std::chrono::steady_clock::time_point;

class Session {
 public:
  class Link {
   public:
    virtual ~Link() = default;
    // Queues one message for the router. A failure fails the request that sent it: not_open or
    // connection_closed (no connection) with transport_lost; message_too_large with
    // payload_size_exceeded; anything else -- write_queue_full, a codec error for a payload that
    // cannot be written -- with invalid_argument.
    virtual Status send(const msg::Message& message) = 0;
    // Runs `task` later, on a later turn of the owner's loop, in the order given. A task may
    // throw what a handler threw; the owner decides what to do with that and runs the rest.
    virtual void defer(std::function<void()> task) = 0;
    // The time now.
    virtual TimePoint now() const = 0;
  };

  class Listener {
   public:
    virtual ~Listener() = default;
    // The session ended without leave() or end(): the router said GOODBYE (code wamp_error, the
    // reason as uri) or ABORT (likewise) while established, or broke the protocol
    // (protocol_violation; the ABORT went out). The owner should close the transport.
    virtual void on_session_ended(const WampError& why) = 0;
    // A handler threw; the session caught it and went on.
    virtual void on_handler_exception(std::exception_ptr exception) = 0;
  };

  enum class State { closed, establishing, established, leaving };

  // `auth_context` serves the authenticators: the connection's channel binding and a way to
  // run key derivations off the loop.
  Session(Link& link, Listener& listener, AuthContext& auth_context);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  State state() const noexcept;
  std::uint64_t epoch() const noexcept;

  // Sends HELLO for `realm` with the four roles and only the features implemented, what `auth`
  // offers, and `extra_details`. Completes on WELCOME (SessionInfo's url and serializer are the
  // owner's to fill in) or ABORT. Fails with already_joined unless closed, with
  // invalid_argument for a realm that is not a valid URI, and with authentication_failed when a
  // method cannot be offered on this connection. With a `timeout`, fails with timed_out when
  // the router leaves HELLO or AUTHENTICATE unanswered that long (answering a CHALLENGE here
  // does not count).
  void join(std::string realm, const AuthOptions& auth, Value::Object extra_details,
            JoinHandler on_joined, std::chrono::milliseconds timeout = {});
  // GOODBYE with `reason`; completes with the router's GOODBYE reason. not_joined unless
  // established.
  void leave(std::string reason, LeaveHandler on_left);

  // CallOptions::timeout is the caller's to resolve: nullopt here means no timeout.
  CallRequest call(std::string procedure, Value::Array args, Value::Object kwargs,
                   CallOptions options, CallHandler on_result);
  // Cancels a call in flight, with CANCEL when the router announced call_canceling. For kill
  // the router's answer completes it; for skip and killnowait, or a router that cannot cancel,
  // it completes now (from a deferred task) with client_errc::canceled, and the router's answer
  // is dropped when it comes. Fails (invalid_argument), changing nothing, for a call that is not
  // in flight.
  WampStatus cancel(const CallRequest& call, CancelMode mode);
  // The next chunk of a progressive call invocation: CALL with the call's request id, and
  // progress while more follow. Fails for a call not in flight or whose input ended, and when
  // the chunk cannot be sent.
  WampStatus continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                           bool progress);
  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler on_done);
  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler on_subscribed);
  // A `timeout` of zero (or an options' timeout of nullopt or zero) waits for the router's
  // answer without limit.
  void unsubscribe(const Subscription& subscription, DoneHandler on_done,
                   std::chrono::milliseconds timeout = {});
  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler on_registered);
  void unregister(const Registration& registration, DoneHandler on_done,
                  std::chrono::milliseconds timeout = {});

  // -- keeping registrations and subscriptions across epochs (the client's reconnect)

  // With `keep`, an epoch that ends any way but leave() keeps the registrations and
  // subscriptions it held, with their options and handlers, for restore(). Their handles keep
  // naming them: unregister() and unsubscribe() drop a kept one (succeeding at once, sending
  // nothing) even while no session is established. Off by default.
  void keep_for_restore(bool keep);
  // Once established again: REGISTER and SUBSCRIBE for everything kept. Completes when the
  // router answered them all (or they timed out, by their own timeouts), with what was restored
  // under its new router id and what failed (which is then gone); fails with the epoch's end
  // when it ends first, and everything not yet restored is kept again. Fails with not_joined
  // unless established, and with invalid_argument while a restore is under way.
  void restore(RestoreHandler on_restored);
  // Drops everything kept (the owner will not join again to restore it).
  void forget_kept();

  // One decoded message from the router.
  void receive(Value message);

  // The earliest deadline of a join, a request or an invocation; nullopt when nothing can time
  // out.
  std::optional<TimePoint> next_deadline() const;
  // Times out what is due at `now`.
  void expire(TimePoint now);

  // The owner ends the session (the transport was lost, the client closes): everything pending
  // completes with `why`, and the session is closed. No message goes out. Does nothing when
  // closed with nothing pending.
  void end(const WampError& why);
  // Runs now the completions still due from a batch being run further up the stack (an ending
  // whose handlers run one by one): an owner that a handler destroys completes the rest before
  // its destructor returns.
  void complete_pending() noexcept;

 private:
  // The core and the roles; defined in session.cpp.
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace uvwamp
