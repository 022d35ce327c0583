// Client against a scripted in-process router: what real routers will not send (invalid
// messages, answers to requests never made), faults at exact points (the connection dropped in
// the middle of a call, a GOODBYE never answered), and the client's own promises (every request
// completes once, never inside the call that made it; nothing runs after close's callback; the
// loop closes cleanly). The router speaks RawSocket with JSON, a message at a time, and each
// test scripts its answers.
#include <uvwamp/client.hpp>

#include <gtest/gtest.h>
#include <uvwamp/serializer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scripted_router.hpp"

namespace uvwamp {
namespace {

using test::ClientTest;
using test::RouterPeer;
using test::ScriptedRouter;
using test::TestServer;
using test::type_of;

TEST_F(ClientTest, JoinCallAndLeave) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48) {
      const Value::Array& call = *message.if_array();
      peer.send(
          Value::Array{50, call.at(1), Value::Object{}, call.at(4), Value::Object{{"sum", 5}}});
    }
  };
  Client& client = make();
  WampResult<SessionInfo> joined = join(client);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->session_id, 42u);
  EXPECT_EQ(joined->url, url_);
  EXPECT_EQ(joined->serializer, &json_serializer());
  EXPECT_TRUE(client.is_joined());

  const Value::Array& hello = *router.last().received.at(0).if_array();
  EXPECT_EQ(hello.at(1), Value("realm1"));
  const Value* roles = hello.at(2).find("roles");
  ASSERT_NE(roles, nullptr);
  for (const char* role : {"caller", "callee", "publisher", "subscriber"}) {
    EXPECT_NE(roles->find(role), nullptr) << role;
  }

  std::optional<WampResult<CallResult>> result;
  client.call("com.example.add", {2, 3}, [&](WampResult<CallResult> r) { result.emplace(r); });
  EXPECT_FALSE(result) << "call() called back inside the call";
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_TRUE(*result) << result->error().message;
  EXPECT_EQ((*result)->args, (Value::Array{2, 3}));
  EXPECT_EQ((*result)->kwargs, (Value::Object{{"sum", 5}}));

  std::optional<WampResult<std::string>> left;
  client.leave([&](WampResult<std::string> r) { left.emplace(r); });
  ASSERT_TRUE(run_until([&] { return left.has_value(); }));
  ASSERT_TRUE(*left) << left->error().message;
  EXPECT_EQ(left->value(), "wamp.close.goodbye_and_out");
  EXPECT_FALSE(client.is_joined());
  const std::vector<Value> goodbyes = sent(router.last(), 6);
  ASSERT_EQ(goodbyes.size(), 1u);
  EXPECT_EQ(goodbyes[0].if_array()->at(2), Value("wamp.close.close_realm"));
}

TEST_F(ClientTest, RequestsBeforeJoinFailWithNotJoinedOnALaterTurn) {
  serve();
  Client& client = make();
  std::vector<WampError> errors;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { errors.push_back(r.error()); });
  client.publish("com.example.t", {},
                 [&](WampResult<Publication> r) { errors.push_back(r.error()); });
  client.subscribe(
      "com.example.t", [](const Event&) {},
      [&](WampResult<Subscription> r) { errors.push_back(r.error()); });
  client.register_procedure(
      "com.example.f", [](Invocation) {},
      [&](WampResult<Registration> r) { errors.push_back(r.error()); });
  client.leave([&](WampResult<std::string> r) { errors.push_back(r.error()); });
  EXPECT_TRUE(errors.empty()) << "a handler ran inside the call that made the request: "
                              << errors.at(0).uri;
  ASSERT_TRUE(run_until([&] { return errors.size() == 5; }));
  for (const WampError& error : errors) {
    EXPECT_EQ(error.code, client_errc::not_joined);
    EXPECT_EQ(error.uri, "uvwamp.error.not_joined");
  }
}

TEST_F(ClientTest, AbortInAnswerToHelloRefusesTheJoin) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1) {
      peer.send(
          Value::Array{3, Value::Object{{"message", "no such realm"}}, "wamp.error.no_such_realm"});
    }
  };
  Client& client = make();
  WampResult<SessionInfo> joined = join(client);
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, client_errc::wamp_error);
  EXPECT_EQ(joined.error().uri, "wamp.error.no_such_realm");
  EXPECT_FALSE(client.is_joined());
}

TEST_F(ClientTest, ARouterThatNeverWelcomesFailsTheJoinAfterTheJoinTimeout) {
  // The transport's handshake completes, and then the router says nothing.
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer&, const Value&) {};
  ClientOptions silent = options();
  silent.join_timeout = std::chrono::milliseconds(200);
  Client& client = make(silent);
  WampResult<SessionInfo> joined = join(client);
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, client_errc::timed_out);
  EXPECT_NE(joined.error().message.find("did not answer HELLO within 200 ms"), std::string::npos)
      << joined.error().message;
  EXPECT_FALSE(client.is_joined());
  // The connection is closed, and join() may be tried again.
  ASSERT_TRUE(run_until([&] { return router.last().connection->closed; }));
}

TEST_F(ClientTest, TheNextUrlIsTriedWhenOneFails) {
  // A port that was just free: nothing listens there.
  TestServer& dead = add_server();
  ASSERT_EQ(dead.listen_tcp("127.0.0.1"), 0);
  const std::string dead_url = "rs://127.0.0.1:" + std::to_string(dead.port());
  dead.close();
  serve();
  ClientOptions client_options = options();
  client_options.urls = {dead_url, url_};
  Client& client = make(client_options);
  WampResult<SessionInfo> joined = join(client);
  ASSERT_TRUE(joined) << joined.error().message;
  EXPECT_EQ(joined->url, url_);
}

TEST_F(ClientTest, EveryUrlFailingGivesConnectFailedNamingEach) {
  TestServer& dead = add_server();
  ASSERT_EQ(dead.listen_tcp("127.0.0.1"), 0);
  const std::string dead_url = "rs://127.0.0.1:" + std::to_string(dead.port());
  dead.close();
  run_until([] { return false; }, std::chrono::milliseconds(10));
  ClientOptions client_options;
  client_options.urls = {dead_url, "ws://unix:/nonexistent/uvwamp.sock"};
  client_options.realm = "realm1";
  Client& client = make(client_options);
  WampResult<SessionInfo> joined = join(client);
  ASSERT_FALSE(joined);
  EXPECT_EQ(joined.error().code, client_errc::connect_failed);
  EXPECT_NE(joined.error().message.find(dead_url), std::string::npos) << joined.error().message;
  EXPECT_NE(joined.error().message.find("/nonexistent/uvwamp.sock"), std::string::npos);
}

// The router breaks the protocol in one of several ways; each time the client aborts with
// wamp.error.protocol_violation, the pending call completes with protocol_violation, and the
// session-ended handler hears of it.
class ProtocolViolationTest : public ClientTest,
                              public ::testing::WithParamInterface<std::string> {};

TEST_P(ProtocolViolationTest, AbortsAndCompletesWhatIsPending) {
  ScriptedRouter& router = serve();
  const std::string answer = GetParam();
  router.script = [answer](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48) peer.send_raw_json(answer);
  };
  Client& client = make();
  std::optional<WampError> ended;
  client.set_session_ended_handler([&](const WampError& why) { ended = why; });
  ASSERT_TRUE(join(client));
  std::optional<WampResult<CallResult>> result;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  ASSERT_TRUE(run_until([&] { return result.has_value() && ended.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, client_errc::protocol_violation);
  EXPECT_EQ(result->error().uri, "wamp.error.protocol_violation");
  EXPECT_EQ(ended->code, client_errc::protocol_violation);
  EXPECT_FALSE(client.is_joined());

  const std::vector<Value> aborts = sent(router.last(), 3);
  ASSERT_EQ(aborts.size(), 1u);
  EXPECT_EQ(aborts[0].if_array()->at(2), Value("wamp.error.protocol_violation"));
  const Value* why = aborts[0].if_array()->at(1).find("message");
  ASSERT_NE(why, nullptr);
  EXPECT_FALSE(why->if_string()->empty());

  // Nothing is left pending: a new request fails at once with not_joined.
  std::optional<WampResult<CallResult>> after;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { after.emplace(r); });
  ASSERT_TRUE(run_until([&] { return after.has_value(); }));
  EXPECT_EQ(after->error().code, client_errc::not_joined);
}

INSTANTIATE_TEST_SUITE_P(
    Answers, ProtocolViolationTest,
    ::testing::Values(R"([50,9999,{}])",                // RESULT for a request never made
                      R"([50,"one",{}])",               // RESULT with a string request id
                      R"([33,1,77])",                   // SUBSCRIBED for a call
                      R"([2,43,{}])",                   // a second WELCOME
                      R"([48,1,{},"com.example.f"])",   // CALL, which no client receives
                      R"([36,5,6,{}])",                 // EVENT for no subscription
                      R"([68,7,8,{}])",                 // INVOCATION for no registration
                      R"([8,64,1,{},"wamp.error.x"])",  // ERROR of the wrong request type
                      R"({"not":"an array"})",          // not a message at all
                      R"([99,1])"));                    // an unknown message type

TEST_F(ClientTest, ConnectionDroppedInTheMiddleOfACall) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48) peer.drop();
  };
  Client& client = make();
  std::optional<WampError> ended;
  client.set_session_ended_handler([&](const WampError& why) { ended = why; });
  ASSERT_TRUE(join(client));
  std::optional<WampResult<CallResult>> result;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  ASSERT_TRUE(run_until([&] { return result.has_value() && ended.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, client_errc::transport_lost);
  EXPECT_EQ(result->error().uri, "uvwamp.error.transport_lost");
  EXPECT_EQ(ended->code, client_errc::transport_lost);

  // The client can join again, on a new connection.
  WampResult<SessionInfo> again = join(client);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(router.peers().size(), 2u);
}

TEST_F(ClientTest, RouterGoodbyeIsAnsweredAndEndsTheSession) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48) {
      peer.send(Value::Array{6, Value::Object{}, "wamp.close.system_shutdown"});
    }
  };
  Client& client = make();
  std::optional<WampError> ended;
  client.set_session_ended_handler([&](const WampError& why) { ended = why; });
  ASSERT_TRUE(join(client));
  std::optional<WampResult<CallResult>> result;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  ASSERT_TRUE(run_until([&] { return result.has_value() && ended.has_value(); }));
  EXPECT_EQ(result->error().code, client_errc::session_ended);
  EXPECT_EQ(ended->code, client_errc::wamp_error);
  EXPECT_EQ(ended->uri, "wamp.close.system_shutdown");
  const std::vector<Value> goodbyes = sent(router.last(), 6);
  ASSERT_EQ(goodbyes.size(), 1u);
  EXPECT_EQ(goodbyes[0].if_array()->at(2), Value("wamp.close.goodbye_and_out"));
}

TEST_F(ClientTest, UnansweredGoodbyeTimesOut) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    if (type_of(message) == 1) peer.send(Value::Array{2, 42, Value::Object{}});
  };
  ClientOptions client_options = options();
  client_options.goodbye_timeout = std::chrono::milliseconds(50);
  Client& client = make(client_options);
  ASSERT_TRUE(join(client));
  std::optional<WampResult<std::string>> left;
  client.leave([&](WampResult<std::string> r) { left.emplace(r); });
  ASSERT_TRUE(run_until([&] { return left.has_value(); }));
  ASSERT_FALSE(*left);
  EXPECT_EQ(left->error().code, client_errc::timed_out);
  EXPECT_FALSE(client.is_joined());
  (void)router;
}

TEST_F(ClientTest, InvocationAnsweredLaterFromATimer) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 64) {
      const Value& request = message.if_array()->at(1);
      peer.send(Value::Array{65, request, 500});
      peer.send(Value::Array{68, 9, 500, Value::Object{}, Value::Array{1, 2}});
    }
  };
  Client& client = make();
  ASSERT_TRUE(join(client));

  std::optional<Invocation> held;
  std::optional<WampResult<Registration>> registered;
  client.register_procedure(
      "com.example.later", [&](Invocation invocation) { held.emplace(std::move(invocation)); },
      [&](WampResult<Registration> r) { registered.emplace(r); });
  ASSERT_TRUE(run_until([&] { return held.has_value(); }));
  ASSERT_TRUE(registered && *registered);
  EXPECT_EQ((*registered)->id, 500u);
  EXPECT_EQ(held->args, (Value::Array{1, 2}));
  EXPECT_EQ(held->procedure(), "com.example.later");

  uv_timer_t timer;
  uv_timer_init(&loop_, &timer);
  timer.data = &held;
  uv_timer_start(
      &timer,
      [](uv_timer_t* t) {
        auto* invocation = static_cast<std::optional<Invocation>*>(t->data);
        EXPECT_TRUE((*invocation)->yield({3}));
        EXPECT_FALSE((*invocation)->yield({4})) << "an invocation answered twice";
      },
      20, 0);
  ASSERT_TRUE(run_until([&] { return !sent(router.last(), 70).empty(); }));
  bool timer_closed = false;
  timer.data = &timer_closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer),
           [](uv_handle_t* t) { *static_cast<bool*>(t->data) = true; });
  ASSERT_TRUE(run_until([&] { return timer_closed; }));
  const std::vector<Value> yields = sent(router.last(), 70);
  const Value::Array& yield = *yields.at(0).if_array();
  EXPECT_EQ(yield.at(1), Value(9));
  EXPECT_EQ(yield.at(3), Value(Value::Array{3}));
}

TEST_F(ClientTest, CloseCompletesWhatIsPendingBeforeItsCallback) {
  ScriptedRouter& router = serve();
  router.script = ScriptedRouter::welcome_and_goodbye;  // never answers the call
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::vector<std::string> order;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) {
    EXPECT_EQ(r.error().code, client_errc::closed);
    order.push_back("call");
    // A request made from a handler while closing completes too, still before the callback.
    client.publish("com.example.t", {}, [&](WampResult<Publication> p) {
      EXPECT_EQ(p.error().code, client_errc::closed);
      order.push_back("publish");
    });
  });
  bool closed = false;
  client.close([&] {
    order.push_back("closed");
    closed = true;
  });
  EXPECT_TRUE(order.empty()) << "close() ran a callback inside the call";
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(order, (std::vector<std::string>{"call", "publish", "closed"}));
  client.close([&] { ADD_FAILURE() << "a second close() called back"; });
  run_until([] { return false; }, std::chrono::milliseconds(20));
}

TEST_F(ClientTest, DestroyingTheClientCompletesWhatIsPendingAtOnce) {
  serve().script = ScriptedRouter::welcome_and_goodbye;
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::optional<WampError> error;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { error = r.error(); });
  clients_.clear();
  ASSERT_TRUE(error.has_value()) << "the destructor left a request pending";
  EXPECT_EQ(error->code, client_errc::closed);
}

TEST_F(ClientTest, AHandlerMayDestroyTheClient) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48 && message.if_array()->at(3) == Value("com.example.f")) {
      peer.send(Value::Array{50, message.if_array()->at(1), Value::Object{}});
    }
  };
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::unique_ptr<Client> owned = std::move(clients_.back());
  clients_.pop_back();
  std::optional<WampError> unanswered;
  client.call("com.example.never", {}, [&](WampResult<CallResult> r) { unanswered = r.error(); });
  bool destroyed = false;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) {
    EXPECT_TRUE(r);
    owned.reset();
    destroyed = true;
    ASSERT_TRUE(unanswered.has_value()) << "the destructor left a request pending";
    EXPECT_EQ(unanswered->code, client_errc::closed);
  });
  ASSERT_TRUE(run_until([&] { return destroyed; }));
}

// A router whose dealer announces call canceling and timeouts, and answers no call.
void welcome_as_dealer_and_hold_calls(RouterPeer& peer, const Value& message) {
  if (type_of(message) == 1) {
    Value::Object features{{"call_canceling", true}, {"call_timeout", true}};
    peer.send(Value::Array{
        2, 42,
        Value::Object{
            {"roles", Value::Object{{"dealer", Value::Object{{"features", features}}}}}}});
  }
  if (type_of(message) == 6)
    peer.send(Value::Array{6, Value::Object{}, "wamp.close.goodbye_and_out"});
}

TEST_F(ClientTest, AHandlerThatDestroysTheClientAmidALossSeesTheRestCompleteFirst) {
  // The first of many calls failed by a transport loss destroys the client: the destructor's
  // promise holds, so the other calls have completed by the time it returns.
  ScriptedRouter& router = serve();
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::unique_ptr<Client> owned = std::move(clients_.back());
  clients_.pop_back();
  constexpr int calls = 100;
  int completed = 0;
  int completed_after_destruction = 0;
  bool destroyed = false;
  for (int i = 0; i < calls; ++i) {
    client.call("com.example.never", {}, [&](WampResult<CallResult> r) {
      EXPECT_FALSE(r);
      ++completed;
      if (destroyed) ++completed_after_destruction;
      if (owned) {
        owned.reset();
        destroyed = true;
        EXPECT_EQ(completed, calls) << "the destructor returned with calls still pending";
      }
    });
  }
  ASSERT_TRUE(run_until([&] { return router.last().received.size() >= 1 + calls; }));
  router.last().drop();
  ASSERT_TRUE(run_until([&] { return destroyed; }));
  EXPECT_EQ(completed, calls);
  EXPECT_EQ(completed_after_destruction, 0);
}

TEST_F(ClientTest, ACallTimesOutOnTheLoopAndTellsTheRouter) {
  ScriptedRouter& router = serve();
  router.script = welcome_as_dealer_and_hold_calls;
  ClientOptions client_options = options();
  client_options.call_timeout = std::chrono::milliseconds(20);
  Client& client = make(client_options);
  ASSERT_TRUE(join(client));
  std::vector<WampResult<CallResult>> results;
  auto record = [&](WampResult<CallResult> r) { results.push_back(std::move(r)); };
  client.call("com.example.default", {}, record);
  CallOptions own;
  own.timeout = std::chrono::milliseconds(40);
  client.call("com.example.own", {}, {}, own, record);
  ASSERT_TRUE(run_until([&] { return results.size() == 2; }));
  for (const auto& result : results) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, client_errc::timed_out);
    EXPECT_EQ(result.error().uri, "wamp.error.timeout");
  }
  EXPECT_NE(results[0].error().message.find("20 ms"), std::string::npos);
  EXPECT_NE(results[1].error().message.find("40 ms"), std::string::npos);
  const std::vector<Value> calls = sent(router.last(), 48);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].if_array()->at(2), Value(Value::Object{{"timeout", 20}}));
  EXPECT_EQ(calls[1].if_array()->at(2), Value(Value::Object{{"timeout", 40}}));
  ASSERT_TRUE(run_until([&] { return sent(router.last(), 49).size() == 2; }));
  EXPECT_EQ(sent(router.last(), 49)[0].if_array()->at(2),
            Value(Value::Object{{"mode", "killnowait"}}));
}

TEST_F(ClientTest, CancelCompletesTheCallOnALaterTurn) {
  ScriptedRouter& router = serve();
  router.script = welcome_as_dealer_and_hold_calls;
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::optional<WampResult<CallResult>> result;
  CallRequest request =
      client.call("com.example.slow", {}, [&](WampResult<CallResult> r) { result.emplace(r); });
  EXPECT_EQ(request.request_id, 1u);
  ASSERT_TRUE(client.cancel(request, CancelMode::skip));
  EXPECT_FALSE(result) << "cancel() completed the call inside the call";
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_FALSE(*result);
  EXPECT_EQ(result->error().code, client_errc::canceled);
  EXPECT_FALSE(client.cancel(request, CancelMode::skip)) << "canceled twice";
  ASSERT_TRUE(run_until([&] { return sent(router.last(), 49).size() == 1; }));
  EXPECT_EQ(sent(router.last(), 49)[0],
            Value(Value::Array{49, 1, Value::Object{{"mode", "skip"}}}));
}

TEST_F(ClientTest, CancelAndContinueAfterCloseSayClosed) {
  ScriptedRouter& router = serve();
  router.script = welcome_as_dealer_and_hold_calls;
  Client& client = make();
  ASSERT_TRUE(join(client));
  CallRequest request = client.call("com.example.slow", {}, nullptr);
  bool closed = false;
  client.close([&] { closed = true; });
  WampStatus canceled = client.cancel(request, CancelMode::kill);
  ASSERT_FALSE(canceled);
  EXPECT_EQ(canceled.error().code, client_errc::closed);
  WampStatus continued = client.continue_call(request, {}, {}, false);
  ASSERT_FALSE(continued);
  EXPECT_EQ(continued.error().code, client_errc::closed);
  ASSERT_TRUE(run_until([&] { return closed; }));
  (void)router;
}

TEST_F(ClientTest, AThrowingHandlerIsReportedAndTheClientGoesOn) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 48)
      peer.send(Value::Array{50, message.if_array()->at(1), Value::Object{}});
  };
  std::vector<std::string> reported;
  ClientOptions client_options = options();
  client_options.on_handler_exception = [&](std::exception_ptr thrown) {
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      reported.push_back(e.what());
    }
  };
  Client& client = make(client_options);
  ASSERT_TRUE(join(client));
  // From the router's message, and from a deferred completion (a call refused at once).
  client.call("com.example.f", {}, [](WampResult<CallResult>) { throw std::runtime_error("one"); });
  client.call("not a uri", {}, [](WampResult<CallResult>) { throw std::runtime_error("two"); });
  ASSERT_TRUE(run_until([&] { return reported.size() == 2; }));
  std::sort(reported.begin(), reported.end());
  EXPECT_EQ(reported, (std::vector<std::string>{"one", "two"}));
  std::optional<WampResult<CallResult>> after;
  client.call("com.example.f", {}, [&](WampResult<CallResult> r) { after.emplace(r); });
  ASSERT_TRUE(run_until([&] { return after.has_value(); }));
  EXPECT_TRUE(*after);
  EXPECT_TRUE(client.is_joined());
}

TEST_F(ClientTest, AnInterruptReachesTheInvocationThroughTheLoop) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 64) {
      peer.send(Value::Array{65, message.if_array()->at(1), 500});
      peer.send(Value::Array{68, 9, 500, Value::Object{}});
      peer.send(Value::Array{69, 9, Value::Object{{"mode", "kill"}}});
    }
  };
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::optional<Invocation> held;
  client.register_procedure(
      "com.example.long", [&](Invocation invocation) { held.emplace(std::move(invocation)); },
      nullptr);
  ASSERT_TRUE(run_until([&] { return held && held->interrupted(); }));
  EXPECT_TRUE(held->cancellation().canceled());
  ASSERT_TRUE(run_until([&] { return !sent(router.last(), 8).empty(); }));
  EXPECT_EQ(sent(router.last(), 8)[0].if_array()->at(4), Value("wamp.error.canceled"));
}

TEST_F(ClientTest, ProgressRevocationAndInterruptInterleaved) {
  // One burst from the router: a progressive result, a revocation, an INTERRUPT for an
  // invocation of the revoked registration, the final result, and a revocation of nothing.
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 64) {
      peer.send(Value::Array{65, message.if_array()->at(1), 500});
      peer.send(Value::Array{68, 9, 500, Value::Object{}});
    }
    if (type_of(message) == 48) {
      const Value& request = message.if_array()->at(1);
      peer.send(Value::Array{50, request, Value::Object{{"progress", true}}, Value::Array{1}});
      peer.send(Value::Array{
          67, 0, Value::Object{{"registration", 500}, {"reason", "wamp.error.unregistered"}}});
      peer.send(Value::Array{69, 9, Value::Object{{"mode", "killnowait"}}});
      peer.send(Value::Array{50, request, Value::Object{}, Value::Array{2}});
      peer.send(Value::Array{67, 0, Value::Object{{"registration", 501}}});
    }
  };
  Client& client = make();
  ASSERT_TRUE(join(client));
  std::optional<Invocation> held;
  std::vector<std::string> revoked;
  RegisterOptions options;
  options.on_revoked = [&](const Registration& registration, const std::string& reason) {
    revoked.push_back(registration.procedure + " " + reason);
  };
  std::optional<WampResult<Registration>> registered;
  client.register_procedure(
      "com.example.held", options,
      [&](Invocation invocation) { held.emplace(std::move(invocation)); },
      [&](WampResult<Registration> r) { registered.emplace(r); });
  ASSERT_TRUE(run_until([&] { return held.has_value() && registered.has_value(); }));
  std::vector<Value::Array> progress;
  std::optional<WampResult<CallResult>> result;
  CallOptions call_options;
  call_options.on_progress = [&](const CallResult& part) { progress.push_back(part.args); };
  client.call("com.example.stream", {}, {}, call_options,
              [&](WampResult<CallResult> r) { result.emplace(r); });
  ASSERT_TRUE(run_until([&] { return result.has_value(); }));
  ASSERT_TRUE(*result);
  EXPECT_EQ((*result)->args, (Value::Array{2}));
  EXPECT_EQ(progress, (std::vector<Value::Array>{{1}}));
  EXPECT_EQ(revoked, (std::vector<std::string>{"com.example.held wamp.error.unregistered"}));
  EXPECT_TRUE(held->interrupted());
  EXPECT_FALSE(held->yield());
  ASSERT_TRUE(run_until([&] { return !sent(router.last(), 8).empty(); }));
  EXPECT_EQ(sent(router.last(), 8)[0].if_array()->at(4), Value("wamp.error.canceled"));
  EXPECT_TRUE(client.is_joined());
}

// Backpressure: while the router reads nothing, publications pile up past the high-water mark
// and the client says so; once the router reads again and the queue is empty it says so again,
// and every publication arrives, in order.
TEST_F(ClientTest, SendPressureRisesAndFallsWithTheWriteQueue) {
  ScriptedRouter& router = serve();
  ClientOptions pressured = options();
  pressured.write_queue_high_water = 256 * 1024;
  std::vector<bool> pressure;
  pressured.on_send_pressure = [&](bool congested) { pressure.push_back(congested); };
  Client& client = make(std::move(pressured));
  ASSERT_TRUE(join(client));
  router.last().connection->stop_reading();

  const std::string chunk(64 * 1024, 'x');
  int published = 0;
  while (pressure.empty() && published < 400) {
    client.publish("com.example.t", {published, chunk}, nullptr);
    ++published;
    if (client.queued_bytes() > 256 * 1024) run_until([&] { return !pressure.empty(); });
  }
  ASSERT_EQ(pressure, std::vector<bool>{true});
  EXPECT_GT(client.queued_bytes(), 256u * 1024);

  router.last().connection->start_reading();
  ASSERT_TRUE(run_until([&] { return pressure.size() == 2; }));
  EXPECT_EQ(pressure, (std::vector<bool>{true, false}));
  EXPECT_EQ(client.queued_bytes(), 0u);
  ASSERT_TRUE(run_until([&] { return sent(router.last(), 16).size() == std::size_t(published); }));
  const std::vector<Value> publications = sent(router.last(), 16);
  for (int i = 0; i < published; ++i) {
    EXPECT_EQ(publications[i].if_array()->at(4).if_array()->at(0), Value(i));
  }
}

// Every request times out on the loop: here an UNREGISTER the router never answers, with the
// request's own timeout, and a SUBSCRIBE with ClientOptions::request_timeout.
TEST_F(ClientTest, RequestsTimeOutOnTheLoop) {
  ScriptedRouter& router = serve();
  router.script = [](RouterPeer& peer, const Value& message) {
    ScriptedRouter::welcome_and_goodbye(peer, message);
    if (type_of(message) == 64) peer.send(Value::Array{65, message.if_array()->at(1), 700});
  };
  ClientOptions timed = options();
  timed.request_timeout = std::chrono::milliseconds(80);
  Client& client = make(std::move(timed));
  ASSERT_TRUE(join(client));
  std::optional<WampResult<Registration>> registered;
  client.register_procedure("com.p", nullptr,
                            [&](WampResult<Registration> r) { registered.emplace(r); });
  ASSERT_TRUE(run_until([&] { return registered.has_value(); }));
  std::optional<WampStatus> unregistered;
  std::optional<WampResult<Subscription>> subscribed;
  client.unregister(
      registered->value(), [&](WampStatus s) { unregistered.emplace(s); },
      std::chrono::milliseconds(30));
  client.subscribe("com.t", nullptr, [&](WampResult<Subscription> r) { subscribed.emplace(r); });
  ASSERT_TRUE(run_until([&] { return unregistered.has_value(); }));
  EXPECT_FALSE(subscribed.has_value()) << "the subscribe's longer timeout passed first";
  EXPECT_EQ(unregistered->error().code, client_errc::timed_out);
  EXPECT_NE(unregistered->error().message.find("within 30 ms"), std::string::npos);
  ASSERT_TRUE(run_until([&] { return subscribed.has_value(); }));
  EXPECT_EQ(subscribed->error().code, client_errc::timed_out);
  EXPECT_NE(subscribed->error().message.find("within 80 ms"), std::string::npos);
  EXPECT_TRUE(client.is_joined());
}

}  // namespace
}  // namespace uvwamp
