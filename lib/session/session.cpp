#include "session/session.hpp"

#include <algorithm>
#include <utility>
#include <variant>

#include "session/callee.hpp"
#include "session/caller.hpp"
#include "session/establishing.hpp"
#include "session/publisher.hpp"
#include "session/session_core.hpp"
#include "session/subscriber.hpp"

namespace uvwamp {

struct Session::Parts {
  Parts(Link& link, Listener& listener, AuthContext& auth_context)
      : core(link, listener),
        establishing(core, auth_context),
        caller(core),
        callee(core),
        publisher(core),
        subscriber(core) {
    core.add_role(establishing);
    core.add_role(caller);
    core.add_role(callee);
    core.add_role(publisher);
    core.add_role(subscriber);
  }

  SessionCore core;
  Establishing establishing;
  Caller caller;
  Callee callee;
  Publisher publisher;
  Subscriber subscriber;

  struct Dispatch;
};

// Hands each message from the router to the part of the session it concerns.
struct Session::Parts::Dispatch {
  Parts& parts;

  void operator()(msg::Welcome& m) { parts.establishing.on(m); }
  void operator()(msg::Challenge& m) { parts.establishing.on(m); }
  void operator()(msg::Abort& m) { parts.core.on(m); }
  void operator()(msg::Goodbye& m) { parts.core.on(m); }
  void operator()(msg::Result& m) { parts.caller.on(m); }
  void operator()(msg::Published& m) { parts.publisher.on(m); }
  void operator()(msg::Subscribed& m) { parts.subscriber.on(m); }
  void operator()(msg::Unsubscribed& m) { parts.subscriber.on(m); }
  void operator()(msg::Event& m) { parts.subscriber.on(m); }
  void operator()(msg::Registered& m) { parts.callee.on(m); }
  void operator()(msg::Unregistered& m) { parts.callee.on(m); }
  void operator()(msg::Invocation& m) { parts.callee.on(m); }
  void operator()(msg::Interrupt& m) { parts.callee.on(m); }
  void operator()(msg::Error& m) {
    switch (m.request_type) {
      case msg::Type::call:
        return parts.caller.on_error(m);
      case msg::Type::publish:
        return parts.publisher.on_error(m);
      case msg::Type::subscribe:
      case msg::Type::unsubscribe:
        return parts.subscriber.on_error(m);
      case msg::Type::register_:
      case msg::Type::unregister:
        return parts.callee.on_error(m);
      default:
        // An INVOCATION is the router's request; a client never sends it one to fail.
        return parts.core.violation(no_pending(msg::Type::error, m.request, m.request_type));
    }
  }
  // HELLO, CALL, ...: what a client sends.
  template <class Other>
  void operator()(Other& other) {
    parts.core.violation(std::string(msg::type_name(msg::type_of(other))) +
                         " is not a message a client receives");
  }
};

Session::Session(Link& link, Listener& listener, AuthContext& auth_context)
    : parts_(std::make_unique<Parts>(link, listener, auth_context)) {}

Session::~Session() = default;

Session::State Session::state() const noexcept {
  return parts_->core.state();
}

std::uint64_t Session::epoch() const noexcept {
  return parts_->core.epoch();
}

void Session::join(std::string realm, const AuthOptions& auth, Value::Object extra_details,
                   JoinHandler on_joined, std::chrono::milliseconds timeout) {
  parts_->establishing.join(std::move(realm), auth, std::move(extra_details), timeout,
                            std::move(on_joined));
}

void Session::leave(std::string reason, LeaveHandler on_left) {
  parts_->core.leave(std::move(reason), std::move(on_left));
}

CallRequest Session::call(std::string procedure, Value::Array args, Value::Object kwargs,
                          CallOptions options, CallHandler on_result) {
  return parts_->caller.call(std::move(procedure), std::move(args), std::move(kwargs),
                             std::move(options), std::move(on_result));
}

WampStatus Session::cancel(const CallRequest& call, CancelMode mode) {
  return parts_->caller.cancel(call, mode);
}

WampStatus Session::continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                                  bool progress) {
  return parts_->caller.continue_call(call, std::move(args), std::move(kwargs), progress);
}

void Session::publish(std::string topic, Value::Array args, Value::Object kwargs,
                      PublishOptions options, PublishHandler on_done) {
  parts_->publisher.publish(std::move(topic), std::move(args), std::move(kwargs),
                            std::move(options), std::move(on_done));
}

void Session::subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                        SubscribeHandler on_subscribed) {
  parts_->subscriber.subscribe(std::move(topic), std::move(options), std::move(on_event),
                               std::move(on_subscribed));
}

void Session::unsubscribe(const Subscription& subscription, DoneHandler on_done,
                          std::chrono::milliseconds timeout) {
  parts_->subscriber.unsubscribe(subscription, std::move(on_done), timeout);
}

void Session::register_procedure(std::string procedure, RegisterOptions options,
                                 InvocationHandler on_invocation, RegisterHandler on_registered) {
  parts_->callee.register_procedure(std::move(procedure), std::move(options),
                                    std::move(on_invocation), std::move(on_registered));
}

void Session::unregister(const Registration& registration, DoneHandler on_done,
                         std::chrono::milliseconds timeout) {
  parts_->callee.unregister(registration, std::move(on_done), timeout);
}

void Session::keep_for_restore(bool keep) {
  parts_->core.keep_for_restore(keep);
}

void Session::restore(RestoreHandler on_restored) {
  SessionCore& core = parts_->core;
  if (!core.refuse_unless_joined(on_restored)) return;
  if (core.restoring()) {
    return core.complete_later(std::move(on_restored),
                               local_error(client_errc::invalid_argument,
                                           "a restore is under way in this session already"));
  }
  core.begin_restore(std::move(on_restored));
  parts_->callee.restore();
  parts_->subscriber.restore();
  core.end_restore_sending();
}

void Session::forget_kept() {
  parts_->core.forget_kept();
}

void Session::receive(Value message) {
  SessionCore& core = parts_->core;
  // Closed: the owner is closing the transport, and nothing is left to answer.
  if (core.state() == State::closed) return;
  auto parsed = msg::parse_message(std::move(message));
  if (core.state() == State::leaving) {
    if (parsed) core.receive_while_leaving(parsed.value());
    return;
  }
  if (!parsed) return core.violation("a message does not parse: " + parsed.error().message);
  msg::Message& received = parsed.value();
  const msg::Type type = msg::type_of(received);
  if (core.state() == State::establishing && type != msg::Type::welcome &&
      type != msg::Type::abort && type != msg::Type::challenge) {
    return core.violation(std::string(msg::type_name(type)) + " before WELCOME");
  }
  std::visit(Parts::Dispatch{*parts_}, received);
}

std::optional<TimePoint> Session::next_deadline() const {
  std::optional<TimePoint> next;
  for (std::optional<TimePoint> deadline :
       {parts_->establishing.next_deadline(), parts_->caller.next_deadline(),
        parts_->callee.next_deadline(), parts_->publisher.next_deadline(),
        parts_->subscriber.next_deadline()}) {
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  return next;
}

void Session::expire(TimePoint now) {
  parts_->establishing.expire(now);
  parts_->caller.expire(now);
  parts_->callee.expire(now);
  parts_->publisher.expire(now);
  parts_->subscriber.expire(now);
}

void Session::end(const WampError& why) {
  if (parts_->core.state() == State::closed) return;
  parts_->core.run_ending(why);
}

void Session::complete_pending() noexcept {
  parts_->core.run_remaining();
}

}  // namespace uvwamp
