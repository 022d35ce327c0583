// The session as Caller with the Advanced Profile: call options, progressive results, timeouts
// on fake time, cancel in each mode, progressive call invocations, and the races between them and
// the router's answers. The Basic Profile's calls are in session_test.cpp.
#include <uvwamp/rpc.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "session/session.hpp"
#include "session_test_support.hpp"

namespace uvwamp {
namespace {

using namespace test;
using std::chrono::milliseconds;

class CallerTest : public SessionTest {
 protected:
  // A call with `options`, whose progressive results land in `progress`.
  CallRequest call(CallOptions options = {}) {
    return session.call("com.p", {1}, {}, std::move(options), called.handler());
  }
  CallOptions with_progress() {
    CallOptions options;
    options.on_progress = [this](const CallResult& result) { progress.push_back(result.args); };
    return options;
  }
  CallOptions with_timeout(milliseconds timeout) {
    CallOptions options;
    options.timeout = timeout;
    return options;
  }
  // The time moves on by `by`, and the session times out what is due then.
  void advance(milliseconds by) {
    link.time += by;
    session.expire(link.time);
  }
  // The Options of the message sent last.
  const Value& last_options() const { return link.sent.back().if_array()->at(2); }

  CallOutcomes called;
  std::vector<Arr> progress;
};

// -- names

TEST(RpcNamesTest, EachModeAndPolicyReadsBackFromItsName) {
  for (CancelMode mode : {CancelMode::skip, CancelMode::kill, CancelMode::killnowait}) {
    EXPECT_EQ(parse_cancel_mode(wamp_name(mode)), mode);
  }
  for (MatchPolicy match : {MatchPolicy::exact, MatchPolicy::prefix, MatchPolicy::wildcard}) {
    EXPECT_EQ(parse_match_policy(wamp_name(match)), match);
  }
  for (InvokePolicy invoke : {InvokePolicy::single, InvokePolicy::roundrobin, InvokePolicy::random,
                              InvokePolicy::first, InvokePolicy::last}) {
    EXPECT_EQ(parse_invoke_policy(wamp_name(invoke)), invoke);
  }
  EXPECT_EQ(wamp_name(CancelMode::killnowait), "killnowait");
  EXPECT_FALSE(parse_cancel_mode("Kill").has_value());
  EXPECT_FALSE(parse_match_policy("").has_value());
  EXPECT_FALSE(parse_invoke_policy("round-robin").has_value());
}

// -- options

TEST_F(CallerTest, TypedOptionsDecideTheirMembersOfCallOptions) {
  join_session(full_dealer);
  CallOptions options = with_progress();
  options.disclose_me = true;
  options.timeout = milliseconds(1500);
  options.extra = Obj{{"runmode", "partition"}, {"disclose_me", false}, {"timeout", 7}};
  call(options);
  EXPECT_EQ(last_options(), (Obj{{"disclose_me", true},
                                 {"receive_progress", true},
                                 {"runmode", "partition"},
                                 {"timeout", 1500}}));
}

TEST_F(CallerTest, DefaultOptionsSendNothingButExtra) {
  join_session(full_dealer);
  CallOptions options;
  options.extra = Obj{{"receive_progress", true}, {"progress", true}};
  call(options);
  EXPECT_EQ(last_options(), Value(Obj{}));
}

TEST_F(CallerTest, TheTimeoutGoesOnlyToADealerThatAnnouncesCallTimeout) {
  // Crossbar announces no call_timeout, and reads the option as seconds.
  join_session(dealer_announcing({"call_canceling"}));
  call(with_timeout(milliseconds(200)));
  EXPECT_EQ(last_options(), Value(Obj{}));
  ASSERT_TRUE(session.next_deadline().has_value());
  EXPECT_EQ(*session.next_deadline(), link.time + milliseconds(200));
}

// -- progressive results

TEST_F(CallerTest, ProgressiveResultsReachTheHandlerInOrderAndTheFinalOneCompletes) {
  join_session(full_dealer);
  call(with_progress());
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"b"}}));
  receive(m({50, 1, Obj{{"progress", true}}}));
  EXPECT_EQ(progress, (std::vector<Arr>{{"a"}, {"b"}, {}}));
  EXPECT_TRUE(called.got.empty());
  receive(m({50, 1, Obj{}, Arr{"total"}}));
  ASSERT_TRUE(called.only().ok());
  EXPECT_EQ(called.only()->args, (Arr{"total"}));
  EXPECT_EQ(progress.size(), 3u);
}

TEST_F(CallerTest, AnErrorAfterProgressiveResultsCompletesTheCall) {
  join_session(full_dealer);
  call(with_progress());
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  receive(m({8, 48, 1, Obj{}, "com.error.failed", Arr{"no"}}));
  expect_failed(called.only(), client_errc::wamp_error, "com.error.failed", "no");
  EXPECT_EQ(progress.size(), 1u);
}

TEST_F(CallerTest, AProgressiveResultNobodyAskedForIsDropped) {
  // Crossbar and nexus forward a callee's progressive YIELD whether or not the caller asked.
  join_session(full_dealer);
  call();
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  EXPECT_TRUE(called.got.empty());
  EXPECT_EQ(session.state(), State::established);
  receive(m({50, 1, Obj{}, Arr{"final"}}));
  ASSERT_TRUE(called.only().ok());
  EXPECT_EQ(called.only()->args, (Arr{"final"}));
}

TEST_F(CallerTest, AProgressiveResultAfterTheFinalOneBreaksTheProtocol) {
  join_session(full_dealer);
  call(with_progress());
  receive(m({50, 1, Obj{}, Arr{"final"}}));
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"late"}}));
  expect_violation("RESULT for request 1");
  EXPECT_TRUE(progress.empty());
  EXPECT_EQ(called.got.size(), 1u);
}

TEST_F(CallerTest, AProgressHandlerMayCancelItsCall) {
  join_session(full_dealer);
  CallRequest request;
  CallOptions options;
  options.on_progress = [&](const CallResult&) {
    EXPECT_TRUE(session.cancel(request, CancelMode::killnowait).ok());
  };
  request = call(options);
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  EXPECT_EQ(link.sent.back(), m({49, 1, Obj{{"mode", "killnowait"}}}));
  link.run_deferred();
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled");
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"b"}}));
  receive(m({8, 48, 1, Obj{}, "wamp.error.canceled"}));
  EXPECT_EQ(called.got.size(), 1u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CallerTest, AProgressHandlerThatThrowsIsReportedAndTheCallGoesOn) {
  join_session(full_dealer);
  CallOptions options;
  options.on_progress = [](const CallResult&) { throw std::runtime_error("progress failed"); };
  call(options);
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  ASSERT_EQ(listener.thrown.size(), 1u);
  EXPECT_THROW(std::rethrow_exception(listener.thrown[0]), std::runtime_error);
  receive(m({50, 1, Obj{}, Arr{"final"}}));
  ASSERT_TRUE(called.only().ok());
}

// -- timeouts

TEST_F(CallerTest, ACallTimesOutHereAndTellsTheRouter) {
  join_session(full_dealer);
  call(with_timeout(milliseconds(500)));
  EXPECT_EQ(last_options(), (Obj{{"timeout", 500}}));
  ASSERT_EQ(session.next_deadline(), link.time + milliseconds(500));
  advance(milliseconds(499));
  EXPECT_TRUE(called.got.empty());
  advance(milliseconds(1));
  expect_failed(called.only(), client_errc::timed_out, "wamp.error.timeout", "500 ms");
  EXPECT_EQ(link.sent.back(), m({49, 1, Obj{{"mode", "killnowait"}}}));
  EXPECT_FALSE(session.next_deadline().has_value());
}

TEST_F(CallerTest, ATimeoutWithoutCancelingSendsNoCancel) {
  join_session();
  call(with_timeout(milliseconds(100)));
  link.sent.clear();
  advance(milliseconds(100));
  expect_failed(called.only(), client_errc::timed_out, "wamp.error.timeout");
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(CallerTest, AnswersAfterALocalTimeoutAreDropped) {
  join_session(full_dealer);
  call(with_timeout(milliseconds(100)));
  session.call("com.q", {}, {}, with_timeout(milliseconds(100)), called.handler());
  advance(milliseconds(100));
  ASSERT_EQ(called.got.size(), 2u);
  receive(m({50, 1, Obj{}, Arr{"late"}}));
  receive(m({8, 48, 2, Obj{}, "wamp.error.canceled"}));
  // Crossbar may answer a canceled call twice (its own timer, the callee leaving).
  receive(m({8, 48, 2, Obj{}, "wamp.error.canceled"}));
  EXPECT_EQ(called.got.size(), 2u);
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CallerTest, EachProgressiveResultRestartsTheTimeout) {
  join_session(full_dealer);
  call([&] {
    CallOptions options = with_progress();
    options.timeout = milliseconds(100);
    return options;
  }());
  advance(milliseconds(80));
  receive(m({50, 1, Obj{{"progress", true}}, Arr{"a"}}));
  EXPECT_EQ(session.next_deadline(), link.time + milliseconds(100));
  advance(milliseconds(80));
  EXPECT_TRUE(called.got.empty());
  advance(milliseconds(20));
  expect_failed(called.only(), client_errc::timed_out, "wamp.error.timeout");
}

TEST_F(CallerTest, DeadlinesComeInOrderAndAnAnswerDisarmsOne) {
  join_session(full_dealer);
  CallOutcomes second;
  call(with_timeout(milliseconds(300)));
  session.call("com.q", {}, {}, with_timeout(milliseconds(100)), second.handler());
  EXPECT_EQ(session.next_deadline(), link.time + milliseconds(100));
  receive(m({50, 2, Obj{}}));
  EXPECT_EQ(session.next_deadline(), link.time + milliseconds(300));
  advance(milliseconds(300));
  EXPECT_TRUE(second.only().ok());
  expect_failed(called.only(), client_errc::timed_out, "wamp.error.timeout");
}

TEST_F(CallerTest, ZeroOrNoTimeoutArmsNothing) {
  join_session(full_dealer);
  call(with_timeout(milliseconds(0)));
  call();
  call(with_timeout(milliseconds(-5)));
  EXPECT_FALSE(session.next_deadline().has_value());
  EXPECT_EQ(last_options(), Value(Obj{}));
}

TEST_F(CallerTest, TheRoutersTimeoutAndCancelReadAsTheirCodes) {
  join_session(full_dealer);
  CallOutcomes second;
  call();
  session.call("com.q", {}, {}, {}, second.handler());
  receive(m({8, 48, 1, Obj{}, "wamp.error.timeout", Arr{"call timeout"}}));
  receive(m({8, 48, 2, Obj{}, "wamp.error.canceled"}));
  expect_failed(called.only(), client_errc::timed_out, "wamp.error.timeout", "call timeout");
  expect_failed(second.only(), client_errc::canceled, "wamp.error.canceled");
}

TEST_F(CallerTest, TheEndOfTheSessionDropsEveryDeadline) {
  join_session(full_dealer);
  call(with_timeout(milliseconds(100)));
  session.end(local_error(client_errc::transport_lost, "gone"));
  EXPECT_FALSE(session.next_deadline().has_value());
  advance(milliseconds(100));
  expect_failed(called.only(), client_errc::transport_lost, "uvwamp.error.transport_lost");
}

// -- cancel

struct CancelCase {
  const char* name;
  CancelMode mode;
  const char* mode_name;
};

void PrintTo(const CancelCase& c, std::ostream* out) {
  *out << c.name;
}

class CancelTest : public CallerTest, public testing::WithParamInterface<CancelCase> {};

TEST_P(CancelTest, SkipAndKillnowaitCompleteAtOnceAndDropTheRoutersAnswer) {
  const CancelCase& c = GetParam();
  join_session(full_dealer);
  CallRequest request = call();
  ASSERT_TRUE(session.cancel(request, c.mode).ok());
  EXPECT_EQ(link.sent.back(), m({49, 1, Obj{{"mode", c.mode_name}}}));
  EXPECT_TRUE(called.got.empty()) << "completed inside cancel()";
  link.run_deferred();
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled", c.mode_name);
  receive(m({8, 48, 1, Obj{}, "wamp.error.canceled"}));
  receive(m({50, 1, Obj{}, Arr{"late"}}));
  EXPECT_EQ(called.got.size(), 1u);
  EXPECT_EQ(session.state(), State::established);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, CancelTest,
    testing::Values(CancelCase{"Skip", CancelMode::skip, "skip"},
                    CancelCase{"Killnowait", CancelMode::killnowait, "killnowait"}),
    [](const testing::TestParamInfo<CancelCase>& info) { return std::string(info.param.name); });

TEST_F(CallerTest, KillWaitsForTheRoutersAnswer) {
  join_session(full_dealer);
  CallRequest request = call();
  ASSERT_TRUE(session.cancel(request, CancelMode::kill).ok());
  EXPECT_EQ(link.sent.back(), m({49, 1, Obj{{"mode", "kill"}}}));
  link.run_deferred();
  EXPECT_TRUE(called.got.empty());
  receive(m({8, 48, 1, Obj{}, "wamp.error.canceled"}));
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled");
}

TEST_F(CallerTest, AResultCrossingAKillWinsTheRace) {
  join_session(full_dealer);
  CallRequest request = call();
  ASSERT_TRUE(session.cancel(request, CancelMode::kill).ok());
  receive(m({50, 1, Obj{}, Arr{"done"}}));
  ASSERT_TRUE(called.only().ok());
  EXPECT_EQ(called.only()->args, (Arr{"done"}));
}

TEST_F(CallerTest, AResultCrossingASkipIsDropped) {
  join_session(full_dealer);
  CallRequest request = call();
  ASSERT_TRUE(session.cancel(request, CancelMode::skip).ok());
  receive(m({50, 1, Obj{}, Arr{"done"}}));
  link.run_deferred();
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled");
}

TEST_F(CallerTest, WithoutCallCancelingTheCallEndsHereAndNothingIsSent) {
  join_session();
  CallRequest request = call();
  link.sent.clear();
  ASSERT_TRUE(session.cancel(request, CancelMode::kill).ok());
  EXPECT_TRUE(link.sent.empty());
  link.run_deferred();
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled",
                "does not announce call_canceling");
  receive(m({50, 1, Obj{}}));
  EXPECT_EQ(session.state(), State::established);
}

TEST_F(CallerTest, AKillThatCannotBeSentEndsTheCallHere) {
  join_session(full_dealer);
  CallRequest request = call();
  link.failure = queue_full_failure;
  ASSERT_TRUE(session.cancel(request, CancelMode::kill).ok());
  link.run_deferred();
  expect_failed(called.only(), client_errc::canceled, "wamp.error.canceled");
}

TEST_F(CallerTest, CancelingWhatIsNotInFlightSaysSoAndChangesNothing) {
  join_session(full_dealer);
  CallRequest answered = call();
  receive(m({50, 1, Obj{}}));
  CallRequest canceled = session.call("com.q", {}, {}, {}, nullptr);
  ASSERT_TRUE(session.cancel(canceled, CancelMode::skip).ok());
  link.sent.clear();
  for (const CallRequest& request : {answered, canceled, CallRequest{}, CallRequest{9, 1}}) {
    WampStatus status = session.cancel(request, CancelMode::kill);
    ASSERT_FALSE(status.ok());
    expect_error(status.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
                 "not in flight");
  }
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(CallerTest, AHandleOfAnEarlierSessionNamesNothing) {
  join_session(full_dealer);
  CallRequest earlier = call();
  session.end(local_error(client_errc::transport_lost, "gone"));
  join_session(full_dealer);
  session.call("com.p", {}, {}, {}, nullptr);
  link.sent.clear();
  EXPECT_EQ(earlier.request_id, 1u);
  EXPECT_FALSE(session.cancel(earlier, CancelMode::kill).ok());
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(CallerTest, ARefusedCallReturnsAnEmptyHandle) {
  CallRequest refused = call();
  EXPECT_EQ(refused.request_id, 0u);
  link.run_deferred();
  expect_failed(called.only(), client_errc::not_joined, "uvwamp.error.not_joined");
}

// -- progressive call invocations

TEST_F(CallerTest, ProgressiveInputNeedsADealerThatAnnouncesIt) {
  join_session(dealer_announcing({"call_canceling"}));
  CallOptions options;
  options.progress = true;
  CallRequest request = call(options);
  EXPECT_EQ(request.request_id, 0u);
  EXPECT_TRUE(link.sent.empty());
  link.run_deferred();
  expect_failed(called.only(), client_errc::not_supported, "wamp.error.feature_not_supported",
                "progressive_call_invocations");
}

TEST_F(CallerTest, ProgressiveInputGoesOutOnTheSameRequestUntilTheLastChunk) {
  join_session(full_dealer);
  CallOptions options;
  options.progress = true;
  options.timeout = milliseconds(1000);
  CallRequest request = session.call("com.upload", {"chunk 1"}, {}, options, called.handler());
  EXPECT_EQ(link.sent.back(),
            m({48, 1, Obj{{"progress", true}, {"timeout", 1000}}, "com.upload", Arr{"chunk 1"}}));
  ASSERT_TRUE(session.continue_call(request, {"chunk 2"}, {}, true).ok());
  EXPECT_EQ(link.sent.back(), m({48, 1, Obj{{"progress", true}}, "com.upload", Arr{"chunk 2"}}));
  ASSERT_TRUE(session.continue_call(request, {"chunk 3"}, Obj{{"last", true}}, false).ok());
  EXPECT_EQ(link.sent.back(), m({48, 1, Obj{}, "com.upload", Arr{"chunk 3"}, Obj{{"last", true}}}));
  WampStatus more = session.continue_call(request, {"chunk 4"}, {}, false);
  ASSERT_FALSE(more.ok());
  expect_error(more.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "takes no more input");
  // A new call takes the next request id.
  session.call("com.p", {}, {}, {}, nullptr);
  EXPECT_EQ(last_request(), 2u);
  receive(m({50, 1, Obj{}, Arr{3}}));
  ASSERT_TRUE(called.only().ok());
}

TEST_F(CallerTest, OnlyAProgressiveCallTakesMoreInput) {
  join_session(full_dealer);
  CallRequest request = call();
  WampStatus more = session.continue_call(request, {"x"}, {}, true);
  ASSERT_FALSE(more.ok());
  expect_error(more.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "CallOptions::progress");
  receive(m({50, 1, Obj{}}));
  more = session.continue_call(request, {"x"}, {}, true);
  ASSERT_FALSE(more.ok());
  expect_error(more.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "not in flight");
}

TEST_F(CallerTest, AChunkThatCannotBeSentFailsAndLeavesTheCallOpen) {
  join_session(full_dealer);
  CallOptions options;
  options.progress = true;
  CallRequest request = call(options);
  link.failure = queue_full_failure;
  WampStatus more = session.continue_call(request, {"x"}, {}, true);
  ASSERT_FALSE(more.ok());
  expect_error(more.error(), client_errc::invalid_argument, "uvwamp.error.invalid_argument",
               "write queue full");
  link.failure.reset();
  EXPECT_TRUE(session.continue_call(request, {"x"}, {}, false).ok());
}

}  // namespace
}  // namespace uvwamp
