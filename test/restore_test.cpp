// Keeping registrations and subscriptions across epochs and restoring them (what the client's
// reconnect is built on): what goes out again and with which options, handles that keep naming
// their registration or subscription under the router's new ids, what cannot be restored and
// how it is reported, and the ways a restore is cut short.
#include <uvwamp/reconnect.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "session/session.hpp"
#include "session_test_support.hpp"

namespace uvwamp {
namespace {

using namespace test;
using std::chrono::milliseconds;

using RestoreOutcomes = Outcomes<WampResult<RestoreReport>>;

class RestoreTest : public SessionTest {
 protected:
  RestoreTest() { session.keep_for_restore(true); }

  void lose() {
    session.end(local_error(client_errc::transport_lost, "the connection was lost"));
    link.run_deferred();
  }
  // Joins again and starts the restore; what it sent is in link.sent.
  void rejoin_and_restore(RestoreOutcomes& restored) {
    join_session();
    session.restore(restored.handler());
  }
  // The request id of message `index` of link.sent.
  Id request_of(std::size_t index) const {
    return link.sent.at(index).if_array()->at(1).to_uint64().value();
  }
};

TEST_F(RestoreTest, RegistrationsAndSubscriptionsComeBackUnderNewIds) {
  join_session();
  std::vector<std::string> invoked;
  std::vector<Id> events;
  RegisterOutcomes registered;
  RegisterOptions options;
  options.match = MatchPolicy::prefix;
  options.invoke = InvokePolicy::roundrobin;
  session.register_procedure(
      "com.p", options,
      [&](Invocation invocation) {
        invoked.push_back(invocation.procedure());
        invocation.yield();
      },
      registered.handler());
  receive(m({65, last_request(), 700}));
  const Registration registration = registered.only().value();
  SubscribeOutcomes subscribed;
  session.subscribe(
      "com.t", SubscribeOptions{Obj{{"match", "prefix"}}},
      [&](const Event& event) { events.push_back(event.publication); }, subscribed.handler());
  receive(m({33, last_request(), 500}));
  const Subscription subscription = subscribed.only().value();

  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  ASSERT_EQ(link.sent.size(), 2u);
  EXPECT_EQ(link.sent[0], m({64, 1, Obj{{"match", "prefix"}, {"invoke", "roundrobin"}}, "com.p"}));
  EXPECT_EQ(link.sent[1], m({32, 2, Obj{{"match", "prefix"}}, "com.t"}));
  receive(m({65, 1, 800}));
  EXPECT_TRUE(restored.got.empty());  // the subscription is not back yet
  receive(m({33, 2, 600}));
  ASSERT_TRUE(restored.only().ok());
  const RestoreReport& report = restored.only().value();
  ASSERT_EQ(report.registrations.size(), 1u);
  EXPECT_EQ(report.registrations[0].id, 800u);
  EXPECT_EQ(report.registrations[0].local_id, registration.local_id);
  ASSERT_EQ(report.subscriptions.size(), 1u);
  EXPECT_EQ(report.subscriptions[0].id, 600u);
  EXPECT_EQ(report.subscriptions[0].local_id, subscription.local_id);
  EXPECT_TRUE(report.failed.empty());

  // The handlers are the ones given at first.
  receive(m({68, 5, 800, Obj{{"procedure", "com.p.x"}}}));
  EXPECT_EQ(invoked, (std::vector<std::string>{"com.p.x"}));
  receive(m({36, 600, 77, Obj{}}));
  EXPECT_EQ(events, (std::vector<Id>{77}));

  // The old handles name them under their new ids.
  link.sent.clear();
  DoneOutcomes done;
  session.unregister(registration, done.handler());
  session.unsubscribe(subscription, done.handler());
  ASSERT_EQ(link.sent.size(), 2u);
  EXPECT_EQ(link.sent[0], m({66, request_of(0), 800}));
  EXPECT_EQ(link.sent[1], m({34, request_of(1), 600}));
}

TEST_F(RestoreTest, WhatTheRouterRefusesIsReportedAndGone) {
  join_session();
  const Registration taken = register_procedure("com.taken", 700, nullptr);
  const Registration kept = register_procedure("com.kept", 701, nullptr);
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  ASSERT_EQ(link.sent.size(), 2u);
  receive(m({8, 64, 1, Obj{}, "wamp.error.procedure_already_exists"}));
  receive(m({65, 2, 801}));
  ASSERT_TRUE(restored.only().ok());
  const RestoreReport& report = restored.only().value();
  ASSERT_EQ(report.registrations.size(), 1u);
  EXPECT_EQ(report.registrations[0].local_id, kept.local_id);
  ASSERT_EQ(report.failed.size(), 1u);
  const auto* failed = std::get_if<Registration>(&report.failed[0].what);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->local_id, taken.local_id);
  EXPECT_EQ(failed->procedure, "com.taken");
  expect_error(report.failed[0].error, client_errc::wamp_error,
               "wamp.error.procedure_already_exists", "REGISTER com.taken failed");

  DoneOutcomes done;
  session.unregister(taken, done.handler());
  link.run_deferred();
  expect_failed(done.only(), client_errc::invalid_argument, "uvwamp.error.invalid_argument");
}

TEST_F(RestoreTest, LocalSubscriptionsSharingOneRouterSubscriptionComeBackTogether) {
  join_session();
  int first = 0;
  int second = 0;
  const Subscription one = subscribe("com.t", 500, [&](const Event&) { ++first; });
  const Subscription two = subscribe("com.t", 500, [&](const Event&) { ++second; });
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  ASSERT_EQ(link.sent.size(), 1u);
  receive(m({33, 1, 600}));
  ASSERT_TRUE(restored.only().ok());
  EXPECT_EQ(restored.only().value().subscriptions.size(), 2u);
  receive(m({36, 600, 1, Obj{}}));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  // One of them goes on its own, without a word to the router.
  link.sent.clear();
  DoneOutcomes done;
  session.unsubscribe(one, done.handler());
  link.run_deferred();
  EXPECT_TRUE(done.only().ok());
  EXPECT_TRUE(link.sent.empty());
  receive(m({36, 600, 2, Obj{}}));
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 2);
  (void)two;
}

TEST_F(RestoreTest, NothingKeptRestoresNothing) {
  join_session();
  RestoreOutcomes restored;
  session.restore(restored.handler());
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(restored.got.empty());  // never inside the call
  link.run_deferred();
  ASSERT_TRUE(restored.only().ok());
  EXPECT_TRUE(restored.only().value().registrations.empty());
}

TEST_F(RestoreTest, WithoutKeepingAnEndedEpochsHandlesNameNothing) {
  session.keep_for_restore(false);
  join_session();
  const Registration registration = register_procedure("com.p", 700, nullptr);
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  EXPECT_TRUE(link.sent.empty());
  link.run_deferred();
  ASSERT_TRUE(restored.only().ok());
  DoneOutcomes done;
  session.unregister(registration, done.handler());
  link.run_deferred();
  expect_failed(done.only(), client_errc::invalid_argument, "uvwamp.error.invalid_argument");
}

TEST_F(RestoreTest, LeavingKeepsNothing) {
  join_session();
  register_procedure("com.p", 700, nullptr);
  session.leave("wamp.close.close_realm", nullptr);
  receive(m({6, Obj{}, "wamp.close.goodbye_and_out"}));
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(RestoreTest, ARouterGoodbyeKeepsThemForTheOwnerToRestoreOrForget) {
  join_session();
  register_procedure("com.p", 700, nullptr);
  receive(m({6, Obj{}, "wamp.close.system_shutdown"}));
  link.sent.clear();
  session.forget_kept();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  EXPECT_TRUE(link.sent.empty());

  register_procedure("com.p", 700, nullptr);
  receive(m({6, Obj{}, "wamp.close.system_shutdown"}));
  link.sent.clear();
  RestoreOutcomes again;
  rejoin_and_restore(again);
  EXPECT_EQ(link.sent.size(), 1u);
}

TEST_F(RestoreTest, DroppedWhileKeptIsNotRestored) {
  join_session();
  const Registration registration = register_procedure("com.p", 700, nullptr);
  const Subscription subscription = subscribe("com.t", 500, nullptr);
  lose();
  DoneOutcomes done;
  session.unregister(registration, done.handler());
  session.unsubscribe(subscription, done.handler());
  EXPECT_TRUE(done.got.empty());
  link.run_deferred();
  ASSERT_EQ(done.got.size(), 2u);
  EXPECT_TRUE(done.got[0].ok());
  EXPECT_TRUE(done.got[1].ok());
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(RestoreTest, DroppedWhileBeingRestoredIsUndoneWhenTheRouterAnswers) {
  join_session();
  const Registration registration = register_procedure("com.p", 700, nullptr);
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  DoneOutcomes done;
  session.unregister(registration, done.handler());
  link.run_deferred();
  EXPECT_TRUE(done.only().ok());
  // The restore counts it no more, and completes without it.
  ASSERT_TRUE(restored.only().ok());
  EXPECT_TRUE(restored.only().value().registrations.empty());
  link.sent.clear();
  receive(m({65, 1, 800}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0], m({66, request_of(0), 800}));
}

TEST_F(RestoreTest, ALossDuringTheRestoreFailsItAndKeepsEverythingForTheNext) {
  join_session();
  register_procedure("com.a", 700, nullptr);
  register_procedure("com.b", 701, nullptr);
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  receive(m({65, 1, 800}));  // com.a is back, com.b not yet
  lose();
  expect_failed(restored.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
  RestoreOutcomes again;
  rejoin_and_restore(again);
  EXPECT_EQ(link.sent.size(), 2u);
  receive(m({65, 1, 900}));
  receive(m({65, 2, 901}));
  ASSERT_TRUE(again.only().ok());
  EXPECT_EQ(again.only().value().registrations.size(), 2u);
}

TEST_F(RestoreTest, ARestoreThatTimesOutIsReportedAndALateRegistrationUndone) {
  join_session();
  RegisterOutcomes registered;
  RegisterOptions options;
  options.timeout = milliseconds(100);
  session.register_procedure("com.p", options, nullptr, registered.handler());
  receive(m({65, last_request(), 700}));
  const Registration registration = registered.only().value();
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  ASSERT_EQ(session.next_deadline(), link.time + milliseconds(100));
  link.time += milliseconds(100);
  session.expire(link.time);
  ASSERT_TRUE(restored.only().ok());
  ASSERT_EQ(restored.only().value().failed.size(), 1u);
  EXPECT_EQ(std::get<Registration>(restored.only().value().failed[0].what).local_id,
            registration.local_id);
  expect_error(restored.only().value().failed[0].error, client_errc::timed_out,
               "uvwamp.error.timeout");
  link.sent.clear();
  receive(m({65, 1, 800}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0], m({66, request_of(0), 800}));
}

TEST_F(RestoreTest, RestoreNeedsAnEstablishedSessionAndOneAtATime) {
  RestoreOutcomes refused;
  session.restore(refused.handler());
  link.run_deferred();
  expect_failed(refused.only(), client_errc::not_joined, "uvwamp.error.not_joined");
  join_session();
  register_procedure("com.p", 700, nullptr);
  lose();
  RestoreOutcomes restored;
  rejoin_and_restore(restored);
  RestoreOutcomes second;
  session.restore(second.handler());
  link.run_deferred();
  expect_failed(second.only(), client_errc::invalid_argument, "uvwamp.error.invalid_argument");
  EXPECT_TRUE(restored.got.empty());
}

}  // namespace
}  // namespace uvwamp
