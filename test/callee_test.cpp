// The session as Callee with the Advanced Profile: registration options, typed invocation
// details, progressive results, INTERRUPT and the forwarded timeout on fake time, progressive
// input, registration revocation, and the races between the callee's answers and the router.
// The Basic Profile's registrations and invocations are in session_test.cpp.
#include <uvwamp/rpc.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "session/session.hpp"
#include "session_test_support.hpp"

namespace uvwamp {
namespace {

using namespace test;
using std::chrono::milliseconds;

class CalleeTest : public SessionTest {
 protected:
  // Registers com.p as registration 700 with `options`, keeping every invocation in `held`.
  Registration register_held(RegisterOptions options = {}) {
    RegisterOutcomes registered;
    session.register_procedure(
        "com.p", std::move(options),
        [this](Invocation invocation) { held.push_back(std::move(invocation)); },
        registered.handler());
    receive(m({65, last_request(), 700}));
    link.sent.clear();
    EXPECT_TRUE(registered.only().ok());
    return registered.only().value();
  }
  void advance(milliseconds by) {
    link.time += by;
    session.expire(link.time);
  }
  void expect_sent(const Value& message) {
    ASSERT_FALSE(link.sent.empty());
    EXPECT_EQ(link.sent.back(), message);
  }

  std::vector<Invocation> held;
};

// -- registration options

TEST_F(CalleeTest, TypedOptionsDecideTheirMembersOfRegisterOptions) {
  join_session();
  RegisterOptions options;
  options.match = MatchPolicy::prefix;
  options.invoke = InvokePolicy::roundrobin;
  options.concurrency = 4;
  options.disclose_caller = true;
  options.forward_timeout = true;
  options.extra = Obj{{"force_reregister", true}, {"invoke", "single"}};
  session.register_procedure("com.example.", options, nullptr, nullptr);
  expect_sent(m({64, 1,
                 Obj{{"concurrency", 4},
                     {"disclose_caller", true},
                     {"force_reregister", true},
                     {"forward_timeout", true},
                     {"invoke", "roundrobin"},
                     {"match", "prefix"}},
                 "com.example."}));
}

TEST_F(CalleeTest, DefaultOptionsSendNothingButExtra) {
  join_session();
  RegisterOptions options;
  options.extra = Obj{{"match", "wildcard"}, {"concurrency", 2}};
  session.register_procedure("com.p", options, nullptr, nullptr);
  expect_sent(m({64, 1, Obj{}, "com.p"}));
}

TEST_F(CalleeTest, EachPolicyHasItsName) {
  join_session();
  const std::pair<InvokePolicy, const char*> policies[] = {{InvokePolicy::random, "random"},
                                                           {InvokePolicy::first, "first"},
                                                           {InvokePolicy::last, "last"}};
  for (const auto& [policy, name] : policies) {
    RegisterOptions options;
    options.invoke = policy;
    options.match = MatchPolicy::wildcard;
    const std::string uri = std::string("com..") + name;
    session.register_procedure(uri, options, nullptr, nullptr);
    expect_sent(m({64, last_request(), Obj{{"invoke", name}, {"match", "wildcard"}}, uri}));
  }
}

TEST_F(CalleeTest, TheMatchPolicyDecidesWhichUrisAreValid) {
  join_session();
  struct Case {
    MatchPolicy match;
    const char* uri;
    bool valid;
  };
  const Case cases[] = {
      {MatchPolicy::exact, "com.p", true},       {MatchPolicy::exact, "com..p", false},
      {MatchPolicy::exact, "com.p.", false},     {MatchPolicy::prefix, "com.p.", true},
      {MatchPolicy::prefix, "com..p", false},    {MatchPolicy::wildcard, "com..p", true},
      {MatchPolicy::wildcard, "com. .p", false}, {MatchPolicy::prefix, "", false},
  };
  for (const Case& c : cases) {
    RegisterOutcomes registered;
    RegisterOptions options;
    options.match = c.match;
    link.sent.clear();
    session.register_procedure(c.uri, options, nullptr, registered.handler());
    link.run_deferred();
    EXPECT_EQ(link.sent.size(), c.valid ? 1u : 0u) << c.uri;
    if (!c.valid)
      expect_failed(registered.only(), client_errc::invalid_argument, "wamp.error.invalid_uri",
                    c.uri);
  }
}

TEST_F(CalleeTest, ASessionRegistersAProcedureOnce) {
  // Routers answer a second REGISTER of a shared procedure from the same session with the same
  // registration id; the session refuses it before it goes out.
  join_session();
  RegisterOptions shared;
  shared.invoke = InvokePolicy::roundrobin;
  RegisterOutcomes first, second, other_match;
  session.register_procedure("com.p", shared, nullptr, first.handler());
  session.register_procedure("com.p", shared, nullptr, second.handler());
  RegisterOptions prefix;
  prefix.match = MatchPolicy::prefix;
  session.register_procedure("com.p", prefix, nullptr, other_match.handler());
  EXPECT_EQ(link.sent.size(), 2u);
  link.run_deferred();
  expect_failed(second.only(), client_errc::invalid_argument, "wamp.error.procedure_already_exists",
                "registered 'com.p' already");
  EXPECT_TRUE(first.got.empty());
  EXPECT_TRUE(other_match.got.empty());
}

// -- typed details

TEST_F(CalleeTest, InvocationDetailsAreTyped) {
  join_session();
  RegisterOptions options;
  options.match = MatchPolicy::prefix;
  register_held(options);
  receive(m({68, 9, 700,
             Obj{{"caller", 3335656},
                 {"caller_authid", "alice"},
                 {"caller_authrole", "user"},
                 {"procedure", "com.p.add"},
                 {"trustlevel", 2},
                 {"receive_progress", true},
                 {"timeout", 1500},
                 {"progress", false}},
             Arr{1}}));
  ASSERT_EQ(held.size(), 1u);
  const Invocation& invocation = held[0];
  EXPECT_EQ(invocation.caller(), std::optional<Id>(3335656));
  EXPECT_EQ(invocation.caller_authid(), "alice");
  EXPECT_EQ(invocation.caller_authrole(), "user");
  EXPECT_EQ(invocation.procedure(), "com.p.add");
  EXPECT_EQ(invocation.trustlevel(), std::optional<std::int64_t>(2));
  EXPECT_TRUE(invocation.receive_progress());
  EXPECT_EQ(invocation.timeout(), milliseconds(1500));
  EXPECT_FALSE(invocation.more_input());
  EXPECT_EQ(invocation.details.size(), 8u);
}

TEST_F(CalleeTest, DetailsLeftOutOrOfAnotherTypeReadAsAbsent) {
  join_session();
  register_held();
  receive(m({68, 9, 700,
             Obj{{"caller", "someone"},
                 {"caller_authid", 7},
                 {"trustlevel", "high"},
                 {"receive_progress", "yes"},
                 {"timeout", -3},
                 {"procedure", 1}}}));
  receive(m({68, 10, 700, Obj{}}));
  ASSERT_EQ(held.size(), 2u);
  for (const Invocation& invocation : held) {
    EXPECT_FALSE(invocation.caller().has_value());
    EXPECT_EQ(invocation.caller_authid(), "");
    EXPECT_EQ(invocation.caller_authrole(), "");
    EXPECT_FALSE(invocation.trustlevel().has_value());
    EXPECT_FALSE(invocation.receive_progress());
    EXPECT_EQ(invocation.timeout(), milliseconds(0));
    EXPECT_EQ(invocation.procedure(), "com.p");
    EXPECT_FALSE(invocation.more_input());
  }
}

// -- progressive results

TEST_F(CalleeTest, ProgressGoesOutBeforeTheFinalAnswer) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"receive_progress", true}}}));
  Invocation& invocation = held[0];
  ASSERT_TRUE(invocation.progress({"a"}).ok());
  expect_sent(m({70, 9, Obj{{"progress", true}}, Arr{"a"}}));
  ASSERT_TRUE(invocation.progress({}, Obj{{"k", 1}}).ok());
  expect_sent(m({70, 9, Obj{{"progress", true}}, Arr{}, Obj{{"k", 1}}}));
  EXPECT_FALSE(invocation.answered());
  EXPECT_TRUE(invocation.yield({"total"}));
  expect_sent(m({70, 9, Obj{}, Arr{"total"}}));
  // Progress after the final answer.
  WampStatus late = invocation.progress({"late"});
  ASSERT_FALSE(late.ok());
  expect_error(late.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "answered already");
  EXPECT_EQ(link.sent.size(), 3u);
}

TEST_F(CalleeTest, ProgressNeedsACallerWhoAskedForIt) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  WampStatus refused = held[0].progress({"a"});
  ASSERT_FALSE(refused.ok());
  expect_error(refused.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "receive_progress");
  EXPECT_TRUE(link.sent.empty());
  EXPECT_TRUE(held[0].yield());
}

TEST_F(CalleeTest, ProgressAfterTheSessionEndedSaysSo) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"receive_progress", true}}}));
  session.end(local_error(client_errc::transport_lost, "gone"));
  WampStatus late = held[0].progress({"a"});
  ASSERT_FALSE(late.ok());
  expect_error(late.error(), client_errc::session_ended, "uvwamp.error.session_ended");
  EXPECT_FALSE(held[0].yield());
}

TEST_F(CalleeTest, AProgressThatCannotBeSentFailsAndTheInvocationStaysOpen) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"receive_progress", true}}}));
  link.failure = codec_failure;
  WampStatus failed = held[0].progress({"a"});
  ASSERT_FALSE(failed.ok());
  expect_error(failed.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "NaN");
  link.failure.reset();
  EXPECT_TRUE(held[0].yield());
}

// -- interruption

TEST_F(CalleeTest, InterruptReachesTheHandlerAndTheSessionAnswersCanceled) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  Invocation& invocation = held[0];
  CancellationToken token = invocation.cancellation();
  std::vector<Interrupt> interrupts;
  invocation.on_interrupt([&](const Interrupt& what) {
    EXPECT_TRUE(token.canceled()) << "the token turns before the handler runs";
    interrupts.push_back(what);
  });
  EXPECT_FALSE(token.canceled());
  EXPECT_FALSE(invocation.interrupted());
  receive(m({69, 9, Obj{{"mode", "kill"}, {"reason", "wamp.error.canceled"}}}));
  ASSERT_EQ(interrupts.size(), 1u);
  EXPECT_EQ(interrupts[0].mode, CancelMode::kill);
  EXPECT_EQ(interrupts[0].reason, "wamp.error.canceled");
  EXPECT_TRUE(invocation.interrupted());
  EXPECT_TRUE(token.canceled());
  ASSERT_EQ(link.sent.size(), 1u);
  const Arr& error = *link.sent[0].if_array();
  EXPECT_EQ(error[0], Value(8));
  EXPECT_EQ(error[1], Value(68));
  EXPECT_EQ(error[2], Value(9));
  EXPECT_EQ(error[4], Value("wamp.error.canceled"));
  EXPECT_TRUE(invocation.answered());
  // A late answer is dropped: nothing goes out, and nothing breaks.
  EXPECT_FALSE(invocation.yield({"late"}));
  EXPECT_FALSE(invocation.error("com.error"));
  EXPECT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CalleeTest, KillnowaitAndNoModeReadAsKillnowait) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}}));
  std::vector<CancelMode> modes;
  for (Invocation& invocation : held) {
    invocation.on_interrupt([&](const Interrupt& what) {
      modes.push_back(what.mode);
      EXPECT_EQ(what.reason, "");
    });
  }
  receive(m({69, 9, Obj{{"mode", "killnowait"}}}));
  receive(m({69, 10, Obj{}}));  // Crossbar, for an autobahn caller's CANCEL
  EXPECT_EQ(modes, (std::vector<CancelMode>{CancelMode::killnowait, CancelMode::killnowait}));
  // Answered all the same: Crossbar keeps a killnowait invocation until its callee answers.
  EXPECT_EQ(link.sent.size(), 2u);
  EXPECT_FALSE(held[0].yield());
}

TEST_F(CalleeTest, AnInterruptHandlerMayAnswerItself) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 10, 700, Obj{}}));
  held[0].on_interrupt([&](const Interrupt&) { EXPECT_TRUE(held[0].yield({"partial"})); });
  held[1].on_interrupt(
      [&](const Interrupt&) { EXPECT_TRUE(held[1].error("wamp.error.canceled", {"stopped"})); });
  receive(m({69, 9, Obj{{"mode", "kill"}}}));
  receive(m({69, 10, Obj{{"mode", "kill"}}}));
  EXPECT_EQ(link.sent, (std::vector<Value>{
                           m({70, 9, Obj{}, Arr{"partial"}}),
                           m({8, 68, 10, Obj{}, "wamp.error.canceled", Arr{"stopped"}}),
                       }));
}

TEST_F(CalleeTest, AnInterruptForAnAnsweredOrUnknownInvocationIsIgnored) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  EXPECT_TRUE(held[0].yield());
  bool told = false;
  held[0].on_interrupt([&](const Interrupt&) { told = true; });
  receive(m({69, 9, Obj{{"mode", "kill"}}}));
  receive(m({69, 77, Obj{{"mode", "kill"}}}));
  EXPECT_FALSE(told);
  EXPECT_FALSE(held[0].interrupted());
  EXPECT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CalleeTest, AHandlerSetAfterTheInterruptRunsAtOnce) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  receive(m({69, 9, Obj{{"mode", "killnowait"}, {"reason", "wamp.error.timeout"}}}));
  std::optional<Interrupt> told;
  held[0].on_interrupt([&](const Interrupt& what) { told = what; });
  ASSERT_TRUE(told.has_value());
  EXPECT_EQ(told->reason, "wamp.error.timeout");
  // The router's timeout reads as a timeout for the caller too.
  EXPECT_EQ(link.sent.back().if_array()->at(4), Value("wamp.error.timeout"));
}

TEST_F(CalleeTest, AnInterruptHandlerThatThrowsIsReportedAndTheCallerStillHears) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  held[0].on_interrupt([](const Interrupt&) { throw std::runtime_error("cleanup failed"); });
  receive(m({69, 9, Obj{{"mode", "kill"}}}));
  EXPECT_EQ(listener.thrown.size(), 1u);
  EXPECT_EQ(link.sent.back().if_array()->at(4), Value("wamp.error.canceled"));
}

TEST_F(CalleeTest, ADroppedInterruptedInvocationSendsNothingMore) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  receive(m({69, 9, Obj{{"mode", "killnowait"}}}));
  held.clear();
  EXPECT_EQ(link.sent.size(), 1u);
}

TEST_F(CalleeTest, AnInvocationDroppedByItsInterruptHandlerIsAnsweredAsInterrupted) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  held[0].on_interrupt([&](const Interrupt&) { held.clear(); });
  receive(m({69, 9, Obj{{"mode", "kill"}, {"reason", "wamp.error.canceled"}}}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.canceled"));
}

// -- the forwarded timeout

TEST_F(CalleeTest, AForwardedTimeoutInterruptsTheInvocation) {
  join_session();
  RegisterOptions options;
  options.forward_timeout = true;
  register_held(options);
  receive(m({68, 9, 700, Obj{{"timeout", 100}}}));
  std::optional<Interrupt> told;
  held[0].on_interrupt([&](const Interrupt& what) { told = what; });
  EXPECT_EQ(session.next_deadline(), link.time + milliseconds(100));
  advance(milliseconds(99));
  EXPECT_FALSE(held[0].interrupted());
  advance(milliseconds(1));
  ASSERT_TRUE(told.has_value());
  EXPECT_EQ(told->reason, "wamp.error.timeout");
  EXPECT_TRUE(held[0].cancellation().canceled());
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.timeout"));
  EXPECT_FALSE(session.next_deadline().has_value());
}

TEST_F(CalleeTest, ProgressRestartsTheForwardedTimeoutAndAnAnswerDisarmsIt) {
  join_session();
  RegisterOptions options;
  options.forward_timeout = true;
  register_held(options);
  receive(m({68, 9, 700, Obj{{"timeout", 100}, {"receive_progress", true}}}));
  advance(milliseconds(80));
  ASSERT_TRUE(held[0].progress({1}).ok());
  EXPECT_EQ(session.next_deadline(), link.time + milliseconds(100));
  advance(milliseconds(80));
  EXPECT_FALSE(held[0].interrupted());
  EXPECT_TRUE(held[0].yield());
  EXPECT_FALSE(session.next_deadline().has_value());
}

TEST_F(CalleeTest, WithoutForwardTimeoutTheTimeoutIsOnlyInformation) {
  // Crossbar forwards a caller's timeout whatever the callee asked, in the caller's units.
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"timeout", 2}}}));
  EXPECT_EQ(held[0].timeout(), milliseconds(2));
  EXPECT_FALSE(session.next_deadline().has_value());
}

// -- progressive call invocations

TEST_F(CalleeTest, ProgressiveInputReachesTheInputHandlerInOrder) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{"chunk 1"}}));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0].more_input());
  EXPECT_EQ(held[0].args, (Arr{"chunk 1"}));
  // nexus's continuation chunks carry only the progress flag.
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{"chunk 2"}}));
  std::vector<InvocationInput> input;
  held[0].on_input([&](InvocationInput chunk) { input.push_back(std::move(chunk)); });
  ASSERT_EQ(input.size(), 1u) << "what came before on_input() arrives inside it";
  EXPECT_EQ(input[0].args, (Arr{"chunk 2"}));
  EXPECT_TRUE(input[0].more);
  receive(m({68, 9, 700, Obj{{"progress", false}}, Arr{"chunk 3"}, Obj{{"end", true}}}));
  ASSERT_EQ(input.size(), 2u);
  EXPECT_EQ(input[1].args, (Arr{"chunk 3"}));
  EXPECT_EQ(input[1].kwargs, (Obj{{"end", true}}));
  EXPECT_FALSE(input[1].more);
  EXPECT_EQ(held.size(), 1u);
  EXPECT_TRUE(held[0].yield({3}));
}

TEST_F(CalleeTest, InputAfterTheAnswerIsDropped) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{"chunk 1"}}));
  EXPECT_TRUE(held[0].error("com.error.too_big"));
  // nexus forwards the caller's further chunks until the caller's last one.
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{"chunk 2"}}));
  receive(m({68, 9, 700, Obj{{"progress", false}}, Arr{"chunk 3"}}));
  EXPECT_EQ(held.size(), 1u);
  EXPECT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CalleeTest, MoreInputForAnInvocationWhoseInputEndedBreaksTheProtocol) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"progress", true}}}));
  receive(m({68, 9, 700, Obj{}}));
  receive(m({68, 9, 700, Obj{}}));
  expect_violation("INVOCATION with request 9");
}

TEST_F(CalleeTest, AnInputHandlerMayAnswerAndTheRestIsDropped) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"progress", true}}}));
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{1}}));
  receive(m({68, 9, 700, Obj{{"progress", true}}, Arr{2}}));
  int chunks = 0;
  held[0].on_input([&](InvocationInput) {
    ++chunks;
    EXPECT_TRUE(held[0].yield());
  });
  EXPECT_EQ(chunks, 1);
  receive(m({68, 9, 700, Obj{}, Arr{3}}));
  EXPECT_EQ(chunks, 1);
}

// -- revocation

TEST_F(CalleeTest, ARevokedRegistrationTellsItsCalleeWhyAndIsGone) {
  join_session();
  std::vector<std::pair<Registration, std::string>> revoked;
  RegisterOptions options;
  options.on_revoked = [&](const Registration& registration, const std::string& reason) {
    revoked.emplace_back(registration, reason);
  };
  Registration registration = register_held(options);
  receive(m({68, 9, 700, Obj{}}));
  receive(m({67, 0, Obj{{"registration", 700}, {"reason", "wamp.error.unregistered"}}}));
  ASSERT_EQ(revoked.size(), 1u);
  EXPECT_EQ(revoked[0].first.id, 700u);
  EXPECT_EQ(revoked[0].first.procedure, "com.p");
  EXPECT_EQ(revoked[0].first.local_id, registration.local_id);
  EXPECT_EQ(revoked[0].second, "wamp.error.unregistered");
  // An invocation under way may still be answered.
  EXPECT_TRUE(held[0].yield());
  DoneOutcomes unregistered;
  session.unregister(registration, unregistered.handler());
  link.run_deferred();
  expect_failed(unregistered.only(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                "revoked");
  receive(m({68, 10, 700, Obj{}}));
  expect_violation("INVOCATION for registration 700");
}

TEST_F(CalleeTest, ARevocationOfNothingKnownIsIgnored) {
  join_session();
  int revoked = 0;
  RegisterOptions options;
  options.on_revoked = [&](const Registration&, const std::string&) { ++revoked; };
  Registration registration = register_held(options);
  receive(m({67, 0, Obj{{"registration", 999}}}));
  receive(m({67, 0, Obj{{"reason", "no registration named"}}}));
  EXPECT_EQ(revoked, 0);
  // Revoked while it was being unregistered: the callee asked for it to go anyway.
  session.unregister(registration, nullptr);
  receive(m({67, 0, Obj{{"registration", 700}}}));
  EXPECT_EQ(revoked, 0);
  receive(m({67, last_request()}));
  EXPECT_EQ(session.state(), State::established);
}

// -- the end of the session

TEST_F(CalleeTest, TheEndOfTheSessionInterruptsLiveInvocationsAndAnswersDoNothing) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{{"progress", true}, {"receive_progress", true}}}));
  receive(m({68, 10, 700, Obj{}}));
  std::vector<InvocationInput> input;
  held[0].on_input([&](InvocationInput chunk) { input.push_back(std::move(chunk)); });
  std::vector<Interrupt> told;
  held[0].on_interrupt([&](const Interrupt& what) { told.push_back(what); });
  const CancellationToken token = held[1].cancellation();
  session.end(local_error(client_errc::closed, "closing"));

  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].mode, CancelMode::killnowait);
  EXPECT_EQ(told[0].reason, "uvwamp.error.closed");
  EXPECT_TRUE(held[0].interrupted());
  EXPECT_TRUE(token.canceled());
  // A handler set after the end learns of it at once.
  std::vector<Interrupt> late;
  held[1].on_interrupt([&](const Interrupt& what) { late.push_back(what); });
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].reason, "uvwamp.error.closed");

  EXPECT_FALSE(held[0].yield());
  EXPECT_FALSE(held[0].error("com.error"));
  expect_failed(held[0].progress(), client_errc::session_ended, "uvwamp.error.session_ended",
                "session of the invocation is over");
  EXPECT_TRUE(input.empty());
  EXPECT_TRUE(link.sent.empty());
  EXPECT_EQ(told.size(), 1u);
}

TEST_F(CalleeTest, AnInvocationAnsweredBeforeTheEndIsNotInterruptedByIt) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  bool told = false;
  held[0].on_interrupt([&](const Interrupt&) { told = true; });
  ASSERT_TRUE(held[0].yield());
  session.end(local_error(client_errc::closed, "closing"));
  EXPECT_FALSE(told);
  EXPECT_FALSE(held[0].interrupted());
}

TEST_F(CalleeTest, AnInvocationHoldingItselfInItsHandlersIsFreedWhenAnswered) {
  join_session();
  register_held();
  receive(m({68, 9, 700, Obj{}}));
  auto invocation = std::make_shared<Invocation>(std::move(held[0]));
  std::weak_ptr<Invocation> watch = invocation;
  invocation->on_interrupt([invocation](const Interrupt&) {});
  invocation.reset();
  ASSERT_FALSE(watch.expired());
  receive(m({69, 9, Obj{{"mode", "kill"}}}));
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(link.sent.size(), 1u);
}

}  // namespace
}  // namespace uvwamp
