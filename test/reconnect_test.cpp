// The client's reconnect against the scripted router: events in order, registrations and
// subscriptions restored under the router's new ids with the handles the application holds,
// requests in flight failed and never sent again, requests made while reconnecting failing at
// once or waiting, URLs tried in rotation, attempt limits, authentication refusals that end the
// cycle, router reasons that do and do not lead to a reconnect, and close() or leave() in each
// phase of a reconnect.
#include <uvwamp/client.hpp>
#include <uvwamp/reconnect.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "scripted_router.hpp"

namespace uvwamp::test {
namespace {

using std::chrono::milliseconds;

// What the reconnect events said, in order, as words: "disconnected", "reconnecting 1", ...
struct EventLog {
  std::vector<std::string> said;
  std::vector<RestoreReport> rejoins;
  std::vector<RestoreFailure> failures;
  std::optional<WampError> given_up;
  std::optional<WampError> ended;

  void attach(ClientOptions& options) {
    ReconnectOptions& reconnect = options.reconnect;
    reconnect.on_disconnected = [this](const WampError&) { said.push_back("disconnected"); };
    reconnect.on_reconnecting = [this](unsigned attempt, milliseconds) {
      said.push_back("reconnecting " + std::to_string(attempt));
    };
    reconnect.on_rejoined = [this](const SessionInfo&, const RestoreReport& report) {
      said.push_back("rejoined");
      rejoins.push_back(report);
    };
    reconnect.on_restore_failed = [this](const RestoreFailure& failure) {
      said.push_back("restore failed");
      failures.push_back(failure);
    };
    reconnect.on_given_up = [this](const WampError& why) {
      said.push_back("given up");
      given_up = why;
    };
  }
  void watch_end(Client& client) {
    client.set_session_ended_handler([this](const WampError& why) {
      said.push_back("ended");
      ended = why;
    });
  }
};

// A router that welcomes, registers and subscribes with ids counting up from 700 and 500 on
// each connection, and answers whatever else the test's `extra` handles.
struct CountingRouter {
  Id next_registration = 700;
  Id next_subscription = 500;
  std::function<bool(RouterPeer&, const Value&)> extra;

  void operator()(RouterPeer& peer, const Value& message) {
    if (extra && extra(peer, message)) return;
    ScriptedRouter::welcome_and_goodbye(peer, message);
    const Value& request = message.if_array()->at(1);
    switch (type_of(message)) {
      case 64:
        peer.send(Value::Array{65, request, next_registration++});
        break;
      case 66:
        peer.send(Value::Array{67, request});
        break;
      case 32:
        peer.send(Value::Array{33, request, next_subscription++});
        break;
      case 34:
        peer.send(Value::Array{35, request});
        break;
    }
  }
};

class ReconnectTest : public ClientTest {
 protected:
  ClientOptions reconnecting_options() {
    ClientOptions made = options();
    made.reconnect.enabled = true;
    made.reconnect.initial_delay = milliseconds(20);
    made.reconnect.max_delay = milliseconds(40);
    made.reconnect.jitter = 0.0;
    log.attach(made);
    return made;
  }
  Client& make_reconnecting(ClientOptions made) {
    Client& client = make(std::move(made));
    log.watch_end(client);
    return client;
  }
  bool said(const std::string& word) const {
    for (const std::string& each : log.said) {
      if (each == word) return true;
    }
    return false;
  }

  EventLog log;
};

TEST_F(ReconnectTest, ALostSessionComesBackWithItsRegistrationsAndSubscriptions) {
  ScriptedRouter& router = serve();
  CountingRouter counting;
  router.script = [&](RouterPeer& peer, const Value& message) { counting(peer, message); };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));

  std::vector<Value> invoked;
  std::vector<Id> events;
  std::optional<WampResult<Registration>> registered;
  RegisterOptions register_options;
  register_options.invoke = InvokePolicy::roundrobin;
  client.register_procedure(
      "com.p", register_options,
      [&](Invocation invocation) {
        invoked.push_back(invocation.args.at(0));
        invocation.yield();
      },
      [&](WampResult<Registration> r) { registered.emplace(r); });
  std::optional<WampResult<Subscription>> subscribed;
  client.subscribe(
      "com.t", [&](const Event& event) { events.push_back(event.publication); },
      [&](WampResult<Subscription> r) { subscribed.emplace(r); });
  ASSERT_TRUE(run_until([&] { return registered && subscribed; }));
  ASSERT_TRUE(*registered);
  ASSERT_TRUE(*subscribed);

  router.last().drop();
  ASSERT_TRUE(run_until([&] { return !log.rejoins.empty(); }));
  EXPECT_EQ(log.said, (std::vector<std::string>{"disconnected", "reconnecting 1", "rejoined"}));
  EXPECT_FALSE(log.ended) << "a session that comes back did not end";
  EXPECT_TRUE(client.is_joined());
  ASSERT_EQ(router.peers().size(), 2u);
  RouterPeer& second = router.last();
  const std::vector<Value> registers = sent(second, 64);
  ASSERT_EQ(registers.size(), 1u);
  EXPECT_EQ(registers[0].if_array()->at(2), Value(Value::Object{{"invoke", "roundrobin"}}));
  EXPECT_EQ(sent(second, 32).size(), 1u);
  const RestoreReport& report = log.rejoins[0];
  ASSERT_EQ(report.registrations.size(), 1u);
  EXPECT_EQ(report.registrations[0].id, 701u);
  EXPECT_EQ(report.registrations[0].local_id, registered->value().local_id);
  ASSERT_EQ(report.subscriptions.size(), 1u);
  EXPECT_EQ(report.subscriptions[0].id, 501u);

  // The first handlers answer under the new ids.
  second.send(Value::Array{68, 1, 701, Value::Object{}, Value::Array{"again"}});
  second.send(Value::Array{36, 501, 9, Value::Object{}});
  ASSERT_TRUE(run_until([&] { return invoked.size() == 1 && events.size() == 1; }));
  EXPECT_EQ(invoked[0], Value("again"));
  EXPECT_EQ(events[0], 9u);
  ASSERT_TRUE(run_until([&] { return sent(second, 70).size() == 1; }));

  // The handles the application kept name them still.
  std::optional<WampStatus> unregistered;
  client.unregister(registered->value(), [&](WampStatus s) { unregistered.emplace(s); });
  ASSERT_TRUE(run_until([&] { return unregistered.has_value(); }));
  EXPECT_TRUE(*unregistered);
  const std::vector<Value> unregisters = sent(second, 66);
  ASSERT_EQ(unregisters.size(), 1u);
  EXPECT_EQ(unregisters[0].if_array()->at(2), Value(701));
}

TEST_F(ReconnectTest, RequestsInFlightFailAndAreNeverSentAgain) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48) peer.drop();
  };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));
  std::optional<WampResult<CallResult>> result;
  client.call("com.p", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  ASSERT_TRUE(run_until([&] { return result.has_value() && !log.rejoins.empty(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, client_errc::transport_lost);
  EXPECT_TRUE(sent(router.last(), 48).empty());
}

TEST_F(ReconnectTest, RequestsWhileReconnectingFailAtOnceByDefault) {
  ScriptedRouter& router = serve();
  int hellos = 0;
  router.script = [&](RouterPeer& peer, const Value& message) {
    // The second HELLO is refused, so the client stays reconnecting.
    if (type_of(message) == 1 && ++hellos > 1) {
      peer.send(Value::Array{3, Value::Object{}, "wamp.error.no_such_realm"});
      return;
    }
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.initial_delay = made.reconnect.max_delay = milliseconds(200);
  Client& client = make_reconnecting(made);
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return said("reconnecting 1"); }));
  std::optional<WampResult<CallResult>> result;
  client.call("com.p", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  EXPECT_FALSE(result) << "called back inside call()";
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, client_errc::not_joined);
  EXPECT_NE(result->error().message.find("reconnecting"), std::string::npos)
      << result->error().message;
}

TEST_F(ReconnectTest, RequestsMayWaitForTheRejoin) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 16) {
      peer.send(Value::Array{17, message.if_array()->at(1), 1234});
    }
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.initial_delay = made.reconnect.max_delay = milliseconds(100);
  made.reconnect.request_wait = milliseconds(5000);
  Client& client = make_reconnecting(made);
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return said("reconnecting 1"); }));
  std::optional<WampResult<Publication>> published;
  client.publish("com.t", {1}, {}, PublishOptions{true, {}},
                 [&](WampResult<Publication> r) { published.emplace(r); });
  ASSERT_TRUE(run_until([&] { return published.has_value(); }));
  ASSERT_TRUE(*published) << published->error().message;
  EXPECT_EQ(published->value().id, 1234u);
  EXPECT_EQ(sent(router.last(), 16).size(), 1u);
}

TEST_F(ReconnectTest, AWaitingRequestTimesOutWhenTheRejoinTakesTooLong) {
  ScriptedRouter& router = serve();
  int hellos = 0;
  router.script = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1 && ++hellos > 1) {
      peer.send(Value::Array{3, Value::Object{}, "wamp.error.no_such_realm"});
      return;
    }
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.request_wait = milliseconds(150);
  Client& client = make_reconnecting(made);
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return said("reconnecting 1"); }));
  std::optional<WampStatus> unsubscribed;
  client.unsubscribe(Subscription{}, [&](WampStatus s) { unsubscribed.emplace(s); });
  ASSERT_TRUE(run_until([&] { return unsubscribed.has_value(); }));
  ASSERT_FALSE(*unsubscribed);
  EXPECT_EQ(unsubscribed->error().code, client_errc::timed_out);
  EXPECT_NE(unsubscribed->error().message.find("did not rejoin within 150 ms"), std::string::npos)
      << unsubscribed->error().message;
}

TEST_F(ReconnectTest, TheClientGivesUpAfterMaxAttempts) {
  ScriptedRouter& router = serve();
  int hellos = 0;
  router.script = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1 && ++hellos > 1) {
      peer.send(Value::Array{3, Value::Object{}, "wamp.error.no_such_realm"});
      return;
    }
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.max_attempts = 3;
  Client& client = make_reconnecting(made);
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return log.ended.has_value(); }));
  EXPECT_EQ(log.said, (std::vector<std::string>{"disconnected", "reconnecting 1", "reconnecting 2",
                                                "reconnecting 3", "given up", "ended"}));
  EXPECT_EQ(hellos, 4);
  EXPECT_EQ(log.given_up->uri, "wamp.error.no_such_realm");
  EXPECT_EQ(log.ended->uri, "wamp.error.no_such_realm");
  EXPECT_FALSE(client.is_joined());

  // join() starts afresh, and nothing of the old session is registered again.
  hellos = 0;
  ASSERT_TRUE(join(client));
  EXPECT_TRUE(sent(router.last(), 64).empty());
}

TEST_F(ReconnectTest, AnAuthenticationRefusalEndsTheCycleAtOnce) {
  ScriptedRouter& router = serve();
  int hellos = 0;
  router.script = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1 && ++hellos > 1) {
      peer.send(Value::Array{3, Value::Object{}, "wamp.error.not_authorized"});
      return;
    }
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return log.ended.has_value(); }));
  EXPECT_EQ(log.said,
            (std::vector<std::string>{"disconnected", "reconnecting 1", "given up", "ended"}));
  EXPECT_EQ(log.ended->uri, "wamp.error.not_authorized");
}

TEST_F(ReconnectTest, ARouterShutdownLeadsToAReconnectAndOtherReasonsDoNot) {
  ScriptedRouter& router = serve();
  std::string reason = "wamp.close.system_shutdown";
  router.script = [&](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 16) peer.send(Value::Array{6, Value::Object{}, reason});
  };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));
  client.publish("com.t", {}, nullptr);
  ASSERT_TRUE(run_until([&] { return said("rejoined"); }));
  EXPECT_FALSE(log.ended);

  reason = "wamp.close.killed";
  client.publish("com.t", {}, nullptr);
  ASSERT_TRUE(run_until([&] { return log.ended.has_value(); }));
  EXPECT_EQ(log.ended->uri, "wamp.close.killed");
  EXPECT_EQ(log.said,
            (std::vector<std::string>{"disconnected", "reconnecting 1", "rejoined", "ended"}));
}

TEST_F(ReconnectTest, WhatCannotBeRestoredIsReported) {
  ScriptedRouter& router = serve();
  CountingRouter counting;
  int registers = 0;
  counting.extra = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) != 64 || ++registers != 3) return false;
    // The second restore of com.a finds it taken.
    peer.send(Value::Array{8, 64, message.if_array()->at(1), Value::Object{},
                           "wamp.error.procedure_already_exists"});
    return true;
  };
  router.script = [&](RouterPeer& peer, const Value& message) { counting(peer, message); };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));
  std::vector<Registration> registered;
  for (const char* procedure : {"com.a", "com.b"}) {
    client.register_procedure(procedure, nullptr,
                              [&](WampResult<Registration> r) { registered.push_back(r.value()); });
  }
  ASSERT_TRUE(run_until([&] { return registered.size() == 2; }));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return !log.rejoins.empty(); }));
  EXPECT_EQ(log.said, (std::vector<std::string>{"disconnected", "reconnecting 1", "restore failed",
                                                "rejoined"}));
  ASSERT_EQ(log.failures.size(), 1u);
  EXPECT_EQ(std::get<Registration>(log.failures[0].what).procedure, "com.a");
  EXPECT_EQ(log.failures[0].error.uri, "wamp.error.procedure_already_exists");
  ASSERT_EQ(log.rejoins[0].registrations.size(), 1u);
  EXPECT_EQ(log.rejoins[0].registrations[0].procedure, "com.b");
  EXPECT_EQ(log.rejoins[0].failed.size(), 1u);
}

TEST_F(ReconnectTest, EachAttemptBeginsWithTheNextUrl) {
  ScriptedRouter& first = serve();
  const std::string first_url = url_;
  ScriptedRouter& second = serve();
  const std::string second_url = url_;
  ClientOptions made = reconnecting_options();
  made.urls = {first_url, second_url};
  std::vector<std::string> joined_urls;
  made.reconnect.on_rejoined = [&](const SessionInfo& session, const RestoreReport&) {
    joined_urls.push_back(session.url);
  };
  Client& client = make_reconnecting(made);
  WampResult<SessionInfo> joined = join(client);
  ASSERT_TRUE(joined);
  EXPECT_EQ(joined.value().url, first_url);
  first.last().drop();
  ASSERT_TRUE(run_until([&] { return joined_urls.size() == 1; }));
  EXPECT_EQ(joined_urls[0], second_url);
  second.last().drop();
  ASSERT_TRUE(run_until([&] { return joined_urls.size() == 2; }));
  EXPECT_EQ(joined_urls[1], first_url);
}

TEST_F(ReconnectTest, AFirstJoinIsRetriedWhenAsked) {
  ScriptedRouter& router = serve();
  int hellos = 0;
  router.script = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1 && ++hellos <= 2) {
      peer.send(Value::Array{3, Value::Object{}, "wamp.error.no_such_realm"});
      return;
    }
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.retry_first_join = true;
  Client& client = make_reconnecting(made);
  WampResult<SessionInfo> joined = join(client);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(hellos, 3);
  EXPECT_EQ(log.said, (std::vector<std::string>{"reconnecting 1", "reconnecting 2"}));

  // Without it, the first failure is join()'s.
  hellos = 0;
  ClientOptions once = reconnecting_options();
  Client& other = make(once);
  WampResult<SessionInfo> refused = join(other);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().uri, "wamp.error.no_such_realm");
  EXPECT_EQ(hellos, 1);
}

TEST_F(ReconnectTest, CloseStopsReconnectingInEachPhase) {
  ScriptedRouter& router = serve();
  bool answer_hello = true;
  router.script = [&](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1 && !answer_hello) return;  // the rejoin hangs in HELLO
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  ClientOptions made = reconnecting_options();
  made.reconnect.initial_delay = made.reconnect.max_delay = milliseconds(300);
  made.reconnect.request_wait = milliseconds(10'000);

  // While waiting for the next attempt: a request waiting for the rejoin fails with closed.
  {
    Client& client = make_reconnecting(made);
    ASSERT_TRUE(join(client));
    router.last().drop();
    ASSERT_TRUE(run_until([&] { return said("reconnecting 1"); }));
    std::optional<WampResult<CallResult>> result;
    client.call("com.p", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
    bool closed = false;
    client.close([&] { closed = true; });
    ASSERT_TRUE(run_until([&] { return closed; }));
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->error().code, client_errc::closed);
    const std::size_t peers = router.peers().size();
    run_until([] { return false; }, milliseconds(400));
    EXPECT_EQ(router.peers().size(), peers) << "an attempt after close()";
  }
  // While restoring: the router never answers the REGISTER that brings the registration back.
  {
    log = {};
    answer_hello = true;
    bool restoring = false;
    router.script = [&](RouterPeer& peer, const Value& message) {
      if (type_of(message) == 64 && restoring) return;
      ScriptedRouter::welcome_and_goodbye(peer, message);
      if (type_of(message) == 64) {
        peer.send(Value::Array{65, message.if_array()->at(1), 700});
      }
    };
    Client& client = make_reconnecting(made);
    ASSERT_TRUE(join(client));
    std::optional<WampResult<Registration>> registered;
    client.register_procedure("com.p", nullptr,
                              [&](WampResult<Registration> r) { registered.emplace(r); });
    ASSERT_TRUE(run_until([&] { return registered.has_value(); }));
    restoring = true;
    const std::size_t peers = router.peers().size();
    router.last().drop();
    ASSERT_TRUE(run_until(
        [&] { return router.peers().size() == peers + 1 && !sent(router.last(), 64).empty(); }));
    bool closed = false;
    client.close([&] { closed = true; });
    ASSERT_TRUE(run_until([&] { return closed; }));
    EXPECT_FALSE(said("rejoined"));
    EXPECT_FALSE(log.ended) << "close() ends the session without the session-ended handler";
  }
  // While joining again.
  {
    log = {};
    router.script = [&](RouterPeer& peer, const Value& message) {
      if (type_of(message) == 1 && !answer_hello) return;
      ScriptedRouter::welcome_and_goodbye(peer, message);
    };
    Client& client = make_reconnecting(made);
    ASSERT_TRUE(join(client));
    answer_hello = false;
    const std::size_t peers = router.peers().size();
    router.last().drop();
    ASSERT_TRUE(run_until(
        [&] { return router.peers().size() == peers + 1 && !router.last().received.empty(); }));
    bool closed = false;
    client.close([&] { closed = true; });
    ASSERT_TRUE(run_until([&] { return closed; }));
    EXPECT_FALSE(said("rejoined"));
  }
}

// leave() is the application's end of the session: a connection lost before the router's
// GOODBYE completes the leave, and nothing reconnects.
TEST_F(ReconnectTest, AConnectionLostWhileLeavingIsNotBroughtBack) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 6) return peer.drop();  // no GOODBYE back
    ScriptedRouter::welcome_and_goodbye(peer, message);
  };
  Client& client = make_reconnecting(reconnecting_options());
  ASSERT_TRUE(join(client));
  client.register_procedure("com.p", nullptr, nullptr);
  std::optional<WampResult<std::string>> left;
  client.leave([&](WampResult<std::string> r) { left.emplace(r); });
  ASSERT_TRUE(run_until([&] { return left.has_value(); }));
  EXPECT_EQ(left->error().code, client_errc::transport_lost) << left->error().message;
  run_until([] { return false; }, milliseconds(100));
  EXPECT_EQ(router.peers().size(), 1u) << "the client reconnected after leave()";
  EXPECT_FALSE(said("disconnected"));
  EXPECT_FALSE(said("reconnecting 1"));
}

TEST_F(ReconnectTest, LeaveWhileReconnectingStopsIt) {
  ScriptedRouter& router = serve();
  ClientOptions made = reconnecting_options();
  made.reconnect.initial_delay = made.reconnect.max_delay = milliseconds(300);
  Client& client = make_reconnecting(made);
  ASSERT_TRUE(join(client));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return said("reconnecting 1"); }));
  std::optional<WampResult<std::string>> left;
  client.leave([&](WampResult<std::string> r) { left.emplace(r); });
  ASSERT_TRUE(run_until([&] { return left.has_value(); }));
  EXPECT_EQ(left->error().code, client_errc::not_joined);
  const std::size_t peers = router.peers().size();
  run_until([] { return false; }, milliseconds(400));
  EXPECT_EQ(router.peers().size(), peers);
  // The client may join again.
  ASSERT_TRUE(join(client));
}

}  // namespace
}  // namespace uvwamp::test
