// What the session's tests share: a fake Link that records what the session sends, queues what
// it defers and tells the time the test sets; a fake Listener and AuthContext; outcome
// collectors; and the SessionTest fixture, a session with helpers to join, register, subscribe
// and check a protocol violation.
#pragma once

#include <uvwamp/serializer.hpp>
#include <uvwamp/transport_error.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "session/session.hpp"

namespace uvwamp {

inline void PrintTo(const Value& value, std::ostream* out) {
  *out << value.debug_string();
}

namespace test {

using Arr = Value::Array;
using Obj = Value::Object;
using State = Session::State;

// A message as the array on the wire.
inline Value m(std::initializer_list<Value> elements) {
  return Value(Arr(elements));
}

// Records what the session sends and queues what it defers, as the client's shell would. It
// encodes each message as JSON, so that a payload JSON cannot carry fails as it would for real.
class FakeLink : public Session::Link {
 public:
  TimePoint now() const override { return time; }
  Status send(const msg::Message& message) override {
    if (failure) return *failure;
    Value built = msg::build_message(message);
    std::vector<std::uint8_t> bytes;
    Status encoded = json_serializer().encode(built, bytes);
    if (!encoded) return encoded;
    sent.push_back(std::move(built));
    return {};
  }
  void defer(std::function<void()> task) override { tasks.push_back(std::move(task)); }

  // Runs deferred tasks, and those they defer, until none is left.
  void run_deferred() {
    while (!tasks.empty()) {
      auto task = std::move(tasks.front());
      tasks.pop_front();
      task();
    }
  }

  std::vector<Value> sent;
  std::deque<std::function<void()>> tasks;
  std::optional<Error> failure;  // every send fails with it while set
  TimePoint time;                // what now() says; tests move it on
};

// What the session hands authenticators, through its own guard: a channel binding and a pool
// that runs work at once, counting it.
class FakeAuthContext : public AuthContext {
 public:
  std::optional<std::vector<std::uint8_t>> tls_unique() const override {
    return std::vector<std::uint8_t>{1, 2, 3};
  }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    ++works;
    work();
    done();
  }
  int works = 0;
};

class FakeListener : public Session::Listener {
 public:
  void on_session_ended(const WampError& why) override {
    ended.push_back(why);
    if (hook) hook(why);
  }
  void on_handler_exception(std::exception_ptr exception) override {
    thrown.push_back(std::move(exception));
  }

  std::vector<WampError> ended;
  std::vector<std::exception_ptr> thrown;
  std::function<void(const WampError&)> hook;
};

// Collects the outcomes a handler gets.
template <class R>
struct Outcomes {
  std::function<void(R)> handler() {
    return [this](R outcome) { got.push_back(std::move(outcome)); };
  }
  // The one outcome; a test that finds none fails here rather than reading past the end.
  const R& only() const {
    EXPECT_EQ(got.size(), 1u);
    if (got.empty()) throw std::logic_error("the handler was never called");
    return got.front();
  }
  std::vector<R> got;
};

using JoinOutcomes = Outcomes<WampResult<SessionInfo>>;
using LeaveOutcomes = Outcomes<WampResult<std::string>>;
using CallOutcomes = Outcomes<WampResult<CallResult>>;
using PublishOutcomes = Outcomes<WampResult<Publication>>;
using SubscribeOutcomes = Outcomes<WampResult<Subscription>>;
using RegisterOutcomes = Outcomes<WampResult<Registration>>;
using DoneOutcomes = Outcomes<WampStatus>;

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

inline void expect_error(const WampError& error, client_errc code, std::string_view uri,
                         std::string_view mentions = {}) {
  EXPECT_EQ(error.code, make_error_code(code));
  EXPECT_EQ(error.uri, uri);
  EXPECT_TRUE(contains(error.message, mentions)) << error.message << " lacks " << mentions;
}

template <class R>
void expect_failed(const R& outcome, client_errc code, std::string_view uri,
                   std::string_view mentions = {}) {
  ASSERT_FALSE(outcome.ok());
  expect_error(outcome.error(), code, uri, mentions);
}

// HELLO's roles: the features the session implements, and no others.
inline const Obj rpc_features{{"progressive_call_results", true},
                              {"progressive_call_invocations", true},
                              {"call_timeout", true},
                              {"call_canceling", true},
                              {"caller_identification", true}};
inline Obj callee_features() {
  Obj features = rpc_features;
  features["pattern_based_registration"] = true;
  features["shared_registration"] = true;
  features["registration_revocation"] = true;
  return features;
}
inline const Value roles = Obj{{"caller", Obj{{"features", rpc_features}}},
                               {"callee", Obj{{"features", callee_features()}}},
                               {"publisher", Obj{{"features", Obj{}}}},
                               {"subscriber", Obj{{"features", Obj{}}}}};

// WELCOME.Details of a router whose dealer announces the RPC features a caller relies on.
inline Obj dealer_announcing(std::initializer_list<const char*> features) {
  Obj announced;
  for (const char* feature : features)
    announced[feature] = true;
  return Obj{{"roles", Obj{{"dealer", Obj{{"features", std::move(announced)}}}}}};
}
inline const Obj full_dealer = dealer_announcing(
    {"call_canceling", "call_timeout", "progressive_call_invocations", "progressive_call_results"});

inline const Error transport_failure{transport_errc::not_open, "the connection is not open"};
inline const Error queue_full_failure{transport_errc::write_queue_full,
                                      "write queue full (64 KiB)"};
inline const Error too_large_failure{transport_errc::message_too_large,
                                     "message of 20 MiB over 16 MiB"};
inline const Error codec_failure{codec_errc::not_encodable, "NaN cannot be written in JSON"};

class SessionTest : public testing::Test {
 protected:
  void receive(Value message) { session.receive(std::move(message)); }

  // Joins; `welcome_details` are WELCOME's, by default a router that announces nothing.
  void join_session(Obj welcome_details = {}) {
    session.join("realm1", {}, {}, nullptr);
    receive(m({2, 9001, std::move(welcome_details)}));
    ASSERT_EQ(session.state(), State::established);
    link.sent.clear();
  }

  // The request id of the last message sent (CALL, SUBSCRIBE, ...).
  Id last_request() const {
    EXPECT_FALSE(link.sent.empty());
    return link.sent.back().if_array()->at(1).to_uint64().value();
  }

  Subscription subscribe(const std::string& topic, Id id, EventHandler on_event) {
    SubscribeOutcomes subscribed;
    session.subscribe(topic, {}, std::move(on_event), subscribed.handler());
    receive(m({33, last_request(), id}));
    link.sent.clear();
    EXPECT_TRUE(subscribed.only().ok());
    return subscribed.only().value();
  }

  Registration register_procedure(const std::string& procedure, Id id,
                                  InvocationHandler on_invocation) {
    RegisterOutcomes registered;
    session.register_procedure(procedure, {}, std::move(on_invocation), registered.handler());
    receive(m({65, last_request(), id}));
    link.sent.clear();
    EXPECT_TRUE(registered.only().ok());
    return registered.only().value();
  }

  // One request of each kind left pending, with the outcomes they get.
  struct EveryKind {
    CallOutcomes called;
    PublishOutcomes published;
    SubscribeOutcomes subscribed;
    RegisterOutcomes registered;
    DoneOutcomes unsubscribed;
    DoneOutcomes unregistered;

    bool none_completed() const {
      return called.got.empty() && published.got.empty() && subscribed.got.empty() &&
             registered.got.empty() && unsubscribed.got.empty() && unregistered.got.empty();
    }
    void expect_failed_with(client_errc code, std::string_view uri) const {
      expect_failed(called.only(), code, uri);
      expect_failed(published.only(), code, uri);
      expect_failed(subscribed.only(), code, uri);
      expect_failed(registered.only(), code, uri);
      expect_failed(unsubscribed.only(), code, uri);
      expect_failed(unregistered.only(), code, uri);
    }
  };

  // Registration 700 (request 1) and subscription 500 (request 2), then requests 3 to 8 left
  // pending: CALL, PUBLISH, SUBSCRIBE, REGISTER, UNSUBSCRIBE of 500, UNREGISTER of 700.
  void leave_pending(EveryKind& every) {
    Registration registration = register_procedure("com.p", 700, nullptr);
    Subscription subscription = subscribe("com.t", 500, nullptr);
    session.call("com.p", {}, {}, {}, every.called.handler());
    session.publish("com.t", {}, {}, PublishOptions{true, {}}, every.published.handler());
    session.subscribe("com.u", {}, nullptr, every.subscribed.handler());
    session.register_procedure("com.q", {}, nullptr, every.registered.handler());
    session.unsubscribe(subscription, every.unsubscribed.handler());
    session.unregister(registration, every.unregistered.handler());
    EXPECT_EQ(link.sent.size(), 6u);
    EXPECT_EQ(last_request(), 8u);
    link.sent.clear();
  }

  // The ABORT a protocol violation sends, and the state it leaves.
  void expect_violation(std::string_view mentions) {
    ASSERT_FALSE(link.sent.empty());
    const Arr& abort = *link.sent.back().if_array();
    ASSERT_EQ(abort.size(), 3u);
    EXPECT_EQ(abort[0], Value(3));
    EXPECT_EQ(abort[2], Value("wamp.error.protocol_violation"));
    const Value* message = abort[1].find("message");
    ASSERT_NE(message, nullptr);
    ASSERT_TRUE(message->is_string());
    EXPECT_TRUE(contains(*message->if_string(), mentions))
        << *message->if_string() << " lacks " << mentions;
    EXPECT_EQ(session.state(), State::closed);
    ASSERT_EQ(listener.ended.size(), 1u);
    expect_error(listener.ended[0], client_errc::protocol_violation,
                 "wamp.error.protocol_violation", mentions);
  }

  FakeLink link;
  FakeListener listener;
  FakeAuthContext auth_context;
  Session session{link, listener, auth_context};
};

}  // namespace test
}  // namespace uvwamp
