// The timeouts of the session's requests other than calls and joins (those are in caller_test
// and session_test): an acknowledged PUBLISH, SUBSCRIBE, UNSUBSCRIBE, REGISTER and UNREGISTER
// each complete once with timed_out when their time passes on fake time, and the router's late
// answer is taken without a protocol violation; a registration or subscription the router makes
// after its request timed out is dropped again at once.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "session/session.hpp"
#include "session_test_support.hpp"

namespace uvwamp {
namespace {

using namespace test;
using std::chrono::milliseconds;

class RequestTimeoutTest : public SessionTest {
 protected:
  void advance(milliseconds by) {
    link.time += by;
    session.expire(link.time);
    link.run_deferred();
  }
  void expect_still_joined() {
    EXPECT_EQ(session.state(), State::established);
    EXPECT_TRUE(listener.ended.empty());
  }
};

TEST_F(RequestTimeoutTest, AcknowledgedPublishTimesOutAndItsLateAnswerIsDropped) {
  join_session();
  PublishOutcomes published;
  PublishOptions options{true, {}, milliseconds(300)};
  session.publish("com.t", {}, {}, options, published.handler());
  const Id request = last_request();
  ASSERT_EQ(session.next_deadline(), link.time + milliseconds(300));
  advance(milliseconds(299));
  EXPECT_TRUE(published.got.empty());
  advance(milliseconds(1));
  expect_failed(published.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "PUBLISH com.t was not answered within 300 ms");
  EXPECT_FALSE(session.next_deadline().has_value());
  receive(m({17, request, 4242}));
  EXPECT_EQ(published.got.size(), 1u);
  expect_still_joined();
}

TEST_F(RequestTimeoutTest, AnAnswerInTimeDisarmsTheDeadline) {
  join_session();
  PublishOutcomes published;
  session.publish("com.t", {}, {}, PublishOptions{true, {}, milliseconds(300)},
                  published.handler());
  receive(m({17, last_request(), 4242}));
  EXPECT_FALSE(session.next_deadline().has_value());
  advance(milliseconds(1000));
  ASSERT_TRUE(published.only().ok());
  EXPECT_EQ(published.only().value().id, 4242u);
}

TEST_F(RequestTimeoutTest, NoTimeoutMeansNoDeadline) {
  join_session();
  session.publish("com.t", {}, {}, PublishOptions{true, {}, milliseconds(0)}, nullptr);
  session.subscribe("com.t", {}, nullptr, nullptr);
  session.register_procedure("com.p", {}, nullptr, nullptr);
  EXPECT_FALSE(session.next_deadline().has_value());
}

TEST_F(RequestTimeoutTest, RegisterTimesOutAndALateRegistrationIsUnregistered) {
  join_session();
  RegisterOutcomes registered;
  int invoked = 0;
  RegisterOptions options;
  options.timeout = milliseconds(500);
  session.register_procedure(
      "com.p", options, [&](Invocation) { ++invoked; }, registered.handler());
  const Id request = last_request();
  link.sent.clear();
  advance(milliseconds(500));
  expect_failed(registered.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "REGISTER com.p was not answered within 500 ms");

  // The router registered it after all: it is unregistered at once, and a call that reaches it
  // meanwhile is refused, not handed to the handler.
  receive(m({65, request, 700}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0], m({66, last_request(), 700}));
  const Id unregister = last_request();
  receive(m({68, 9, 700, Obj{}}));
  EXPECT_EQ(invoked, 0);
  EXPECT_EQ(link.sent.back(), m({8, 68, 9, Obj{}, "wamp.error.no_such_registration"}));
  receive(m({67, unregister}));
  link.run_deferred();
  EXPECT_EQ(registered.got.size(), 1u);
  expect_still_joined();

  // Registering the procedure again is not refused as a duplicate of the abandoned request.
  RegisterOutcomes again;
  session.register_procedure("com.p", {}, nullptr, again.handler());
  receive(m({65, last_request(), 701}));
  EXPECT_TRUE(again.only().ok());
}

TEST_F(RequestTimeoutTest, ALateRegisterErrorIsDropped) {
  join_session();
  RegisterOutcomes registered;
  RegisterOptions options;
  options.timeout = milliseconds(10);
  session.register_procedure("com.p", options, nullptr, registered.handler());
  const Id request = last_request();
  advance(milliseconds(10));
  receive(m({8, 64, request, Obj{}, "wamp.error.procedure_already_exists"}));
  EXPECT_EQ(registered.got.size(), 1u);
  expect_still_joined();
}

TEST_F(RequestTimeoutTest, SubscribeTimesOutAndALateSubscriptionIsUnsubscribed) {
  join_session();
  SubscribeOutcomes subscribed;
  int events = 0;
  session.subscribe(
      "com.t", SubscribeOptions{{}, milliseconds(200)}, [&](const Event&) { ++events; },
      subscribed.handler());
  const Id request = last_request();
  link.sent.clear();
  advance(milliseconds(200));
  expect_failed(subscribed.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "SUBSCRIBE com.t");

  receive(m({33, request, 500}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0], m({34, last_request(), 500}));
  receive(m({36, 500, 1, Obj{}}));  // an event already under way
  EXPECT_EQ(events, 0);
  receive(m({35, last_request()}));
  link.run_deferred();
  EXPECT_EQ(subscribed.got.size(), 1u);
  expect_still_joined();
}

TEST_F(RequestTimeoutTest, ALateSubscriptionSharedWithALiveOneIsKept) {
  join_session();
  int events = 0;
  Subscription live = subscribe("com.t", 500, [&](const Event&) { ++events; });
  SubscribeOutcomes subscribed;
  session.subscribe("com.t", SubscribeOptions{{}, milliseconds(200)}, nullptr,
                    subscribed.handler());
  const Id request = last_request();
  link.sent.clear();
  advance(milliseconds(200));
  receive(m({33, request, 500}));
  EXPECT_TRUE(link.sent.empty());
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(events, 1);
  expect_still_joined();
  (void)live;
}

TEST_F(RequestTimeoutTest, UnsubscribeAndUnregisterTimeOut) {
  join_session();
  Subscription subscription = subscribe("com.t", 500, nullptr);
  Registration registration = register_procedure("com.p", 700, nullptr);
  DoneOutcomes unsubscribed;
  DoneOutcomes unregistered;
  session.unsubscribe(subscription, unsubscribed.handler(), milliseconds(100));
  const Id unsubscribe = last_request();
  session.unregister(registration, unregistered.handler(), milliseconds(150));
  const Id unregister = last_request();
  advance(milliseconds(100));
  expect_failed(unsubscribed.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "UNSUBSCRIBE com.t");
  EXPECT_TRUE(unregistered.got.empty());
  advance(milliseconds(50));
  expect_failed(unregistered.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "UNREGISTER com.p");
  // The late answers: no second completion, no violation; the records are gone.
  receive(m({35, unsubscribe}));
  receive(m({67, unregister}));
  link.run_deferred();
  EXPECT_EQ(unsubscribed.got.size(), 1u);
  EXPECT_EQ(unregistered.got.size(), 1u);
  expect_still_joined();
  receive(m({36, 500, 1, Obj{}}));
  expect_violation("EVENT for subscription 500");
}

TEST_F(RequestTimeoutTest, TheEpochsEndFailsTimedRequestsOnceAndDisarmsThem) {
  join_session();
  PublishOutcomes published;
  session.publish("com.t", {}, {}, PublishOptions{true, {}, milliseconds(100)},
                  published.handler());
  session.end(local_error(client_errc::transport_lost, "lost"));
  EXPECT_FALSE(session.next_deadline().has_value());
  advance(milliseconds(200));
  expect_failed(published.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
}

}  // namespace
}  // namespace uvwamp
