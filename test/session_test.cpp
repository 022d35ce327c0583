#include "session/session.hpp"

#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/transport_error.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "session_test_support.hpp"

namespace uvwamp {
namespace {

using namespace test;

// -- errors

TEST(ClientErrorTest, CategoryNamesEachCode) {
  EXPECT_STREQ(client_category().name(), "uvwamp.client");
  std::vector<std::string> messages;
  for (int code = 1; code <= static_cast<int>(client_errc::authentication_failed); ++code) {
    std::string message = make_error_code(static_cast<client_errc>(code)).message();
    EXPECT_NE(message, "unknown client error") << code;
    for (const auto& other : messages)
      EXPECT_NE(message, other);
    messages.push_back(message);
  }
  EXPECT_EQ(std::error_code(client_errc::closed).category(), client_category());
}

TEST(ClientErrorTest, LocalErrorsCarryTheirUri) {
  const std::pair<client_errc, const char*> uris[] = {
      {client_errc::not_joined, "uvwamp.error.not_joined"},
      {client_errc::already_joined, "uvwamp.error.already_joined"},
      {client_errc::session_ended, "uvwamp.error.session_ended"},
      {client_errc::transport_lost, "uvwamp.error.transport_lost"},
      {client_errc::closed, "uvwamp.error.closed"},
      {client_errc::protocol_violation, "wamp.error.protocol_violation"},
      {client_errc::invalid_argument, "uvwamp.error.invalid_argument"},
      {client_errc::connect_failed, "uvwamp.error.connect_failed"},
      {client_errc::timed_out, "uvwamp.error.timeout"},
      {client_errc::authentication_failed, "wamp.error.authentication_failed"},
  };
  for (const auto& [code, uri] : uris) {
    WampError error = local_error(code, "what happened");
    EXPECT_EQ(error.code, make_error_code(code));
    EXPECT_EQ(error.uri, uri);
    EXPECT_EQ(error.message, "what happened");
    EXPECT_TRUE(error.args.empty());
  }
}

// -- joining

TEST_F(SessionTest, JoinSendsHelloAndCompletesOnWelcome) {
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_EQ(session.epoch(), 0u);
  JoinOutcomes joined;
  session.join("realm1", {}, {}, joined.handler());
  EXPECT_EQ(
      link.sent,
      (std::vector<Value>{m({1, "realm1", Obj{{"agent", "uvwamp-0.1.0"}, {"roles", roles}}})}));
  EXPECT_EQ(session.state(), State::establishing);
  EXPECT_EQ(session.epoch(), 1u);
  EXPECT_TRUE(joined.got.empty());

  receive(m({2, 9001, Obj{{"authrole", "anonymous"}}}));
  ASSERT_TRUE(joined.only().ok());
  const SessionInfo& info = joined.only().value();
  EXPECT_EQ(info.session_id, 9001u);
  EXPECT_EQ(info.realm, "realm1");
  EXPECT_EQ(info.details, (Obj{{"authrole", "anonymous"}}));
  EXPECT_EQ(info.serializer, nullptr);
  EXPECT_EQ(session.state(), State::established);
  EXPECT_TRUE(link.tasks.empty());
}

TEST_F(SessionTest, HelloTakesExtraDetailsButKeepsItsRoles) {
  session.join("realm1", {},
               Obj{{"agent", "my-app"}, {"authid", "joe"}, {"roles", Obj{{"broker", Obj{}}}}},
               nullptr);
  EXPECT_EQ(link.sent,
            (std::vector<Value>{
                m({1, "realm1", Obj{{"agent", "my-app"}, {"authid", "joe"}, {"roles", roles}}})}));
}

TEST_F(SessionTest, JoinRefusesUnlessClosed) {
  JoinOutcomes joined;
  session.join("realm1", {}, {}, nullptr);
  session.join("realm1", {}, {}, joined.handler());  // establishing
  receive(m({2, 9001, Obj{}}));
  session.join("realm1", {}, {}, joined.handler());  // established
  session.leave("wamp.close.close_realm", nullptr);
  session.join("realm1", {}, {}, joined.handler());  // leaving
  EXPECT_TRUE(joined.got.empty());
  link.run_deferred();
  ASSERT_EQ(joined.got.size(), 3u);
  for (const auto& outcome : joined.got) {
    expect_failed(outcome, client_errc::already_joined, "uvwamp.error.already_joined");
  }
  EXPECT_EQ(link.sent.size(), 2u);  // HELLO and GOODBYE only
  EXPECT_EQ(session.epoch(), 1u);
}

TEST_F(SessionTest, JoinRefusesAnInvalidRealm) {
  for (const char* realm : {"", "a..b", ".a", "a.", "a b", "a\tb", "a#b", "."}) {
    JoinOutcomes joined;
    session.join(realm, {}, {}, joined.handler());
    EXPECT_TRUE(joined.got.empty());
    link.run_deferred();
    expect_failed(joined.only(), client_errc::invalid_argument, "wamp.error.invalid_uri", "realm");
  }
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_EQ(session.epoch(), 0u);
}

TEST_F(SessionTest, JoinAbortedByTheRouter) {
  JoinOutcomes joined;
  session.join("nowhere", {}, {}, joined.handler());
  receive(m({3, Obj{{"message", "no such realm"}}, "wamp.error.no_such_realm"}));
  expect_failed(joined.only(), client_errc::wamp_error, "wamp.error.no_such_realm",
                "no such realm");
  EXPECT_EQ(joined.only().error().details, (Obj{{"message", "no such realm"}}));
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(listener.ended.empty());
  EXPECT_EQ(link.sent.size(), 1u);  // no answer to ABORT

  session.join("realm1", {}, {}, joined.handler());
  EXPECT_EQ(session.state(), State::establishing);
  EXPECT_EQ(session.epoch(), 2u);
}

TEST_F(SessionTest, JoinThatCannotBeSentFailsLaterAndStaysClosed) {
  const std::pair<Error, client_errc> cases[] = {
      {transport_failure, client_errc::transport_lost},
      {queue_full_failure, client_errc::invalid_argument},
      {too_large_failure, client_errc::payload_size_exceeded},
      {codec_failure, client_errc::invalid_argument},
  };
  for (const auto& [failure, code] : cases) {
    link.failure = failure;
    JoinOutcomes joined;
    session.join("realm1", {}, {}, joined.handler());
    EXPECT_TRUE(joined.got.empty());
    link.run_deferred();
    expect_failed(joined.only(), code, local_error(code, "").uri, failure.message);
    EXPECT_TRUE(contains(joined.only().error().message, "HELLO"));
    EXPECT_EQ(session.state(), State::closed);
  }
  EXPECT_EQ(session.epoch(), 0u);
  link.failure.reset();
  receive(m({2, 9001, Obj{}}));  // nothing awaits it
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(SessionTest, MessagesWhileClosedAreIgnored) {
  receive(m({2, 9001, Obj{}}));
  receive(m({50, 1, Obj{}}));
  receive(Value("garbage"));
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(listener.ended.empty());
  EXPECT_EQ(session.state(), State::closed);
}

// -- leaving and ending

TEST_F(SessionTest, LeaveSaysGoodbyeAndCompletesWithTheRoutersReason) {
  join_session();
  LeaveOutcomes left;
  session.leave("wamp.close.system_shutdown", left.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({6, Obj{}, "wamp.close.system_shutdown"})}));
  EXPECT_EQ(session.state(), State::leaving);
  link.run_deferred();
  EXPECT_TRUE(left.got.empty());

  receive(m({6, Obj{}, "wamp.close.goodbye_and_out"}));
  ASSERT_TRUE(left.only().ok());
  EXPECT_EQ(left.only().value(), "wamp.close.goodbye_and_out");
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(listener.ended.empty());
  EXPECT_EQ(link.sent.size(), 1u);  // the router's GOODBYE is not answered
}

TEST_F(SessionTest, LeaveRefusesUnlessEstablished) {
  LeaveOutcomes left;
  session.leave("wamp.close.close_realm", left.handler());  // closed
  session.join("realm1", {}, {}, nullptr);
  session.leave("wamp.close.close_realm", left.handler());  // establishing
  receive(m({2, 9001, Obj{}}));
  session.leave("wamp.close.close_realm", nullptr);
  session.leave("wamp.close.close_realm", left.handler());  // leaving
  EXPECT_TRUE(left.got.empty());
  link.run_deferred();
  ASSERT_EQ(left.got.size(), 3u);
  for (const auto& outcome : left.got) {
    expect_failed(outcome, client_errc::not_joined, "uvwamp.error.not_joined");
  }
}

TEST_F(SessionTest, LeaveRefusesAnInvalidReasonAndFailedGoodbye) {
  join_session();
  LeaveOutcomes left;
  session.leave("not a uri", left.handler());
  link.failure = transport_failure;
  session.leave("wamp.close.close_realm", left.handler());
  EXPECT_TRUE(left.got.empty());
  link.run_deferred();
  ASSERT_EQ(left.got.size(), 2u);
  expect_failed(left.got[0], client_errc::invalid_argument, "wamp.error.invalid_uri");
  expect_failed(left.got[1], client_errc::transport_lost, "uvwamp.error.transport_lost",
                transport_failure.message);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(SessionTest, LeaveCompletesPendingRequestsWithSessionEndedLater) {
  join_session();
  EveryKind every;
  leave_pending(every);
  LeaveOutcomes left;
  session.leave("wamp.close.close_realm", left.handler());
  EXPECT_TRUE(every.none_completed());
  link.run_deferred();
  every.expect_failed_with(client_errc::session_ended, "uvwamp.error.session_ended");
  EXPECT_TRUE(left.got.empty());

  // Answers to them come too late to matter, and are no violation.
  receive(m({50, 3, Obj{}}));
  receive(m({36, 500, 1, Obj{}}));
  receive(m({33, 5, 1}));
  receive(Value("garbage"));
  EXPECT_EQ(link.sent.size(), 1u);  // the GOODBYE
  EXPECT_EQ(every.called.got.size(), 1u);
  EXPECT_EQ(session.state(), State::leaving);
  receive(m({6, Obj{}, "wamp.close.goodbye_and_out"}));
  EXPECT_TRUE(left.only().ok());
  EXPECT_TRUE(listener.ended.empty());
}

TEST_F(SessionTest, AbortWhileLeavingCompletesTheLeave) {
  join_session();
  LeaveOutcomes left;
  session.leave("wamp.close.close_realm", left.handler());
  receive(m({3, Obj{}, "wamp.error.system_shutdown"}));
  expect_failed(left.only(), client_errc::wamp_error, "wamp.error.system_shutdown");
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(listener.ended.empty());
}

TEST_F(SessionTest, RouterGoodbyeEndsTheSession) {
  join_session();
  EveryKind every;
  leave_pending(every);
  receive(m({6, Obj{{"message", "maintenance"}}, "wamp.close.system_shutdown"}));
  EXPECT_EQ(link.sent, (std::vector<Value>{m({6, Obj{}, "wamp.close.goodbye_and_out"})}));
  EXPECT_EQ(session.state(), State::closed);
  every.expect_failed_with(client_errc::session_ended, "uvwamp.error.session_ended");
  EXPECT_TRUE(contains(every.called.only().error().message, "wamp.close.system_shutdown"));
  ASSERT_EQ(listener.ended.size(), 1u);
  expect_error(listener.ended[0], client_errc::wamp_error, "wamp.close.system_shutdown",
               "maintenance");
  EXPECT_EQ(listener.ended[0].details, (Obj{{"message", "maintenance"}}));
}

TEST_F(SessionTest, RouterAbortEndsTheSession) {
  join_session();
  EveryKind every;
  leave_pending(every);
  receive(m({3, Obj{}, "wamp.error.authorization_failed"}));
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(session.state(), State::closed);
  every.expect_failed_with(client_errc::session_ended, "uvwamp.error.session_ended");
  ASSERT_EQ(listener.ended.size(), 1u);
  expect_error(listener.ended[0], client_errc::wamp_error, "wamp.error.authorization_failed");
}

TEST_F(SessionTest, EndCompletesAJoinWithTheReason) {
  JoinOutcomes joined;
  session.join("realm1", {}, {}, joined.handler());
  link.sent.clear();
  session.end(local_error(client_errc::transport_lost, "the router hung up"));
  expect_failed(joined.only(), client_errc::transport_lost, "uvwamp.error.transport_lost",
                "hung up");
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(listener.ended.empty());
  receive(m({2, 9001, Obj{}}));
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionTest, EndCompletesEveryRequestAndALeave) {
  join_session();
  EveryKind every;
  leave_pending(every);
  session.end(local_error(client_errc::closed, "closed"));
  every.expect_failed_with(client_errc::closed, "uvwamp.error.closed");
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(listener.ended.empty());
  EXPECT_TRUE(link.tasks.empty());

  join_session();
  LeaveOutcomes left;
  session.leave("wamp.close.close_realm", left.handler());
  session.end(local_error(client_errc::timed_out, "no GOODBYE"));
  expect_failed(left.only(), client_errc::timed_out, "uvwamp.error.timeout");
  EXPECT_EQ(session.state(), State::closed);

  session.end(local_error(client_errc::closed, "again"));  // closed, nothing pending
  EXPECT_EQ(left.got.size(), 1u);
}

TEST_F(SessionTest, EachJoinStartsANewEpochWithRequestIdsFromOne) {
  join_session();
  session.call("com.p", {}, {}, {}, nullptr);
  session.call("com.p", {}, {}, {}, nullptr);
  EXPECT_EQ(last_request(), 2u);
  session.end(local_error(client_errc::transport_lost, "lost"));
  join_session();
  EXPECT_EQ(session.epoch(), 2u);
  session.call("com.p", {}, {}, {}, nullptr);
  EXPECT_EQ(last_request(), 1u);
}

// -- request ids

TEST_F(SessionTest, RequestIdsCountUpAcrossKindsAndOnlyForRequestsSent) {
  join_session();
  session.call("com.p", {}, {}, {}, nullptr);
  session.publish("com.t", {}, {}, {}, nullptr);
  session.call("bad uri", {}, {}, {}, nullptr);
  link.failure = codec_failure;
  session.call("com.p", {}, {}, {}, nullptr);
  link.failure.reset();
  session.subscribe("com.t", {}, nullptr, nullptr);
  session.register_procedure("com.p", {}, nullptr, nullptr);
  session.publish("com.t", {}, {}, PublishOptions{true, {}}, nullptr);
  std::vector<Value> ids;
  for (const Value& sent : link.sent)
    ids.push_back(sent.if_array()->at(1));
  EXPECT_EQ(ids, (std::vector<Value>{1, 2, 3, 4, 5}));
}

// -- calls

TEST_F(SessionTest, CallCompletesWithTheResult) {
  join_session();
  CallOutcomes called;
  CallOptions options;
  options.extra = Obj{{"runmode", "partition"}};
  session.call("com.example.add", {2, 3}, Obj{{"round", true}}, options, called.handler());
  EXPECT_EQ(link.sent,
            (std::vector<Value>{m({48, 1, Obj{{"runmode", "partition"}}, "com.example.add",
                                   Arr{2, 3}, Obj{{"round", true}}})}));
  EXPECT_TRUE(called.got.empty());
  receive(m({50, 1, Obj{{"x", 1}}, Arr{5}, Obj{{"exact", true}}}));
  ASSERT_TRUE(called.only().ok());
  EXPECT_EQ(called.only().value().args, (Arr{5}));
  EXPECT_EQ(called.only().value().kwargs, (Obj{{"exact", true}}));
  EXPECT_EQ(called.only().value().details, (Obj{{"x", 1}}));
  EXPECT_TRUE(link.tasks.empty());
}

TEST_F(SessionTest, CallFailsWithTheRoutersError) {
  join_session();
  CallOutcomes called;
  session.call("com.p", {}, {}, {}, called.handler());
  session.call("com.p", {}, {}, {}, called.handler());
  receive(m({8, 48, 1, Obj{}, "wamp.error.no_such_procedure", Arr{"no callee for com.p"}}));
  receive(m({8, 48, 2, Obj{{"d", 1}}, "com.app.overload", Arr{1}, Obj{{"message", "busy"}}}));
  ASSERT_EQ(called.got.size(), 2u);
  expect_failed(called.got[0], client_errc::wamp_error, "wamp.error.no_such_procedure",
                "no callee for com.p");
  EXPECT_TRUE(contains(called.got[0].error().message, "wamp.error.no_such_procedure"));
  EXPECT_EQ(called.got[0].error().args, (Arr{"no callee for com.p"}));
  expect_failed(called.got[1], client_errc::wamp_error, "com.app.overload", "busy");
  EXPECT_EQ(called.got[1].error().args, (Arr{1}));
  EXPECT_EQ(called.got[1].error().kwargs, (Obj{{"message", "busy"}}));
  EXPECT_EQ(called.got[1].error().details, (Obj{{"d", 1}}));
}

TEST_F(SessionTest, CallRefusedBeforeItIsSent) {
  CallOutcomes called;
  session.call("com.p", {}, {}, {}, called.handler());  // not joined
  join_session();
  session.call("com..p", {}, {}, {}, called.handler());
  link.failure = transport_failure;
  session.call("com.p", {}, {}, {}, called.handler());
  link.failure = too_large_failure;
  session.call("com.p", {}, {}, {}, called.handler());
  link.failure = codec_failure;
  session.call("com.p", {}, {}, {}, called.handler());
  link.failure.reset();
  session.call("com.p", {std::nan("")}, {}, {}, called.handler());
  EXPECT_TRUE(called.got.empty());
  link.run_deferred();
  ASSERT_EQ(called.got.size(), 6u);
  expect_failed(called.got[0], client_errc::not_joined, "uvwamp.error.not_joined");
  expect_failed(called.got[1], client_errc::invalid_argument, "wamp.error.invalid_uri", "com..p");
  expect_failed(called.got[2], client_errc::transport_lost, "uvwamp.error.transport_lost",
                transport_failure.message);
  expect_failed(called.got[3], client_errc::payload_size_exceeded,
                "wamp.error.payload_size_exceeded", too_large_failure.message);
  expect_failed(called.got[4], client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                codec_failure.message);
  expect_failed(called.got[5], client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                "CALL not sent");
  // Nothing stayed pending: a RESULT for request 1 answers nothing.
  receive(m({50, 1, Obj{}}));
  expect_violation("RESULT for request 1");
  EXPECT_EQ(called.got.size(), 6u);
}

// -- publishing

TEST_F(SessionTest, UnacknowledgedPublishCompletesLaterWithIdZero) {
  join_session();
  PublishOutcomes published;
  session.publish("com.t", {1}, Obj{{"k", "v"}},
                  PublishOptions{false, Obj{{"acknowledge", true}, {"exclude_me", false}}},
                  published.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({16, 1, Obj{{"exclude_me", false}}, "com.t", Arr{1},
                                              Obj{{"k", "v"}}})}));
  EXPECT_TRUE(published.got.empty());
  link.run_deferred();
  ASSERT_TRUE(published.only().ok());
  EXPECT_EQ(published.only().value().id, 0u);
}

TEST_F(SessionTest, AcknowledgedPublishCompletesOnPublishedOrError) {
  join_session();
  PublishOutcomes published;
  session.publish("com.t", {}, {}, PublishOptions{true, {}}, published.handler());
  session.publish("com.t", {}, {}, PublishOptions{true, {}}, published.handler());
  EXPECT_EQ(link.sent[0], m({16, 1, Obj{{"acknowledge", true}}, "com.t"}));
  link.run_deferred();
  EXPECT_TRUE(published.got.empty());
  receive(m({17, 1, 4242}));
  receive(m({8, 16, 2, Obj{}, "wamp.error.not_authorized"}));
  ASSERT_EQ(published.got.size(), 2u);
  ASSERT_TRUE(published.got[0].ok());
  EXPECT_EQ(published.got[0].value().id, 4242u);
  expect_failed(published.got[1], client_errc::wamp_error, "wamp.error.not_authorized");
}

TEST_F(SessionTest, PublishRefusedBeforeItIsSent) {
  PublishOutcomes published;
  session.publish("com.t", {}, {}, {}, published.handler());
  join_session();
  session.publish("com.t.", {}, {}, {}, published.handler());
  link.failure = transport_failure;
  session.publish("com.t", {}, {}, {}, published.handler());
  session.publish("com.t", {}, {}, PublishOptions{true, {}}, published.handler());
  EXPECT_TRUE(published.got.empty());
  link.run_deferred();
  ASSERT_EQ(published.got.size(), 4u);
  expect_failed(published.got[0], client_errc::not_joined, "uvwamp.error.not_joined");
  expect_failed(published.got[1], client_errc::invalid_argument, "wamp.error.invalid_uri");
  expect_failed(published.got[2], client_errc::transport_lost, "uvwamp.error.transport_lost");
  expect_failed(published.got[3], client_errc::transport_lost, "uvwamp.error.transport_lost");
}

// -- subscriptions

TEST_F(SessionTest, SubscribeThenReceiveEvents) {
  join_session();
  std::vector<Event> events;
  SubscribeOutcomes subscribed;
  session.subscribe(
      "com.t", SubscribeOptions{Obj{{"get_retained", true}}},
      [&](const Event& event) { events.push_back(event); }, subscribed.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({32, 1, Obj{{"get_retained", true}}, "com.t"})}));
  receive(m({33, 1, 500}));
  ASSERT_TRUE(subscribed.only().ok());
  const Subscription& subscription = subscribed.only().value();
  EXPECT_EQ(subscription.id, 500u);
  EXPECT_EQ(subscription.topic, "com.t");
  EXPECT_NE(subscription.local_id, 0u);

  receive(m({36, 500, 77, Obj{{"retained", true}}, Arr{1}, Obj{{"a", 2}}}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].subscription, 500u);
  EXPECT_EQ(events[0].publication, 77u);
  EXPECT_EQ(events[0].topic, "com.t");
  EXPECT_EQ(events[0].args, (Arr{1}));
  EXPECT_EQ(events[0].kwargs, (Obj{{"a", 2}}));
  EXPECT_EQ(events[0].details, (Obj{{"retained", true}}));
}

TEST_F(SessionTest, SubscribeRefusedOrFailed) {
  SubscribeOutcomes subscribed;
  session.subscribe("com.t", {}, nullptr, subscribed.handler());
  join_session();
  session.subscribe("com..t", {}, nullptr, subscribed.handler());
  // Empty components are the wildcards of a wildcard pattern.
  session.subscribe("com..t", SubscribeOptions{Obj{{"match", "wildcard"}}}, nullptr,
                    subscribed.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({32, 1, Obj{{"match", "wildcard"}}, "com..t"})}));
  receive(m({8, 32, 1, Obj{}, "wamp.error.not_authorized"}));
  link.failure = transport_failure;
  session.subscribe("com.t", {}, nullptr, subscribed.handler());
  ASSERT_EQ(subscribed.got.size(), 1u);
  expect_failed(subscribed.got[0], client_errc::wamp_error, "wamp.error.not_authorized", "com..t");
  link.run_deferred();
  ASSERT_EQ(subscribed.got.size(), 4u);
  expect_failed(subscribed.got[1], client_errc::not_joined, "uvwamp.error.not_joined");
  expect_failed(subscribed.got[2], client_errc::invalid_argument, "wamp.error.invalid_uri");
  expect_failed(subscribed.got[3], client_errc::transport_lost, "uvwamp.error.transport_lost");
}

TEST_F(SessionTest, SubscriptionsToOneTopicShareTheRoutersSubscription) {
  join_session();
  int first_events = 0;
  int second_events = 0;
  Subscription first = subscribe("com.t", 500, [&](const Event&) { ++first_events; });
  Subscription second = subscribe("com.t", 500, [&](const Event&) { ++second_events; });
  EXPECT_EQ(first.id, second.id);
  EXPECT_NE(first.local_id, second.local_id);
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(first_events, 1);
  EXPECT_EQ(second_events, 1);

  // Not the last: nothing goes out, and it completes later.
  DoneOutcomes unsubscribed;
  session.unsubscribe(first, unsubscribed.handler());
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(unsubscribed.got.empty());
  link.run_deferred();
  EXPECT_TRUE(unsubscribed.only().ok());
  receive(m({36, 500, 2, Obj{}}));
  EXPECT_EQ(first_events, 1);
  EXPECT_EQ(second_events, 2);

  // The last: UNSUBSCRIBE, and events until UNSUBSCRIBED are dropped.
  session.unsubscribe(second, unsubscribed.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({34, 3, 500})}));
  receive(m({36, 500, 3, Obj{}}));
  EXPECT_EQ(second_events, 2);
  EXPECT_EQ(session.state(), State::established);
  link.run_deferred();
  EXPECT_EQ(unsubscribed.got.size(), 1u);
  receive(m({35, 3}));
  ASSERT_EQ(unsubscribed.got.size(), 2u);
  EXPECT_TRUE(unsubscribed.got[1].ok());

  // Gone now, so an EVENT for it breaks the protocol.
  receive(m({36, 500, 4, Obj{}}));
  expect_violation("EVENT for subscription 500");
}

TEST_F(SessionTest, UnsubscribeRefusesStaleHandles) {
  join_session();
  Subscription subscription = subscribe("com.t", 500, nullptr);
  Subscription other = subscribe("com.t", 500, nullptr);
  DoneOutcomes unsubscribed;
  session.unsubscribe(subscription, unsubscribed.handler());
  session.unsubscribe(subscription, unsubscribed.handler());  // again
  Subscription unknown = other;
  unknown.local_id = 999;  // handles name subscriptions by local id, never reused
  session.unsubscribe(unknown, unsubscribed.handler());
  link.run_deferred();
  ASSERT_EQ(unsubscribed.got.size(), 3u);
  EXPECT_TRUE(unsubscribed.got[0].ok());
  expect_failed(unsubscribed.got[1], client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                "com.t");
  expect_failed(unsubscribed.got[2], client_errc::invalid_argument,
                "uvwamp.error.invalid_argument");

  // The router's ids restart with the session, so an old handle may carry a new subscription's
  // id; its local id names nothing any more.
  session.end(local_error(client_errc::transport_lost, "lost"));
  join_session();
  subscribe("com.t", 500, nullptr);
  session.unsubscribe(other, unsubscribed.handler());
  EXPECT_TRUE(link.sent.empty());
  link.run_deferred();
  expect_failed(unsubscribed.got[3], client_errc::invalid_argument,
                "uvwamp.error.invalid_argument");
  session.end(local_error(client_errc::transport_lost, "lost"));
  session.unsubscribe(other, unsubscribed.handler());
  link.run_deferred();
  expect_failed(unsubscribed.got[4], client_errc::not_joined, "uvwamp.error.not_joined");
}

TEST_F(SessionTest, FailedUnsubscribeLeavesTheSubscription) {
  join_session();
  int events = 0;
  Subscription subscription = subscribe("com.t", 500, [&](const Event&) { ++events; });
  DoneOutcomes unsubscribed;
  link.failure = transport_failure;
  session.unsubscribe(subscription, unsubscribed.handler());
  link.run_deferred();
  expect_failed(unsubscribed.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
  link.failure.reset();
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(events, 1);
  session.unsubscribe(subscription, unsubscribed.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({34, 2, 500})}));
}

TEST_F(SessionTest, UnsubscribeRefusedByTheRouterDropsTheSubscription) {
  join_session();
  Subscription subscription = subscribe("com.t", 500, nullptr);
  DoneOutcomes unsubscribed;
  session.unsubscribe(subscription, unsubscribed.handler());
  receive(m({8, 34, 2, Obj{}, "wamp.error.no_such_subscription"}));
  expect_failed(unsubscribed.only(), client_errc::wamp_error, "wamp.error.no_such_subscription");
  receive(m({36, 500, 1, Obj{}}));
  expect_violation("EVENT for subscription 500");
}

TEST_F(SessionTest, HandlerUnsubscribingAnotherStopsItsEvent) {
  join_session();
  std::vector<int> got;
  Subscription second;
  subscribe("com.t", 500, [&](const Event&) {
    got.push_back(1);
    session.unsubscribe(second, nullptr);
  });
  second = subscribe("com.t", 500, [&](const Event&) { got.push_back(2); });
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(got, (std::vector<int>{1}));
}

TEST_F(SessionTest, HandlerUnsubscribingItselfFinishesSafely) {
  join_session();
  std::string seen;
  Subscription self;
  self = subscribe("com.t", 500, [&, text = std::string("captured")](const Event&) {
    session.unsubscribe(self, nullptr);
    seen = text;  // the handler is still alive after unsubscribing itself
  });
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(seen, "captured");
  EXPECT_EQ(link.sent, (std::vector<Value>{m({34, 2, 500})}));
}

TEST_F(SessionTest, SubscribedForASubscriptionBeingUnsubscribedSubscribesAgain) {
  join_session();
  std::vector<Event> events;
  Subscription first = subscribe("com.t", 500, [&](const Event&) { FAIL() << "unsubscribed"; });
  SubscribeOutcomes subscribed;
  session.subscribe(
      "com.t", {}, [&](const Event& event) { events.push_back(event); }, subscribed.handler());
  DoneOutcomes unsubscribed;
  session.unsubscribe(first, unsubscribed.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({32, 2, Obj{}, "com.t"}), m({34, 3, 500})}));
  link.sent.clear();

  // The router took the SUBSCRIBE first: it gives the subscription the UNSUBSCRIBE ends.
  receive(m({33, 2, 500}));
  EXPECT_TRUE(subscribed.got.empty());
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_TRUE(events.empty());
  receive(m({35, 3}));
  EXPECT_TRUE(unsubscribed.only().ok());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({32, 4, Obj{}, "com.t"})}));
  EXPECT_TRUE(subscribed.got.empty());

  receive(m({33, 4, 501}));
  ASSERT_TRUE(subscribed.only().ok());
  EXPECT_EQ(subscribed.only().value().id, 501u);
  receive(m({36, 501, 2, Obj{}}));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].publication, 2u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(SessionTest, ParkedSubscribeCompletesWhenTheSessionEnds) {
  join_session();
  Subscription first = subscribe("com.t", 500, nullptr);
  SubscribeOutcomes subscribed;
  session.subscribe("com.t", {}, nullptr, subscribed.handler());
  session.unsubscribe(first, nullptr);
  receive(m({33, 2, 500}));
  EXPECT_TRUE(subscribed.got.empty());
  session.end(local_error(client_errc::transport_lost, "lost"));
  expect_failed(subscribed.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
}

TEST_F(SessionTest, ParkedSubscribeThatCannotBeSentAgainFails) {
  join_session();
  Subscription first = subscribe("com.t", 500, nullptr);
  SubscribeOutcomes subscribed;
  session.subscribe("com.t", {}, nullptr, subscribed.handler());
  session.unsubscribe(first, nullptr);
  receive(m({33, 2, 500}));
  link.failure = transport_failure;
  receive(m({35, 3}));
  expect_failed(subscribed.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
}

TEST_F(SessionTest, RevokedSubscriptionIsDroppedQuietly) {
  join_session();
  int events = 0;
  subscribe("com.t", 500, [&](const Event&) { ++events; });
  receive(m({35, 0, Obj{{"subscription", 500}, {"reason", "wamp.error.not_authorized"}}}));
  receive(m({35, 0, Obj{{"subscription", 999}}}));
  receive(m({35, 0, Obj{}}));
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(session.state(), State::established);
  EXPECT_TRUE(listener.ended.empty());
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(events, 0);
  expect_violation("EVENT for subscription 500");
}

// -- registrations and invocations

TEST_F(SessionTest, RegisterAndAnswerAnInvocationAtOnce) {
  join_session();
  std::vector<bool> answers;
  RegisterOutcomes registered;
  RegisterOptions options;
  options.invoke = InvokePolicy::roundrobin;
  session.register_procedure(
      "com.example.add", options,
      [&](Invocation invocation) {
        EXPECT_EQ(invocation.request_id(), 9u);
        EXPECT_EQ(invocation.registration_id(), 700u);
        EXPECT_EQ(invocation.procedure(), "com.example.add");
        EXPECT_EQ(invocation.args, (Arr{2, 3}));
        EXPECT_EQ(invocation.kwargs, (Obj{{"k", 1}}));
        EXPECT_EQ(invocation.details, (Obj{{"caller", 5}}));
        EXPECT_FALSE(invocation.answered());
        answers.push_back(invocation.yield({5}, Obj{{"exact", true}}));
        EXPECT_TRUE(invocation.answered());
        answers.push_back(invocation.yield({6}));
        answers.push_back(invocation.error("com.error"));
      },
      registered.handler());
  EXPECT_EQ(link.sent,
            (std::vector<Value>{m({64, 1, Obj{{"invoke", "roundrobin"}}, "com.example.add"})}));
  receive(m({65, 1, 700}));
  ASSERT_TRUE(registered.only().ok());
  EXPECT_EQ(registered.only().value().id, 700u);
  EXPECT_EQ(registered.only().value().procedure, "com.example.add");
  EXPECT_NE(registered.only().value().local_id, 0u);
  link.sent.clear();

  receive(m({68, 9, 700, Obj{{"caller", 5}}, Arr{2, 3}, Obj{{"k", 1}}}));
  EXPECT_EQ(answers, (std::vector<bool>{true, false, false}));
  EXPECT_EQ(link.sent, (std::vector<Value>{m({70, 9, Obj{}, Arr{5}, Obj{{"exact", true}}})}));
}

TEST_F(SessionTest, InvocationAnsweredLater) {
  join_session();
  std::vector<Invocation> held;
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}}));
  EXPECT_TRUE(link.sent.empty());
  ASSERT_EQ(held.size(), 2u);
  EXPECT_TRUE(held[1].error("com.app.refused", {"no"}, Obj{{"why", 1}}));
  EXPECT_TRUE(held[0].yield());
  EXPECT_EQ(link.sent, (std::vector<Value>{
                           m({8, 68, 10, Obj{}, "com.app.refused", Arr{"no"}, Obj{{"why", 1}}}),
                           m({70, 9, Obj{}})}));
  held.clear();  // answered, so destroying them says nothing more
  EXPECT_EQ(link.sent.size(), 2u);
}

TEST_F(SessionTest, MovedInvocationAnswersOnce) {
  join_session();
  std::vector<Invocation> held;
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}}));
  Invocation moved = std::move(held[0]);
  EXPECT_FALSE(held[0].yield());  // moved from
  moved = std::move(held[1]);     // the one it held is dropped unanswered
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(2), Value(9));
  EXPECT_EQ(moved.request_id(), 10u);
  EXPECT_TRUE(moved.yield());
  held.clear();
  EXPECT_EQ(link.sent.size(), 2u);
}

TEST_F(SessionTest, DroppedInvocationAnswersWithRuntimeError) {
  join_session();
  register_procedure("com.p", 700, [](Invocation) {});
  receive(m({68, 9, 700, Obj{}}));
  ASSERT_EQ(link.sent.size(), 1u);
  const Arr& error = *link.sent[0].if_array();
  ASSERT_EQ(error.size(), 6u);
  EXPECT_EQ(error[0], Value(8));
  EXPECT_EQ(error[1], Value(68));
  EXPECT_EQ(error[2], Value(9));
  EXPECT_EQ(error[4], Value("wamp.error.runtime_error"));
  ASSERT_TRUE(error[5].if_array() && error[5].if_array()->at(0).is_string());
  EXPECT_TRUE(contains(*error[5].if_array()->at(0).if_string(), "dropped unanswered"));
}

TEST_F(SessionTest, InvocationAnswersAfterTheEpochEndedDoNothing) {
  join_session();
  std::vector<Invocation> held;
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}}));
  receive(m({68, 11, 700, Obj{}}));
  session.leave("wamp.close.close_realm", nullptr);
  link.sent.clear();
  EXPECT_FALSE(held[0].yield());
  EXPECT_FALSE(held[0].answered());
  receive(m({6, Obj{}, "wamp.close.goodbye_and_out"}));
  EXPECT_FALSE(held[1].error("com.app.error"));

  // Even a new session with the same ids does not take them.
  join_session();
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 11, 700, Obj{}}));
  link.sent.clear();
  held.erase(held.begin(), held.begin() + 3);  // the old ones, dropped unanswered
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(held[0].yield());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({70, 11, Obj{}})}));
}

TEST_F(SessionTest, InvocationOutlivingTheSessionIsHarmless) {
  std::vector<Invocation> held;
  {
    FakeLink other_link;
    FakeListener other_listener;
    FakeAuthContext other_auth_context;
    Session other(other_link, other_listener, other_auth_context);
    other.join("realm1", {}, {}, nullptr);
    other.receive(m({2, 1, Obj{}}));
    other.register_procedure(
        "com.p", {}, [&](Invocation invocation) { held.push_back(std::move(invocation)); },
        nullptr);
    other.receive(m({65, 1, 700}));
    other.receive(m({68, 9, 700, Obj{}}));
  }
  ASSERT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0].yield());
}

TEST_F(SessionTest, ThrowingHandlerAnswersWithWhatItThrew) {
  join_session();
  register_procedure("com.p", 700, [](Invocation invocation) {
    if (invocation.args.empty()) throw std::runtime_error("no arguments");
    invocation.yield({1});
    throw std::runtime_error("after the answer");
  });
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}, Arr{1}}));
  EXPECT_EQ(link.sent, (std::vector<Value>{
                           m({8, 68, 9, Obj{}, "wamp.error.runtime_error", Arr{"no arguments"}}),
                           m({70, 10, Obj{}, Arr{1}})}));
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(SessionTest, ThrowingHandlerWhoseTextCannotBeSentStillAnswers) {
  join_session();
  register_procedure("com.p", 700,
                     [](Invocation) { throw std::runtime_error("\xff\xfe is not UTF-8"); });
  receive(m({68, 9, 700, Obj{}}));
  ASSERT_EQ(link.sent.size(), 1u);
  const Arr& error = *link.sent[0].if_array();
  ASSERT_EQ(error.size(), 6u);
  EXPECT_EQ(error[4], Value("wamp.error.runtime_error"));
  ASSERT_TRUE(error[5].if_array() && error[5].if_array()->at(0).is_string());
  EXPECT_TRUE(contains(*error[5].if_array()->at(0).if_string(), "cannot be sent"));
}

TEST_F(SessionTest, HandlerThrowingSomethingElseStillAnswersTheCallerAndIsReported) {
  join_session();
  register_procedure("com.p", 700, [](Invocation) { throw 42; });
  EXPECT_NO_THROW(receive(m({68, 9, 700, Obj{}})));
  ASSERT_EQ(listener.thrown.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(listener.thrown[0]), int);
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.runtime_error"));
  EXPECT_EQ(link.sent[0].if_array()->at(2), Value(9));
}

TEST_F(SessionTest, InvocationErrorNeedsAValidUriAndFailedAnswersCanBeRetried) {
  join_session();
  std::vector<Invocation> held;
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 9, 700, Obj{}}));
  EXPECT_FALSE(held[0].error("not a uri"));
  EXPECT_FALSE(held[0].answered());
  EXPECT_FALSE(held[0].yield({std::nan("")}));  // JSON has no NaN
  EXPECT_FALSE(held[0].answered());
  EXPECT_TRUE(held[0].error("com.app.bad_input"));
  EXPECT_EQ(link.sent, (std::vector<Value>{m({8, 68, 9, Obj{}, "com.app.bad_input"})}));
}

TEST_F(SessionTest, UnregisterStopsInvocations) {
  join_session();
  int invocations = 0;
  Registration registration = register_procedure("com.p", 700, [&](Invocation) { ++invocations; });
  link.sent.clear();
  DoneOutcomes unregistered;
  session.unregister(registration, unregistered.handler());
  EXPECT_EQ(link.sent, (std::vector<Value>{m({66, 2, 700})}));
  link.sent.clear();

  // Sent before the router took the UNREGISTER: refused for the caller.
  receive(m({68, 9, 700, Obj{}}));
  EXPECT_EQ(invocations, 0);
  EXPECT_EQ(link.sent,
            (std::vector<Value>{m({8, 68, 9, Obj{}, "wamp.error.no_such_registration"})}));
  EXPECT_TRUE(unregistered.got.empty());
  receive(m({67, 2}));
  EXPECT_TRUE(unregistered.only().ok());

  receive(m({68, 10, 700, Obj{}}));
  expect_violation("INVOCATION for registration 700");
}

TEST_F(SessionTest, UnregisterRefusedOrFailed) {
  DoneOutcomes unregistered;
  Registration nothing{700, "com.p", 0};
  session.unregister(nothing, unregistered.handler());
  join_session();
  Registration registration = register_procedure("com.p", 700, nullptr);
  Registration stale = registration;
  stale.local_id = 0;
  session.unregister(stale, unregistered.handler());
  link.failure = transport_failure;
  session.unregister(registration, unregistered.handler());
  link.failure.reset();
  session.unregister(registration, unregistered.handler());
  session.unregister(registration, unregistered.handler());  // already unregistering
  receive(m({8, 66, 2, Obj{}, "wamp.error.no_such_registration"}));
  ASSERT_EQ(unregistered.got.size(), 1u);
  expect_failed(unregistered.got[0], client_errc::wamp_error, "wamp.error.no_such_registration");
  link.run_deferred();
  ASSERT_EQ(unregistered.got.size(), 5u);
  expect_failed(unregistered.got[1], client_errc::not_joined, "uvwamp.error.not_joined");
  expect_failed(unregistered.got[2], client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                "com.p");
  expect_failed(unregistered.got[3], client_errc::transport_lost, "uvwamp.error.transport_lost");
  expect_failed(unregistered.got[4], client_errc::invalid_argument,
                "uvwamp.error.invalid_argument");
  receive(m({68, 9, 700, Obj{}}));
  expect_violation("INVOCATION for registration 700");
}

TEST_F(SessionTest, RegisterRefusedOrFailed) {
  RegisterOutcomes registered;
  session.register_procedure("com.p", {}, nullptr, registered.handler());
  join_session();
  session.register_procedure("com p", {}, nullptr, registered.handler());
  session.register_procedure("com.p", {}, nullptr, registered.handler());
  receive(m({8, 64, 1, Obj{}, "wamp.error.procedure_already_exists"}));
  ASSERT_EQ(registered.got.size(), 1u);
  expect_failed(registered.got[0], client_errc::wamp_error, "wamp.error.procedure_already_exists",
                "com.p");
  link.run_deferred();
  ASSERT_EQ(registered.got.size(), 3u);
  expect_failed(registered.got[1], client_errc::not_joined, "uvwamp.error.not_joined");
  expect_failed(registered.got[2], client_errc::invalid_argument, "wamp.error.invalid_uri");
}

TEST_F(SessionTest, RevokedRegistrationIsDroppedQuietly) {
  join_session();
  register_procedure("com.p", 700, nullptr);
  receive(m({67, 0, Obj{{"registration", 700}, {"reason", "wamp.error.killed"}}}));
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(listener.ended.empty());
  receive(m({68, 9, 700, Obj{}}));
  expect_violation("INVOCATION for registration 700");
}

// -- authentication

// An authenticator whose HELLO members and answers the test sets; it keeps the reply of each
// challenge so that a test can answer late, or never.
class ScriptedAuthenticator : public Authenticator {
 public:
  explicit ScriptedAuthenticator(std::vector<std::string> names) : names_(std::move(names)) {}

  std::vector<std::string> methods() const override { return names_; }
  Result<Value::Object, std::string> hello_authextra(const AuthContext&) override {
    if (refuse_offer) return *refuse_offer;
    return authextra;
  }
  void answer(const AuthChallenge& challenge, const Value::Object& hello_details,
              std::shared_ptr<AuthContext> context, AuthAnswerHandler reply) override {
    contexts.push_back(std::move(context));
    challenges.push_back(challenge);
    hellos.push_back(hello_details);
    replies.push_back(std::move(reply));
    if (answer_at_once) answer_last();
  }

  void answer_last() {
    AuthAnswer answer;
    answer.signature = signature;
    answer.extra = answer_extra;
    answer.check_welcome = check_welcome;
    replies.back()(std::move(answer));
  }

  Value::Object authextra;
  std::optional<std::string> refuse_offer;
  bool answer_at_once = true;
  Secret signature{"s3cret-signature"};
  Value::Object answer_extra;
  std::function<Result<void, std::string>(const Value::Object&)> check_welcome;
  std::vector<std::shared_ptr<AuthContext>> contexts;
  std::vector<AuthChallenge> challenges;
  std::vector<Value::Object> hellos;
  std::vector<AuthAnswerHandler> replies;

 private:
  std::vector<std::string> names_;
};

class SessionAuthTest : public SessionTest {
 protected:
  std::shared_ptr<ScriptedAuthenticator> offer(std::vector<std::string> names) {
    auto method = std::make_shared<ScriptedAuthenticator>(std::move(names));
    auth.methods.push_back(method);
    return method;
  }
  void join() {
    session.join("realm1", auth, {}, joined.handler());
    link.run_deferred();
  }

  AuthOptions auth;
  JoinOutcomes joined;
};

TEST_F(SessionAuthTest, AJoinTheRouterLeavesUnansweredTimesOut) {
  session.join("realm1", auth, {}, joined.handler(), std::chrono::milliseconds(1000));
  ASSERT_EQ(session.next_deadline(), link.time + std::chrono::milliseconds(1000));
  link.time += std::chrono::milliseconds(999);
  session.expire(link.time);
  EXPECT_TRUE(joined.got.empty());
  link.time += std::chrono::milliseconds(1);
  session.expire(link.time);
  link.run_deferred();
  expect_failed(joined.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "did not answer HELLO within 1000 ms");
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_EQ(session.next_deadline(), std::nullopt);
  // A WELCOME after the timeout finds no session to open.
  link.sent.clear();
  receive(m({2, 77, Obj{}}));
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_EQ(joined.got.size(), 1u);
}

TEST_F(SessionAuthTest, TheJoinTimeoutWaitsForTheRouterNotForTheAnswerToItsChallenge) {
  auto ticket = offer({"ticket"});
  ticket->answer_at_once = false;
  session.join("realm1", auth, {}, joined.handler(), std::chrono::milliseconds(1000));
  link.time += std::chrono::milliseconds(900);
  receive(m({4, "ticket", Obj{}}));
  // A secret being asked for: however long it takes, nothing times out.
  EXPECT_EQ(session.next_deadline(), std::nullopt);
  link.time += std::chrono::hours(1);
  session.expire(link.time);
  EXPECT_TRUE(joined.got.empty());
  ticket->answer_last();
  // AUTHENTICATE went: the router has the whole timeout again.
  ASSERT_EQ(session.next_deadline(), link.time + std::chrono::milliseconds(1000));
  link.time += std::chrono::milliseconds(1000);
  session.expire(link.time);
  link.run_deferred();
  expect_failed(joined.only(), client_errc::timed_out, "uvwamp.error.timeout",
                "did not answer AUTHENTICATE within 1000 ms");
}

TEST_F(SessionAuthTest, WelcomeInTimeDisarmsTheJoinTimeout) {
  session.join("realm1", auth, {}, joined.handler(), std::chrono::milliseconds(1000));
  receive(m({2, 77, Obj{}}));
  EXPECT_EQ(session.state(), State::established);
  EXPECT_EQ(session.next_deadline(), std::nullopt);
}

TEST_F(SessionAuthTest, HelloOffersEveryMethodWithWhatEachNeeds) {
  auth.authid = "alice";
  auth.authrole = "admin";
  auth.authextra = Obj{{"app", "demo"}};
  offer({"wamp-scram", "scram"})->authextra = Obj{{"nonce", "abc="}};
  offer({"ticket"});
  session.join("realm1", auth, {}, nullptr);
  EXPECT_EQ(link.sent,
            (std::vector<Value>{m({1, "realm1",
                                   Obj{{"agent", "uvwamp-0.1.0"},
                                       {"roles", roles},
                                       {"authid", "alice"},
                                       {"authrole", "admin"},
                                       {"authmethods", Arr{"wamp-scram", "scram", "ticket"}},
                                       {"authextra", Obj{{"app", "demo"}, {"nonce", "abc="}}}}})}));
}

TEST_F(SessionAuthTest, AMethodThatCannotBeOfferedFailsTheJoinBeforeHello) {
  offer({"cryptosign"})->refuse_offer = "channel binding needs TLS";
  join();
  EXPECT_TRUE(link.sent.empty());
  expect_failed(joined.only(), client_errc::authentication_failed,
                "wamp.error.authentication_failed", "channel binding needs TLS");
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionAuthTest, TheMethodTheRouterPicksAnswersAndWelcomeSaysWhoWeAre) {
  auto scram = offer({"wamp-scram"});
  auto ticket = offer({"ticket"});
  ticket->answer_extra = Obj{{"x", 1}};
  auth.authid = "alice";
  join();
  link.sent.clear();
  receive(m({4, "ticket", Obj{{"challenge", "c"}}}));
  EXPECT_TRUE(scram->challenges.empty());
  ASSERT_EQ(ticket->challenges.size(), 1u);
  EXPECT_EQ(ticket->challenges[0].method, "ticket");
  EXPECT_EQ(ticket->challenges[0].extra, (Obj{{"challenge", "c"}}));
  EXPECT_EQ(ticket->hellos[0].at("authid"), Value("alice"));
  EXPECT_EQ(link.sent, (std::vector<Value>{m({5, "s3cret-signature", Obj{{"x", 1}}})}));

  receive(m({2, 77,
             Obj{{"authid", "alice"},
                 {"authrole", "user"},
                 {"authmethod", "ticket"},
                 {"authprovider", "static"},
                 {"authextra", Obj{{"k", "v"}}}}}));
  ASSERT_TRUE(joined.only().ok());
  const SessionInfo& info = joined.only().value();
  EXPECT_EQ(info.authid, "alice");
  EXPECT_EQ(info.authrole, "user");
  EXPECT_EQ(info.authmethod, "ticket");
  EXPECT_EQ(info.authprovider, "static");
  EXPECT_EQ(info.authextra, (Obj{{"k", "v"}}));
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(SessionAuthTest, ARouterRefusalReachesTheUserWithItsReason) {
  offer({"ticket"});
  join();
  receive(m({4, "ticket", Obj{}}));
  receive(m({3, Obj{{"message", "invalid ticket"}}, "wamp.error.not_authorized"}));
  expect_failed(joined.only(), client_errc::wamp_error, "wamp.error.not_authorized",
                "invalid ticket");
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionAuthTest, AChallengeForAMethodNotOfferedBreaksTheProtocol) {
  offer({"ticket"});
  join();
  receive(m({4, "wampcra", Obj{}}));
  expect_violation("'wampcra', which HELLO did not offer");
  expect_failed(joined.only(), client_errc::protocol_violation, "wamp.error.protocol_violation");
}

TEST_F(SessionAuthTest, AnUnanswerableChallengeAbortsWithoutTheSecret) {
  auto ticket = offer({"ticket"});
  ticket->answer_at_once = false;
  join();
  receive(m({4, "ticket", Obj{}}));
  link.sent.clear();
  ticket->replies.back()(std::string("the ticket could not be read"));
  EXPECT_EQ(link.sent, (std::vector<Value>{m({3, Obj{{"message", "the ticket could not be read"}},
                                              "wamp.error.authentication_failed"})}));
  expect_failed(joined.only(), client_errc::authentication_failed,
                "wamp.error.authentication_failed", "the ticket could not be read");
  EXPECT_EQ(session.state(), State::closed);
  EXPECT_TRUE(listener.ended.empty());
}

TEST_F(SessionAuthTest, ALateAnswerGoesOutWhileTheSessionStillWaits) {
  auto ticket = offer({"ticket"});
  ticket->answer_at_once = false;
  join();
  link.sent.clear();
  receive(m({4, "ticket", Obj{}}));
  EXPECT_TRUE(link.sent.empty());
  ticket->answer_last();
  EXPECT_EQ(link.sent, (std::vector<Value>{m({5, "s3cret-signature", Obj{}})}));
}

TEST_F(SessionAuthTest, WelcomeOrASecondChallengeBeforeTheAnswerBreaksTheProtocol) {
  for (int second : {2, 4}) {
    SCOPED_TRACE(second);
    auth = {};
    auto ticket = offer({"ticket"});
    ticket->answer_at_once = false;
    JoinOutcomes outcome;
    session.join("realm1", auth, {}, outcome.handler());
    receive(m({4, "ticket", Obj{}}));
    receive(second == 2 ? m({2, 5, Obj{}}) : m({4, "ticket", Obj{}}));
    EXPECT_EQ(session.state(), State::closed);
    expect_failed(outcome.only(), client_errc::protocol_violation, "wamp.error.protocol_violation");
    link.sent.clear();
    ticket->answer_last();  // too late: nothing goes out
    EXPECT_TRUE(link.sent.empty());
    listener.ended.clear();
  }
}

TEST_F(SessionAuthTest, AnAnswerAfterTheEpochEndedIsDropped) {
  auto ticket = offer({"ticket"});
  ticket->answer_at_once = false;
  join();
  receive(m({4, "ticket", Obj{}}));
  session.end(local_error(client_errc::transport_lost, "gone"));
  // A new epoch waits for its own challenge; the old answer must not feed it.
  session.join("realm1", auth, {}, nullptr);
  link.sent.clear();
  ticket->replies.front()(AuthAnswer{Secret("old"), {}, nullptr});
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(session.state(), State::establishing);
}

TEST_F(SessionAuthTest, AKeptContextServesOnlyWhileTheSessionWaits) {
  auto ticket = offer({"ticket"});
  ticket->answer_at_once = false;
  join();
  receive(m({4, "ticket", Obj{}}));
  AuthContext& kept = *ticket->contexts.at(0);
  EXPECT_TRUE(kept.tls_unique().has_value());
  int done = 0;
  kept.run_blocking([] {}, [&] { ++done; });
  EXPECT_EQ(auth_context.works, 1);

  session.end(local_error(client_errc::transport_lost, "gone"));
  EXPECT_FALSE(kept.tls_unique().has_value());
  bool worked = false;
  kept.run_blocking([&] { worked = true; }, [&] { ++done; });
  EXPECT_FALSE(worked);
  EXPECT_EQ(done, 2);
  EXPECT_EQ(auth_context.works, 1);
}

TEST_F(SessionAuthTest, AnAnswerAfterTheSessionIsGoneIsHarmless) {
  auto ticket = std::make_shared<ScriptedAuthenticator>(std::vector<std::string>{"ticket"});
  ticket->answer_at_once = false;
  {
    FakeLink other_link;
    FakeListener other_listener;
    FakeAuthContext other_context;
    Session other(other_link, other_listener, other_context);
    AuthOptions options;
    options.methods = {ticket};
    other.join("realm1", options, {}, nullptr);
    other.receive(m({4, "ticket", Obj{}}));
  }
  ticket->answer_last();
  EXPECT_EQ(ticket->replies.size(), 1u);
}

TEST_F(SessionAuthTest, AWelcomeThatFailsTheAnswersCheckIsRefused) {
  auto scram = offer({"wamp-scram"});
  scram->check_welcome = [](const Value::Object& details) -> Result<void, std::string> {
    if (details.count("authextra")) return {};
    return std::string("the router did not prove it knows the password");
  };
  join();
  receive(m({4, "wamp-scram", Obj{}}));
  link.sent.clear();
  receive(m({2, 5, Obj{}}));
  EXPECT_EQ(
      link.sent,
      (std::vector<Value>{m({3, Obj{{"message", "the router did not prove it knows the password"}},
                             "wamp.error.authentication_failed"})}));
  expect_failed(joined.only(), client_errc::authentication_failed,
                "wamp.error.authentication_failed", "did not prove");
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionAuthTest, AWelcomeThatPassesTheCheckEstablishes) {
  auto scram = offer({"wamp-scram"});
  scram->check_welcome = [](const Value::Object& details) -> Result<void, std::string> {
    if (details.count("authextra")) return {};
    return std::string("no proof");
  };
  join();
  receive(m({4, "wamp-scram", Obj{}}));
  receive(m({2, 5, Obj{{"authextra", Obj{}}}}));
  EXPECT_TRUE(joined.only().ok());
}

TEST_F(SessionAuthTest, ARouterMayChallengeAgainAfterAnAnswer) {
  auto ticket = offer({"ticket"});
  join();
  receive(m({4, "ticket", Obj{}}));
  receive(m({4, "ticket", Obj{{"round", 2}}}));
  EXPECT_EQ(ticket->challenges.size(), 2u);
  receive(m({2, 5, Obj{}}));
  EXPECT_TRUE(joined.only().ok());
}

// -- protocol violations

struct Violation {
  const char* name;
  bool before_welcome;  // else established, with the requests of leave_pending()
  Value message;
  const char* mentions;
};

void PrintTo(const Violation& violation, std::ostream* out) {
  *out << violation.name;
}

class ViolationTest : public SessionTest, public testing::WithParamInterface<Violation> {};

TEST_P(ViolationTest, AbortsAndFailsEverythingPending) {
  const Violation& violation = GetParam();
  JoinOutcomes joined;
  EveryKind every;
  session.join("realm1", {}, {}, joined.handler());
  if (!violation.before_welcome) {
    receive(m({2, 9001, Obj{}}));
    leave_pending(every);
  }
  link.sent.clear();
  receive(violation.message);
  ASSERT_EQ(link.sent.size(), 1u);
  expect_violation(violation.mentions);
  link.run_deferred();
  if (violation.before_welcome) {
    expect_failed(joined.only(), client_errc::protocol_violation, "wamp.error.protocol_violation",
                  violation.mentions);
  } else {
    every.expect_failed_with(client_errc::protocol_violation, "wamp.error.protocol_violation");
  }
  // Nothing stays: more messages are ignored, and a new session starts afresh.
  receive(m({50, 2, Obj{}}));
  EXPECT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(listener.ended.size(), 1u);
  join_session();
  session.call("com.p", {}, {}, {}, nullptr);
  EXPECT_EQ(last_request(), 1u);
}

const Violation violations[] = {
    {"NotAnArray", false, Value("hello"), "does not parse"},
    {"UnknownType", false, m({99, 1}), "does not parse"},
    {"BadShape", false, m({50, "one", Obj{}}), "does not parse"},
    {"BadShapeBeforeWelcome", true, m({2, 0, Obj{}}), "does not parse"},
    {"Call", false, m({48, 1, Obj{}, "com.p"}), "CALL is not a message a client receives"},
    {"Hello", false, m({1, "realm1", Obj{}}), "HELLO is not a message a client receives"},
    {"Cancel", false, m({49, 1, Obj{}}), "CANCEL is not a message a client receives"},
    {"ResultBeforeWelcome", true, m({50, 1, Obj{}}), "RESULT before WELCOME"},
    {"GoodbyeBeforeWelcome", true, m({6, Obj{}, "wamp.close.close_realm"}),
     "GOODBYE before WELCOME"},
    {"SecondWelcome", false, m({2, 9002, Obj{}}), "a second WELCOME"},
    {"ChallengeWithoutAuthmethods", true, m({4, "ticket", Obj{}}), "CHALLENGE"},
    {"ChallengeAfterWelcome", false, m({4, "ticket", Obj{}}), "CHALLENGE after WELCOME"},
    {"ResultForNoRequest", false, m({50, 9, Obj{}}), "RESULT for request 9"},
    {"ResultForASubscribe", false, m({50, 5, Obj{}}), "RESULT for request 5"},
    {"PublishedForNoRequest", false, m({17, 9, 1}), "PUBLISHED for request 9"},
    {"PublishedForACall", false, m({17, 3, 1}), "PUBLISHED for request 3"},
    {"SubscribedForACall", false, m({33, 3, 1}), "SUBSCRIBED for request 3"},
    {"UnsubscribedForAnUnregister", false, m({35, 8}), "UNSUBSCRIBED for request 8"},
    {"UnregisteredForAnUnsubscribe", false, m({67, 7}), "UNREGISTERED for request 7"},
    {"UnsubscribedForNoRequest", false, m({35, 9}), "UNSUBSCRIBED for request 9"},
    {"RegisteredForNoRequest", false, m({65, 9, 1}), "REGISTERED for request 9"},
    {"RegisteredTwice", false, m({65, 1, 701}), "REGISTERED for request 1"},
    {"UnregisteredForNoRequest", false, m({67, 9}), "UNREGISTERED for request 9"},
    {"ErrorForNoRequest", false, m({8, 48, 9, Obj{}, "wamp.error.x"}), "ERROR for CALL request 9"},
    {"ErrorOfTheWrongType", false, m({8, 32, 3, Obj{}, "wamp.error.x"}),
     "ERROR for SUBSCRIBE request 3"},
    {"ErrorForAnInvocation", false, m({8, 68, 3, Obj{}, "wamp.error.x"}),
     "ERROR for INVOCATION request 3"},
    {"EventForNoSubscription", false, m({36, 501, 1, Obj{}}), "EVENT for subscription 501"},
    {"InvocationForNoRegistration", false, m({68, 1, 701, Obj{}}),
     "INVOCATION for registration 701"},
};

INSTANTIATE_TEST_SUITE_P(Kinds, ViolationTest, testing::ValuesIn(violations),
                         [](const testing::TestParamInfo<Violation>& info) {
                           return std::string(info.param.name);
                         });

TEST_F(SessionTest, RegisteredReusingARegistrationIsAViolation) {
  join_session();
  register_procedure("com.p", 700, nullptr);
  RegisterOutcomes registered;
  session.register_procedure("com.q", {}, nullptr, registered.handler());
  receive(m({65, 2, 700}));
  expect_violation("registration 700");
  expect_failed(registered.only(), client_errc::protocol_violation,
                "wamp.error.protocol_violation");
}

TEST_F(SessionTest, InvocationReusingAnUnansweredRequestIsAViolation) {
  join_session();
  std::vector<Invocation> held;
  register_procedure("com.p", 700,
                     [&](Invocation invocation) { held.push_back(std::move(invocation)); });
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 9, 700, Obj{}}));
  expect_violation("INVOCATION with request 9");
  EXPECT_EQ(held.size(), 1u);
  EXPECT_FALSE(held[0].yield());
}

// -- re-entrancy

TEST_F(SessionTest, EndFromAHandlerCompletesTheRest) {
  join_session();
  CallOutcomes later;
  session.call("com.p", {}, {}, {}, [&](WampResult<CallResult>) {
    session.end(local_error(client_errc::closed, "closed from a handler"));
  });
  session.call("com.p", {}, {}, {}, later.handler());
  receive(m({50, 1, Obj{}}));
  expect_failed(later.only(), client_errc::closed, "uvwamp.error.closed");
  EXPECT_EQ(session.state(), State::closed);
  receive(m({50, 2, Obj{}}));
  EXPECT_EQ(later.got.size(), 1u);
  EXPECT_TRUE(listener.ended.empty());
}

TEST_F(SessionTest, EndFromAnEventHandlerStopsTheDispatch) {
  join_session();
  int second_events = 0;
  subscribe("com.t", 500,
            [&](const Event&) { session.end(local_error(client_errc::closed, "closed")); });
  subscribe("com.t", 500, [&](const Event&) { ++second_events; });
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(second_events, 0);
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionTest, LeaveFromAnEventHandlerStopsTheDispatch) {
  join_session();
  int second_events = 0;
  subscribe("com.t", 500, [&](const Event&) { session.leave("wamp.close.close_realm", nullptr); });
  subscribe("com.t", 500, [&](const Event&) { ++second_events; });
  receive(m({36, 500, 1, Obj{}}));
  EXPECT_EQ(second_events, 0);
  EXPECT_EQ(session.state(), State::leaving);
}

TEST_F(SessionTest, EndFromAnInvocationHandler) {
  join_session();
  bool answered = true;
  register_procedure("com.p", 700, [&](Invocation invocation) {
    session.end(local_error(client_errc::closed, "closed"));
    answered = invocation.yield();
    throw std::runtime_error("and then it throws");
  });
  receive(m({68, 9, 700, Obj{}}));
  EXPECT_FALSE(answered);
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(session.state(), State::closed);
}

TEST_F(SessionTest, EndAndJoinAgainFromAnInvocationHandler) {
  join_session();
  register_procedure("com.p", 700, [&](Invocation) {
    session.end(local_error(client_errc::closed, "closed"));
    session.join("realm1", {}, {}, nullptr);
    session.receive(m({2, 9002, Obj{}}));
    throw std::runtime_error("thrown in the old epoch");
  });
  receive(m({68, 1, 700, Obj{}}));
  ASSERT_EQ(link.sent.size(), 1u);  // the HELLO; nothing answers in the new session
  EXPECT_EQ(link.sent[0].if_array()->at(0), Value(1));
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(SessionTest, RequestsFromHandlersAreSentAndCompleteLater) {
  JoinOutcomes joined;
  CallOutcomes called;
  session.join("realm1", {}, {}, [&](WampResult<SessionInfo>) {
    session.call("com.p", {}, {}, {}, called.handler());
    session.call("bad uri", {}, {}, {}, called.handler());
  });
  receive(m({2, 9001, Obj{}}));
  EXPECT_EQ(link.sent.back(), m({48, 1, Obj{}, "com.p"}));
  EXPECT_TRUE(called.got.empty());
  link.run_deferred();
  ASSERT_EQ(called.got.size(), 1u);
  expect_failed(called.got[0], client_errc::invalid_argument, "wamp.error.invalid_uri");
}

TEST_F(SessionTest, JoinAgainFromACompletionOfTheEndedSession) {
  join_session();
  session.call("com.p", {}, {}, {}, [&](WampResult<CallResult> result) {
    EXPECT_FALSE(result.ok());
    session.join("realm1", {}, {}, nullptr);
  });
  link.sent.clear();
  receive(m({6, Obj{}, "wamp.close.system_shutdown"}));
  EXPECT_EQ(listener.ended.size(), 1u);
  EXPECT_EQ(session.state(), State::establishing);
  EXPECT_EQ(session.epoch(), 2u);
  ASSERT_EQ(link.sent.size(), 2u);  // the GOODBYE answer, then the new HELLO
  EXPECT_EQ(link.sent[1].if_array()->at(0), Value(1));
}

TEST_F(SessionTest, ListenerMayEndTheSessionAgain) {
  join_session();
  listener.hook = [&](const WampError&) {
    session.end(local_error(client_errc::transport_lost, "closing"));
  };
  receive(m({3, Obj{}, "wamp.error.system_shutdown"}));
  EXPECT_EQ(listener.ended.size(), 1u);
  EXPECT_EQ(session.state(), State::closed);
}

}  // namespace
}  // namespace uvwamp
