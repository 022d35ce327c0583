// The Advanced Profile's RPC features against Crossbar.io and nexus: uvwamp calling uvwamp, and
// uvwamp with autobahn-python peers (test/interop/peer.py) on the other side. Each feature a
// router supports is shown working; where a router does not, the test pins what happens instead
// (docs/rpc.md has the table):
//   - progressive call results, both ways with autobahn;
//   - call timeouts kept by uvwamp, which interrupt the callee (uvwamp's or autobahn's);
//   - cancel in each mode, by uvwamp of uvwamp and autobahn callees, and by autobahn of a uvwamp
//     callee, whose handler is told;
//   - progressive call invocations (nexus; Crossbar announces none: not_supported);
//   - caller identification, pattern-based and shared registration, concurrency (Crossbar;
//     nexus ignores it), registration revocation (Crossbar's force_reregister; nexus refuses),
//     the forwarded timeout that a uvwamp callee keeps itself;
//   - callee handlers on a worker pool: in parallel while the loop answers, stopped by an
//     autobahn caller's cancel, by kill and by a timeout, and never started when canceled queued.
#include <gtest/gtest.h>
#include <uv.h>
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fixture/router.hpp"
#include "fixture/router_environment.hpp"
#include "interop/client_test_support.hpp"
#include "interop/peer_process.hpp"
#include "thread_sync.hpp"

namespace uvwamp {
namespace {

using std::chrono::milliseconds;
using test::describe;
using test::PeerProcess;
using test::succeeded;
using test::why;

::testing::Environment* const routers_environment =
    ::testing::AddGlobalTestEnvironment(new test::Routers);

struct Case {
  std::string router;
  bool websocket;
  std::string serializer;
};

void PrintTo(const Case& c, std::ostream* out) {
  *out << c.router << (c.websocket ? " ws " : " rs ") << c.serializer;
}

// Invocations a uvwamp callee keeps unanswered, with what interrupted each.
struct Held {
  std::vector<Invocation> invocations;
  std::vector<Interrupt> interrupts;
};

InvocationHandler hold_into(std::shared_ptr<Held> held) {
  return [held](Invocation invocation) {
    invocation.on_interrupt([held](const Interrupt& what) { held->interrupts.push_back(what); });
    held->invocations.push_back(std::move(invocation));
  };
}

class Rpc : public test::ClientTest, public ::testing::WithParamInterface<Case> {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    const test::RouterEndpoints* endpoints = test::Routers::endpoints(GetParam().router);
    ASSERT_NE(endpoints, nullptr);
    url_ = GetParam().websocket ? endpoints->websocket_url : endpoints->rawsocket_url;
    serializer_ = find_serializer(GetParam().serializer);
    ASSERT_NE(serializer_, nullptr);
    static int tests_run = 0;
    prefix_ = "rpc" + std::to_string(++tests_run);
  }

  void TearDown() override {
    if (peer_ && peer_->started()) {
      peer_->close_stdin();
      if (!wait_until([&] { return peer_->exited(); }, std::chrono::seconds(5))) {
        ADD_FAILURE() << "peer.py did not exit within 5 s of its stdin closing; killing it";
        peer_->kill();
        EXPECT_TRUE(wait_until([&] { return peer_->exited(); }, std::chrono::seconds(5)));
      }
    }
    if (peer_) peer_->close_handles();
    ClientTest::TearDown();
  }

  bool is_crossbar() const { return GetParam().router == "crossbar"; }
  std::string uri(const std::string& name) const { return prefix_ + "." + name; }

  // A joined uvwamp client.
  Client& joined_client() {
    Client& client = add_client(options_for({url_}, serializer_));
    auto joined = join(client);
    EXPECT_TRUE(joined.ok()) << why(joined);
    return client;
  }

  void join_both() {
    caller_ = &joined_client();
    callee_ = &joined_client();
  }

  // peer.py, ready.
  void start_peer() {
    peer_ = std::make_unique<PeerProcess>(&loop_);
    const int spawned = peer_->spawn(url_, "realm1", GetParam().serializer, prefix_);
    ASSERT_EQ(spawned, 0) << "cannot run peer.py: " << uv_strerror(spawned);
    ASSERT_TRUE(
        wait_until([&] { return peer_->ready() || peer_->exited(); }, std::chrono::seconds(30)))
        << "peer.py was not ready within 30 s";
    ASSERT_TRUE(peer_->ready()) << peer_->exit_description();
  }

  // Calls `procedure` without waiting; the outcome lands in the returned slot.
  std::shared_ptr<std::optional<WampResult<CallResult>>> start_call(Client& client,
                                                                    const std::string& procedure,
                                                                    CallOptions options,
                                                                    CallRequest* request,
                                                                    Value::Array args = {}) {
    auto outcome = std::make_shared<std::optional<WampResult<CallResult>>>();
    CallRequest made = client.call(procedure, std::move(args), {}, std::move(options),
                                   [outcome](WampResult<CallResult> r) { outcome->emplace(r); });
    if (request) *request = made;
    return outcome;
  }

  WampResult<Registration> register_on_pool(Client& client, const std::string& procedure,
                                            std::shared_ptr<WorkerPool> pool,
                                            WorkerInvocationHandler handler) {
    return await<WampResult<Registration>>("register " + procedure, [&](RegisterHandler done) {
      client.register_procedure(procedure, {}, std::move(pool), std::move(handler), done);
    });
  }

  // Joins both clients and calls uri("hold"), whose callee holds its invocations in `held`,
  // until the callee has the call.
  void call_held(const std::shared_ptr<Held>& held, CallRequest& request,
                 std::shared_ptr<std::optional<WampResult<CallResult>>>& outcome) {
    ASSERT_NO_FATAL_FAILURE(join_both());
    ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("hold"), hold_into(held))));
    outcome = start_call(*caller_, uri("hold"), {}, &request);
    ASSERT_TRUE(wait_until([&] { return held->invocations.size() == 1; }));
  }

  // A number a peer procedure answers with.
  std::int64_t peer_count(const std::string& procedure) {
    auto result = call(*caller_, uri(procedure), {});
    if (!result.ok() || result->args.empty()) return -1;
    return result->args.front().to_int64().ok() ? result->args.front().to_int64().value() : -1;
  }
  // Asks the peer until its count reaches `expected`: each question is a round trip, and the
  // peer's state changes when a message it gets is handled.
  bool peer_count_reaches(const std::string& procedure, std::int64_t expected) {
    for (int asked = 0; asked < 1000; ++asked) {
      if (peer_count(procedure) == expected) return true;
    }
    return false;
  }

  std::string url_;
  std::string prefix_;
  const Serializer* serializer_ = nullptr;
  std::unique_ptr<PeerProcess> peer_;
  Client* caller_ = nullptr;
  Client* callee_ = nullptr;
};

// -- progressive call results

TEST_P(Rpc, ProgressiveResultsReachTheCallerInOrder) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("count"), [](Invocation invocation) {
    ASSERT_TRUE(invocation.receive_progress());
    for (int i = 0; i < 3; ++i) {
      WampStatus sent = invocation.progress({i});
      EXPECT_TRUE(sent.ok()) << why(sent);
    }
    EXPECT_TRUE(invocation.yield({"done"}));
  })));
  std::vector<Value::Array> progress;
  CallOptions options;
  options.on_progress = [&](const CallResult& result) { progress.push_back(result.args); };
  auto result = call(*caller_, uri("count"), {}, {}, options);
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{"done"}));
  EXPECT_EQ(progress, (std::vector<Value::Array>{{0}, {1}, {2}}));
}

TEST_P(Rpc, AnAutobahnCalleesProgressReachesUvwamp) {
  ASSERT_NO_FATAL_FAILURE(start_peer());
  caller_ = &joined_client();
  std::vector<Value::Array> progress;
  CallOptions options;
  options.on_progress = [&](const CallResult& result) { progress.push_back(result.args); };
  auto result = call(*caller_, uri("py.progress"), {3}, {}, options);
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{"done"}));
  EXPECT_EQ(progress, (std::vector<Value::Array>{{0}, {1}, {2}}));
}

TEST_P(Rpc, AUvwampCalleesProgressReachesAutobahn) {
  ASSERT_NO_FATAL_FAILURE(start_peer());
  join_both();
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("count"), [](Invocation invocation) {
    const std::int64_t count = invocation.args.at(0).to_int64().value();
    for (std::int64_t i = 0; i < count && invocation.receive_progress(); ++i) {
      EXPECT_TRUE(invocation.progress({i}).ok());
    }
    EXPECT_TRUE(invocation.yield({"done"}));
  })));
  auto result =
      call(*caller_, uri("py.call_progressive"), {Value(uri("count")), Value(Value::Array{3})});
  ASSERT_TRUE(result.ok()) << why(result);
  // py.call_progressive answers one list: [the progressive results' args, the final args].
  const Value::Array expected = {
      Value(Value::Array{Value(Value::Array{Value::Array{0}, Value::Array{1}, Value::Array{2}}),
                         Value(Value::Array{"done"})})};
  EXPECT_EQ(result->args, expected);
}

// -- timeouts

TEST_P(Rpc, ACallTimeoutEndsTheCallAndInterruptsTheCallee) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto held = std::make_shared<Held>();
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("hold"), hold_into(held))));
  CallOptions options;
  options.timeout = milliseconds(300);
  auto result = call(*caller_, uri("hold"), {}, {}, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, make_error_code(client_errc::timed_out))
      << describe(result.error());
  EXPECT_EQ(result.error().uri, "wamp.error.timeout");
  // The CANCEL (killnowait) uvwamp sent reaches the callee as an INTERRUPT.
  ASSERT_TRUE(wait_until([&] { return held->interrupts.size() == 1; }));
  EXPECT_EQ(held->interrupts[0].mode, CancelMode::killnowait);
  EXPECT_TRUE(held->invocations.at(0).cancellation().canceled());
  EXPECT_FALSE(held->invocations[0].yield());
}

TEST_P(Rpc, ACallTimeoutInterruptsAnAutobahnCallee) {
  ASSERT_NO_FATAL_FAILURE(start_peer());
  caller_ = &joined_client();
  CallOptions options;
  options.timeout = milliseconds(300);
  auto result = call(*caller_, uri("py.slow"), {}, {}, options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, make_error_code(client_errc::timed_out))
      << describe(result.error());
  ASSERT_TRUE(peer_count_reaches("py.cancellations", 1)) << "autobahn's handler was not canceled";
}

TEST_P(Rpc, ACalleeKeepsTheForwardedTimeoutItself) {
  // autobahn sends its CallOptions timeout as given; Crossbar forwards it whatever the callee
  // asked, nexus because the callee asked (forward_timeout) and announces call_timeout. Either
  // way the router's own timer is not what ends this call: Crossbar reads the value as seconds,
  // and nexus leaves the time to the callee.
  ASSERT_NO_FATAL_FAILURE(start_peer());
  join_both();
  auto held = std::make_shared<Held>();
  RegisterOptions options;
  options.forward_timeout = true;
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("hold"), hold_into(held), options)));
  auto result = call(*caller_, uri("py.call_with_timeout"), {Value(uri("hold")), Value(400)});
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{"wamp.error.timeout"}));
  ASSERT_EQ(held->invocations.size(), 1u);
  EXPECT_EQ(held->invocations[0].timeout(), milliseconds(400));
  ASSERT_EQ(held->interrupts.size(), 1u);
  EXPECT_EQ(held->interrupts[0].reason, "wamp.error.timeout");
}

// -- cancel

TEST_P(Rpc, KillInterruptsTheCalleeAndItsAnswerEndsTheCall) {
  auto held = std::make_shared<Held>();
  CallRequest request;
  std::shared_ptr<std::optional<WampResult<CallResult>>> outcome;
  ASSERT_NO_FATAL_FAILURE(call_held(held, request, outcome));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::kill).ok());
  ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
  ASSERT_FALSE(outcome->value().ok());
  EXPECT_EQ(outcome->value().error().code, make_error_code(client_errc::canceled))
      << describe(outcome->value().error());
  EXPECT_EQ(outcome->value().error().uri, "wamp.error.canceled");
  ASSERT_EQ(held->interrupts.size(), 1u);
  EXPECT_EQ(held->interrupts[0].mode, CancelMode::kill);
}

TEST_P(Rpc, KillnowaitEndsTheCallAtOnceAndInterruptsTheCallee) {
  auto held = std::make_shared<Held>();
  CallRequest request;
  std::shared_ptr<std::optional<WampResult<CallResult>>> outcome;
  ASSERT_NO_FATAL_FAILURE(call_held(held, request, outcome));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::killnowait).ok());
  ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
  EXPECT_EQ(outcome->value().error().code, make_error_code(client_errc::canceled));
  ASSERT_TRUE(wait_until([&] { return held->interrupts.size() == 1; }));
  EXPECT_EQ(held->interrupts[0].mode, CancelMode::killnowait);
}

TEST_P(Rpc, SkipEndsTheCallAndTheCalleeIsNotTold) {
  auto held = std::make_shared<Held>();
  CallRequest request;
  std::shared_ptr<std::optional<WampResult<CallResult>>> outcome;
  ASSERT_NO_FATAL_FAILURE(call_held(held, request, outcome));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::skip).ok());
  ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
  EXPECT_EQ(outcome->value().error().code, make_error_code(client_errc::canceled));
  // The router handles the caller's CANCEL before the caller's answer to this call, which it
  // passes on to the callee after any INTERRUPT the CANCEL made.
  ASSERT_TRUE(succeeded(register_procedure(*caller_, uri("ping"),
                                           [](Invocation invocation) { invocation.yield(); })));
  ASSERT_TRUE(succeeded(call(*callee_, uri("ping"), {})));
  EXPECT_TRUE(held->interrupts.empty());
  EXPECT_TRUE(held->invocations[0].yield())
      << "the skipped callee's answer is dropped, not refused";
  EXPECT_FALSE(caller_->cancel(request, CancelMode::skip).ok());
}

TEST_P(Rpc, UvwampCancelsAnAutobahnCallee) {
  ASSERT_NO_FATAL_FAILURE(start_peer());
  caller_ = &joined_client();
  CallRequest request;
  auto outcome = start_call(*caller_, uri("py.slow"), {}, &request);
  ASSERT_TRUE(peer_count_reaches("py.started", 1));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::kill).ok());
  ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
  ASSERT_FALSE(outcome->value().ok());
  if (is_crossbar()) {
    // Crossbar answers kill with wamp.error.canceled once the callee answered.
    EXPECT_EQ(outcome->value().error().code, make_error_code(client_errc::canceled))
        << describe(outcome->value().error());
  } else {
    // nexus passes the callee's answer on: autobahn answers an interrupted call with
    // wamp.error.runtime_error.
    EXPECT_EQ(outcome->value().error().uri, "wamp.error.runtime_error")
        << describe(outcome->value().error());
  }
  EXPECT_TRUE(peer_count_reaches("py.cancellations", 1));
}

TEST_P(Rpc, AnAutobahnCallerCancelsAUvwampCalleeWhoseHandlerIsTold) {
  ASSERT_NO_FATAL_FAILURE(start_peer());
  join_both();
  auto held = std::make_shared<Held>();
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("hold"), hold_into(held))));
  // autobahn sends CANCEL without a mode, which both routers take as killnowait.
  auto result = call(*caller_, uri("py.call_and_cancel"), {Value(uri("hold")), Value(300)});
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{"canceled"}));
  ASSERT_TRUE(wait_until([&] { return held->interrupts.size() == 1; }));
  EXPECT_EQ(held->interrupts[0].mode, CancelMode::killnowait);
  EXPECT_TRUE(held->invocations.at(0).interrupted());
}

// -- progressive call invocations

TEST_P(Rpc, ProgressiveInputGoesToTheCalleeInChunks) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto chunks = std::make_shared<std::vector<Value::Array>>();
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("upload"), [chunks](Invocation first) {
    chunks->push_back(first.args);
    auto invocation = std::make_shared<Invocation>(std::move(first));
    invocation->on_input([chunks, invocation](InvocationInput input) {
      chunks->push_back(input.args);
      if (!input.more) {
        EXPECT_TRUE(invocation->yield({static_cast<std::int64_t>(chunks->size())}));
      }
    });
  })));
  CallOptions options;
  options.progress = true;
  CallRequest request;
  auto outcome = start_call(*caller_, uri("upload"), options, &request, {"a"});
  if (is_crossbar()) {
    // Crossbar announces no progressive_call_invocations: nothing is sent.
    EXPECT_EQ(request.request_id, 0u);
    ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
    ASSERT_FALSE(outcome->value().ok());
    EXPECT_EQ(outcome->value().error().code, make_error_code(client_errc::not_supported));
    EXPECT_EQ(outcome->value().error().uri, "wamp.error.feature_not_supported");
    return;
  }
  ASSERT_TRUE(caller_->continue_call(request, {"b"}, {}, true).ok());
  ASSERT_TRUE(caller_->continue_call(request, {"c"}, {}, false).ok());
  ASSERT_TRUE(wait_until([&] { return outcome->has_value(); }));
  ASSERT_TRUE(outcome->value().ok()) << why(outcome->value());
  EXPECT_EQ(outcome->value()->args, (Value::Array{3}));
  EXPECT_EQ(*chunks, (std::vector<Value::Array>{{"a"}, {"b"}, {"c"}}));
}

// -- registrations

TEST_P(Rpc, CallerIdentificationNamesTheCaller) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto seen = std::make_shared<std::vector<std::optional<Id>>>();
  RegisterOptions options;
  options.disclose_caller = true;
  ASSERT_TRUE(succeeded(register_procedure(
      *callee_, uri("who"),
      [seen](Invocation invocation) {
        seen->push_back(invocation.caller());
        EXPECT_TRUE(invocation.yield());
      },
      options)));
  ASSERT_TRUE(succeeded(call(*caller_, uri("who"), {})));
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_TRUE(seen->at(0).has_value()) << "the caller was not disclosed";
}

TEST_P(Rpc, PatternRegistrationsTellTheProcedureCalled) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto called = std::make_shared<std::vector<std::string>>();
  auto record = [called](Invocation invocation) {
    called->push_back(invocation.procedure());
    EXPECT_TRUE(invocation.yield());
  };
  RegisterOptions prefix;
  prefix.match = MatchPolicy::prefix;
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("files."), record, prefix)));
  RegisterOptions wildcard;
  wildcard.match = MatchPolicy::wildcard;
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("users..get"), record, wildcard)));
  ASSERT_TRUE(succeeded(call(*caller_, uri("files.read.all"), {})));
  ASSERT_TRUE(succeeded(call(*caller_, uri("users.alice.get"), {})));
  auto missing = call(*caller_, uri("users.alice.put"), {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().uri, "wamp.error.no_such_procedure");
  EXPECT_EQ(*called, (std::vector<std::string>{uri("files.read.all"), uri("users.alice.get")}));
}

TEST_P(Rpc, SharedRegistrationsTakeTurns) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  Client& second = joined_client();
  auto answered_by = std::make_shared<std::vector<int>>();
  auto answer_as = [answered_by](int callee) {
    return [answered_by, callee](Invocation invocation) {
      answered_by->push_back(callee);
      EXPECT_TRUE(invocation.yield());
    };
  };
  RegisterOptions roundrobin;
  roundrobin.invoke = InvokePolicy::roundrobin;
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("work"), answer_as(1), roundrobin)));
  ASSERT_TRUE(succeeded(register_procedure(second, uri("work"), answer_as(2), roundrobin)));
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(succeeded(call(*caller_, uri("work"), {})));
  EXPECT_EQ(*answered_by, (std::vector<int>{1, 2, 1, 2}));

  // Another policy for the same procedure is refused, each router in its words.
  RegisterOptions random;
  random.invoke = InvokePolicy::random;
  auto refused = register_procedure(*caller_, uri("work"), answer_as(3), random);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().uri,
            is_crossbar() ? "wamp.error.procedure_exists_with_different_invocation_policy"
                          : "wamp.error.procedure_already_exists");
  // A single registration takes no second callee.
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("alone"), answer_as(1))));
  refused = register_procedure(second, uri("alone"), answer_as(2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().uri, "wamp.error.procedure_already_exists");
}

TEST_P(Rpc, ConcurrencyIsCrossbarsAndNexusIgnoresIt) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto held = std::make_shared<Held>();
  RegisterOptions options;
  options.concurrency = 1;
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("one"), hold_into(held), options)));
  auto first = start_call(*caller_, uri("one"), {}, nullptr);
  ASSERT_TRUE(wait_until([&] { return held->invocations.size() == 1; }));
  auto second = start_call(*caller_, uri("one"), {}, nullptr);
  if (is_crossbar()) {
    ASSERT_TRUE(wait_until([&] { return second->has_value(); }));
    ASSERT_FALSE(second->value().ok());
    EXPECT_EQ(second->value().error().uri, "crossbar.error.max_concurrency_reached");
  } else {
    ASSERT_TRUE(wait_until([&] { return held->invocations.size() == 2; }));
    EXPECT_TRUE(held->invocations[1].yield());
    ASSERT_TRUE(wait_until([&] { return second->has_value(); }));
    EXPECT_TRUE(second->value().ok());
  }
  EXPECT_TRUE(held->invocations[0].yield());
  ASSERT_TRUE(wait_until([&] { return first->has_value(); }));
  EXPECT_TRUE(first->value().ok());
}

TEST_P(Rpc, ARevokedRegistrationIsReported) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto revoked = std::make_shared<std::vector<std::pair<Registration, std::string>>>();
  RegisterOptions options;
  options.on_revoked = [revoked](const Registration& registration, const std::string& reason) {
    revoked->emplace_back(registration, reason);
  };
  auto first = register_procedure(
      *callee_, uri("taken"), [](Invocation invocation) { invocation.yield({1}); }, options);
  ASSERT_TRUE(first.ok()) << why(first);
  // Crossbar's force_reregister moves the procedure to the new callee and revokes the old
  // registration; nexus has no such option, and refuses the second registration.
  RegisterOptions force;
  force.extra = Value::Object{{"force_reregister", true}};
  auto second = register_procedure(
      *caller_, uri("taken"), [](Invocation invocation) { invocation.yield({2}); }, force);
  if (is_crossbar()) {
    ASSERT_TRUE(second.ok()) << why(second);
    ASSERT_TRUE(wait_until([&] { return revoked->size() == 1; }));
    EXPECT_EQ(revoked->at(0).first.id, first->id);
    EXPECT_EQ(revoked->at(0).first.procedure, uri("taken"));
    EXPECT_EQ(revoked->at(0).second, "wamp.error.unregistered");
    auto unregistered = unregister(*callee_, *first);
    ASSERT_FALSE(unregistered.ok());
    EXPECT_EQ(unregistered.error().code, make_error_code(client_errc::invalid_argument));
    auto result = call(*caller_, uri("taken"), {});
    ASSERT_TRUE(result.ok()) << why(result);
    EXPECT_EQ(result->args, (Value::Array{2}));
  } else {
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().uri, "wamp.error.procedure_already_exists");
    EXPECT_TRUE(revoked->empty());
  }
}

// -- callee handlers on a worker pool

// A handler on a pool that counts its starts and works until it is interrupted (or `gate`
// opens), counting the interruptions it saw.
struct Workers {
  test::Counter started;
  test::Counter interrupted;
  std::atomic<bool> open{false};
};

WorkerInvocationHandler work_until_interrupted(std::shared_ptr<Workers> workers) {
  return [workers](WorkerInvocation invocation) {
    workers->started.add();
    // In steps, as real work would go, each ending early when the call is interrupted.
    while (!workers->open.load() && !invocation.wait_for_interrupt(milliseconds(5))) {
    }
    if (invocation.interrupted()) {
      workers->interrupted.add();
      return;
    }
    invocation.yield({"worked"});
  };
}

TEST_P(Rpc, WorkersRunInParallelWhileTheLoopAnswersOtherCalls) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  ASSERT_NO_FATAL_FAILURE(start_peer());
  auto pool = std::make_shared<WorkerPool>(3);
  auto workers = std::make_shared<Workers>();
  ASSERT_TRUE(
      succeeded(register_on_pool(*callee_, uri("work"), pool, work_until_interrupted(workers))));
  ASSERT_TRUE(succeeded(register_procedure(
      *callee_, uri("quick"), [](Invocation invocation) { invocation.yield({"quick"}); })));
  // Three autobahn calls at once, each held by a worker.
  std::vector<std::shared_ptr<std::optional<WampResult<CallResult>>>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(start_call(*caller_, uri("py.call"), {}, nullptr,
                              {Value(uri("work")), Value::Array{}, Value::Object{}}));
  }
  ASSERT_TRUE(test::run_until_counted(&loop_, workers->started, 3));
  // Every worker is busy; the loop still answers.
  auto quick =
      call(*caller_, uri("py.call"), {Value(uri("quick")), Value::Array{}, Value::Object{}});
  ASSERT_TRUE(quick.ok()) << why(quick);
  EXPECT_EQ(quick->args, (Value::Array{"quick"}));
  for (const auto& outcome : slow)
    EXPECT_FALSE(outcome->has_value());
  workers->open = true;
  ASSERT_TRUE(wait_until([&] {
    for (const auto& outcome : slow) {
      if (!outcome->has_value()) return false;
    }
    return true;
  }));
  for (const auto& outcome : slow) {
    ASSERT_TRUE(outcome->value().ok()) << why(outcome->value());
    EXPECT_EQ(outcome->value()->args, (Value::Array{"worked"}));
  }
  EXPECT_EQ(workers->interrupted.value(), 0);
}

TEST_P(Rpc, AnAutobahnCallerCancelsAWorkerWhichStops) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  ASSERT_NO_FATAL_FAILURE(start_peer());
  auto pool = std::make_shared<WorkerPool>(1);
  auto workers = std::make_shared<Workers>();
  ASSERT_TRUE(
      succeeded(register_on_pool(*callee_, uri("long"), pool, work_until_interrupted(workers))));
  auto result = call(*caller_, uri("py.call_and_cancel"), {Value(uri("long")), Value(300)});
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{"canceled"}));
  EXPECT_TRUE(test::run_until_counted(&loop_, workers->interrupted, 1));
}

TEST_P(Rpc, UvwampKillsAWorkerAndACallTimeoutInterruptsOne) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto pool = std::make_shared<WorkerPool>(2);
  auto workers = std::make_shared<Workers>();
  ASSERT_TRUE(
      succeeded(register_on_pool(*callee_, uri("long"), pool, work_until_interrupted(workers))));
  CallRequest request;
  auto killed = start_call(*caller_, uri("long"), {}, &request);
  ASSERT_TRUE(test::run_until_counted(&loop_, workers->started, 1));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::kill).ok());
  ASSERT_TRUE(wait_until([&] { return killed->has_value(); }));
  ASSERT_FALSE(killed->value().ok());
  EXPECT_EQ(killed->value().error().uri, "wamp.error.canceled")
      << describe(killed->value().error());
  ASSERT_TRUE(test::run_until_counted(&loop_, workers->interrupted, 1));

  CallOptions options;
  options.timeout = milliseconds(300);
  auto timed_out = call(*caller_, uri("long"), {}, {}, options);
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().code, make_error_code(client_errc::timed_out))
      << describe(timed_out.error());
  EXPECT_TRUE(test::run_until_counted(&loop_, workers->interrupted, 2));
}

TEST_P(Rpc, AQueuedWorkerInvocationCanceledBeforeItStartedNeverRuns) {
  ASSERT_NO_FATAL_FAILURE(join_both());
  auto pool = std::make_shared<WorkerPool>(1);
  auto workers = std::make_shared<Workers>();
  ASSERT_TRUE(
      succeeded(register_on_pool(*callee_, uri("long"), pool, work_until_interrupted(workers))));
  auto busy = start_call(*caller_, uri("long"), {}, nullptr);
  ASSERT_TRUE(test::run_until_counted(&loop_, workers->started, 1));
  CallRequest request;
  auto queued = start_call(*caller_, uri("long"), {}, &request);
  // The callee has the second invocation (queued behind the first) once a later call got
  // through the router to it.
  ASSERT_TRUE(succeeded(register_procedure(*callee_, uri("echo"),
                                           [](Invocation invocation) { invocation.yield(); })));
  ASSERT_TRUE(succeeded(call(*caller_, uri("echo"), {})));
  ASSERT_TRUE(caller_->cancel(request, CancelMode::kill).ok());
  ASSERT_TRUE(wait_until([&] { return queued->has_value(); }));
  ASSERT_FALSE(queued->value().ok());
  EXPECT_EQ(queued->value().error().uri, "wamp.error.canceled");
  workers->open = true;
  ASSERT_TRUE(wait_until([&] { return busy->has_value(); }));
  ASSERT_TRUE(busy->value().ok()) << why(busy->value());
  // A third call runs after the canceled one in the pool's queue, so it was passed over.
  ASSERT_TRUE(succeeded(call(*caller_, uri("long"), {})));
  EXPECT_EQ(workers->started.value(), 2);
  EXPECT_EQ(workers->interrupted.value(), 0);
}

std::vector<Case> cases() {
  return {{"crossbar", true, "json"},
          {"crossbar", false, "cbor"},
          {"nexus", true, "json"},
          {"nexus", false, "msgpack"}};
}

INSTANTIATE_TEST_SUITE_P(Routers, Rpc, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.router + (info.param.websocket ? "_ws_" : "_rs_") +
                                  info.param.serializer;
                         });

}  // namespace
}  // namespace uvwamp
