// The worker pool: handlers on worker threads, their answers through the loop, and every race
// between a worker and the loop. The first tests hold the loop still (a session with a fake
// link, the mailbox drained only when the test says) so that an answer and an INTERRUPT cross
// exactly where the test puts them; the later ones run clients against the scripted router. A
// worker and the test meet at promises and gates, never at a sleep. Run under ThreadSanitizer in
// CI (build-tsan).
#include <uvwamp/worker_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/pooled_invocations.hpp"
#include "scripted_router.hpp"
#include "session_test_support.hpp"
#include "thread_sync.hpp"
#include "workers/work_queue.hpp"

namespace uvwamp {
namespace {

using namespace test;
using std::chrono::hours;
using std::chrono::milliseconds;

// -- the queue

struct BlockingJob final : detail::WorkerJob {
  void run() override {
    started.set_value();
    gate.wait();
  }
  void abandon() override { ADD_FAILURE() << "a running job was abandoned"; }
  std::promise<void> started;
  Gate gate;
};

// Abandoned, it lets the blocking job finish, so that the queue's destructor can wait for it.
struct QueuedJob final : detail::WorkerJob {
  explicit QueuedJob(Gate& gate) : blocking_gate(gate) {}
  void run() override { ++ran; }
  void abandon() override {
    ++abandoned;
    blocking_gate.open();
  }
  Gate& blocking_gate;
  int ran = 0;
  int abandoned = 0;
};

TEST(WorkQueue, StoppingAbandonsTheJobsNoThreadTookAndWaitsForTheRunningOnes) {
  auto blocking = std::make_shared<BlockingJob>();
  auto queued = std::make_shared<QueuedJob>(blocking->gate);
  {
    detail::WorkQueue queue(1);
    EXPECT_EQ(queue.threads(), 1u);
    queue.push(blocking);
    blocking->started.get_future().wait();
    queue.push(queued);
  }
  EXPECT_EQ(queued->ran, 0);
  EXPECT_EQ(queued->abandoned, 1);
}

TEST(WorkerPool, NeedsAThread) {
  EXPECT_THROW(WorkerPool(0), std::invalid_argument);
  EXPECT_EQ(WorkerPool(3).threads(), 3u);
}

// -- a session whose loop stands still

class PooledTest : public LoopTest {
 protected:
  void SetUp() override {
    LoopTest::SetUp();
    pooled.emplace(&loop_, [this](std::exception_ptr e) { reported.push_back(e); });
    session.join("realm1", {}, {}, nullptr);
    session.receive(m({2, 9001, Obj{}}));
    ASSERT_EQ(session.state(), State::established);
    link.sent.clear();
  }
  void TearDown() override {
    if (session.state() == State::established) session.end(local_error(client_errc::closed, "end"));
    pooled->close([] {});
    LoopTest::TearDown();
    pooled.reset();
  }

  // Registers com.p as registration 700, its handler on `pool`.
  void register_on(const std::shared_ptr<WorkerPool>& pool, WorkerInvocationHandler handler) {
    session.register_procedure("com.p", {}, pooled->handler_for(pool, std::move(handler)), nullptr);
    session.receive(m({65, 1, 700}));
    link.sent.clear();
  }
  void invoke(Id request, Obj details = {}) {
    session.receive(m({68, request, 700, std::move(details), Arr{request}}));
  }
  // Runs the loop (and so what the workers posted) until `count` messages were sent.
  bool run_until_sent(std::size_t count) {
    return run_until([&] { return link.sent.size() >= count; });
  }

  FakeLink link;
  FakeListener listener;
  FakeAuthContext auth_context;
  Session session{link, listener, auth_context};
  std::optional<detail::PooledInvocations> pooled;
  std::vector<std::exception_ptr> reported;
  const std::thread::id loop_thread = std::this_thread::get_id();
};

TEST_F(PooledTest, TheHandlerRunsOnAWorkerAndItsAnswerGoesFromTheLoop) {
  auto pool = std::make_shared<WorkerPool>(2);
  std::promise<std::thread::id> ran_on;
  register_on(pool, [&](WorkerInvocation invocation) {
    ran_on.set_value(std::this_thread::get_id());
    EXPECT_EQ(invocation.args, (Arr{9}));
    EXPECT_EQ(invocation.procedure(), "com.p");
    EXPECT_TRUE(invocation.yield({"done"}));
    EXPECT_TRUE(invocation.answered());
    EXPECT_FALSE(invocation.yield({"again"}));
  });
  invoke(9);
  EXPECT_NE(ran_on.get_future().get(), loop_thread);
  // Taken, not sent: only the loop sends.
  EXPECT_TRUE(link.sent.empty());
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0], m({70, 9, Obj{}, Arr{"done"}}));
}

TEST_F(PooledTest, AnInvocationInterruptedWhileQueuedNeverRuns) {
  auto pool = std::make_shared<WorkerPool>(1);
  Gate gate;
  std::promise<void> first_started;
  std::promise<void> third_ran;
  std::atomic<int> second_ran{0};
  register_on(pool, [&](WorkerInvocation invocation) {
    const Id request = invocation.request_id();
    if (request == 1) {
      first_started.set_value();
      gate.wait();
    }
    if (request == 2) ++second_ran;
    if (request == 3) third_ran.set_value();
    invocation.yield({request});
  });
  invoke(1);
  first_started.get_future().wait();
  invoke(2);
  session.receive(m({69, 2, Obj{{"mode", "kill"}}}));
  // Answered at once, while the one worker is still busy with the first.
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(2), Value(2));
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.canceled"));
  gate.open();
  invoke(3);
  // The one thread takes the jobs in order: once the third ran, the second was passed over.
  third_ran.get_future().wait();
  EXPECT_EQ(second_ran.load(), 0);
  ASSERT_TRUE(run_until_sent(3));
  EXPECT_EQ(link.sent[1], m({70, 1, Obj{}, Arr{1}}));
  EXPECT_EQ(link.sent[2], m({70, 3, Obj{}, Arr{3}}));
}

TEST_F(PooledTest, AnInterruptReachesARunningHandlerAtOnce) {
  auto pool = std::make_shared<WorkerPool>(1);
  std::promise<void> started;
  std::promise<bool> woke_interrupted;
  std::promise<bool> late_yield;
  std::atomic<bool> told_on_loop{false};
  register_on(pool, [&](WorkerInvocation invocation) {
    invocation.on_interrupt([&](const Interrupt& what) {
      told_on_loop = std::this_thread::get_id() == loop_thread && what.mode == CancelMode::kill;
    });
    started.set_value();
    woke_interrupted.set_value(invocation.wait_for_interrupt(hours(1)));
    EXPECT_TRUE(invocation.interrupted());
    EXPECT_TRUE(invocation.cancellation().canceled());
    expect_failed(invocation.progress(), client_errc::invalid_argument,
                  "uvwamp.error.invalid_argument", "did not ask");
    late_yield.set_value(invocation.yield({"late"}));
  });
  invoke(5);
  started.get_future().wait();
  session.receive(m({69, 5, Obj{{"mode", "kill"}}}));
  EXPECT_TRUE(told_on_loop.load());
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.canceled"));
  EXPECT_TRUE(woke_interrupted.get_future().get());
  EXPECT_FALSE(late_yield.get_future().get());
  // Until the worker's last word came (the mailbox keeps the loop running until then).
  run_until([] { return false; }, milliseconds(0), /*drain=*/true);
  EXPECT_EQ(link.sent.size(), 1u);
}

TEST_F(PooledTest, AnAnswerPostedBeforeTheInterruptGoesInsteadOfCanceled) {
  auto pool = std::make_shared<WorkerPool>(1);
  std::promise<void> answered;
  std::atomic<bool> told{false};
  register_on(pool, [&](WorkerInvocation invocation) {
    invocation.on_interrupt([&](const Interrupt&) { told = true; });
    EXPECT_TRUE(invocation.yield({"won"}));
    answered.set_value();
  });
  invoke(5);
  answered.get_future().wait();
  // The loop has not run: the answer waits in the mailbox when the INTERRUPT comes.
  session.receive(m({69, 5, Obj{{"mode", "kill"}}}));
  ASSERT_EQ(link.sent.size(), 1u);
  EXPECT_EQ(link.sent[0], m({70, 5, Obj{}, Arr{"won"}}));
  EXPECT_FALSE(told.load());
}

TEST_F(PooledTest, TheEndOfTheSessionInterruptsRunningHandlersAndDropsTheirAnswers) {
  auto pool = std::make_shared<WorkerPool>(2);
  std::promise<void> started;
  std::promise<std::string> reason;
  std::promise<void> posted;
  Gate gate;
  register_on(pool, [&](WorkerInvocation invocation) {
    if (invocation.request_id() == 1) {
      // Answers, and the answer is still on its way when the session ends.
      EXPECT_TRUE(invocation.yield({"too late"}));
      posted.set_value();
      return;
    }
    invocation.on_interrupt([&](const Interrupt& what) { reason.set_value(what.reason); });
    started.set_value();
    EXPECT_TRUE(invocation.wait_for_interrupt(hours(1)));
  });
  invoke(1);
  invoke(2);
  posted.get_future().wait();
  started.get_future().wait();
  session.end(local_error(client_errc::closed, "closing"));
  EXPECT_EQ(reason.get_future().get(), "uvwamp.error.closed");
  EXPECT_TRUE(link.sent.empty());
}

TEST_F(PooledTest, ProgressAndTheAnswerArriveInTheOrderMade) {
  auto pool = std::make_shared<WorkerPool>(1);
  register_on(pool, [&](WorkerInvocation invocation) {
    EXPECT_TRUE(invocation.receive_progress());
    EXPECT_TRUE(invocation.progress({1}).ok());
    EXPECT_TRUE(invocation.progress({2}).ok());
    EXPECT_TRUE(invocation.yield({3}));
    expect_failed(invocation.progress({4}), client_errc::invalid_argument,
                  "uvwamp.error.invalid_argument", "answered already");
  });
  invoke(7, Obj{{"receive_progress", true}});
  ASSERT_TRUE(run_until_sent(3));
  EXPECT_EQ(link.sent[0], m({70, 7, Obj{{"progress", true}}, Arr{1}}));
  EXPECT_EQ(link.sent[1], m({70, 7, Obj{{"progress", true}}, Arr{2}}));
  EXPECT_EQ(link.sent[2], m({70, 7, Obj{}, Arr{3}}));
}

TEST_F(PooledTest, AThrowingHandlerAnswersWithWhatItThrew) {
  auto pool = std::make_shared<WorkerPool>(1);
  register_on(pool, [&](WorkerInvocation) { throw std::runtime_error("the disk is full"); });
  invoke(3);
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0],
            m({8, 68, 3, Obj{}, "wamp.error.runtime_error", Arr{"the disk is full"}}));
}

TEST_F(PooledTest, AHandlerThatDropsItsInvocationAnswersRuntimeError) {
  auto pool = std::make_shared<WorkerPool>(1);
  register_on(pool, [&](WorkerInvocation) {});
  invoke(3);
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.runtime_error"));
  EXPECT_TRUE(contains(*link.sent[0].if_array()->at(5).if_array()->at(0).if_string(),
                       "dropped unanswered"));
}

TEST_F(PooledTest, AnInvalidErrorUriIsRefusedAndTheInvocationStaysOpen) {
  auto pool = std::make_shared<WorkerPool>(1);
  register_on(pool, [&](WorkerInvocation invocation) {
    EXPECT_FALSE(invocation.error("not a uri!"));
    EXPECT_FALSE(invocation.answered());
    EXPECT_TRUE(invocation.error("com.example.error.refused"));
  });
  invoke(3);
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0], m({8, 68, 3, Obj{}, "com.example.error.refused"}));
}

TEST_F(PooledTest, AnInvocationHandedToAnotherThreadIsAnsweredFromThere) {
  auto pool = std::make_shared<WorkerPool>(1);
  std::thread elsewhere;
  std::promise<void> handed;
  register_on(pool, [&](WorkerInvocation invocation) {
    elsewhere = std::thread([kept = std::move(invocation)]() mutable {
      EXPECT_FALSE(kept.wait_for_interrupt(milliseconds(1)));
      kept.yield({"from elsewhere"});
    });
    handed.set_value();
  });
  invoke(3);
  handed.get_future().wait();
  elsewhere.join();
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0], m({70, 3, Obj{}, Arr{"from elsewhere"}}));
}

TEST_F(PooledTest, AnAnswerThatCannotBeSentStillAnswersTheCaller) {
  auto pool = std::make_shared<WorkerPool>(1);
  register_on(pool, [&](WorkerInvocation invocation) {
    // Not UTF-8: JSON cannot carry it, which only the loop finds out.
    EXPECT_TRUE(invocation.yield({std::string("\xff\xfe")}));
  });
  invoke(3);
  ASSERT_TRUE(run_until_sent(1));
  EXPECT_EQ(link.sent[0].if_array()->at(4), Value("wamp.error.runtime_error"));
}

// -- clients against the scripted router

class WorkerClientTest : public ClientTest {
 protected:
  // A router that registers each REGISTER under 500, 501, ... and otherwise welcomes and says
  // goodbye.
  ScriptedRouter& serve_registrations() {
    ScriptedRouter& router = serve();
    router.script = [](RouterPeer& peer, const Value& message) {
      ScriptedRouter::welcome_and_goodbye(peer, message);
      if (type_of(message) == 64) {
        const Id registration = 500 + sent(peer, 64).size() - 1;
        peer.send(Value::Array{65, message.if_array()->at(1), registration});
      }
    };
    return router;
  }
  void register_on(Client& client, const std::string& procedure,
                   const std::shared_ptr<WorkerPool>& pool, WorkerInvocationHandler handler) {
    std::optional<WampResult<Registration>> registered;
    client.register_procedure(procedure, {}, pool, std::move(handler),
                              [&](WampResult<Registration> r) { registered.emplace(r); });
    ASSERT_TRUE(run_until([&] { return registered.has_value(); }));
    ASSERT_TRUE(*registered);
  }
  bool run_until_counted(Counter& counter, int count) {
    return test::run_until_counted(&loop_, counter, count);
  }
  static std::vector<Value> answers_to(const RouterPeer& peer, Id request) {
    std::vector<Value> found;
    for (const Value& message : peer.received) {
      const std::int64_t type = type_of(message);
      const Arr& fields = *message.if_array();
      if (type == 70 && fields.at(1) == Value(request)) found.push_back(message);
      if (type == 8 && fields.at(2) == Value(request)) found.push_back(message);
    }
    return found;
  }
};

TEST_F(WorkerClientTest, TheLoopAnswersWhileEveryWorkerIsBusy) {
  ScriptedRouter& router = serve_registrations();
  Client& client = make();
  ASSERT_TRUE(join(client));
  auto pool = std::make_shared<WorkerPool>(2);
  Gate gate;
  Counter running;
  register_on(client, "com.example.slow", pool, [&](WorkerInvocation invocation) {
    running.add();
    gate.wait();
    invocation.yield({"slow"});
  });
  client.register_procedure(
      "com.example.fast", [](Invocation invocation) { invocation.yield({"fast"}); }, nullptr);
  RouterPeer& peer = router.last();
  peer.send(Value::Array{68, 1, 500, Value::Object{}});
  peer.send(Value::Array{68, 2, 500, Value::Object{}});
  ASSERT_TRUE(run_until_counted(running, 2));
  ASSERT_TRUE(run_until([&] { return sent(peer, 64).size() == 2; }));
  peer.send(Value::Array{68, 3, 501, Value::Object{}});
  ASSERT_TRUE(run_until([&] { return !answers_to(peer, 3).empty(); }));
  EXPECT_TRUE(answers_to(peer, 1).empty());
  EXPECT_TRUE(answers_to(peer, 2).empty());
  gate.open();
  ASSERT_TRUE(
      run_until([&] { return answers_to(peer, 1).size() + answers_to(peer, 2).size() == 2; }));
  EXPECT_EQ(answers_to(peer, 1)[0].if_array()->at(3), Value(Arr{"slow"}));
}

TEST_F(WorkerClientTest, CloseInterruptsBusyWorkers) {
  serve_registrations();
  Client& client = make();
  ASSERT_TRUE(join(client));
  auto pool = std::make_shared<WorkerPool>(1);
  Counter started;
  std::promise<std::string> stopped_for;
  register_on(client, "com.example.long", pool, [&](WorkerInvocation invocation) {
    started.add();
    EXPECT_TRUE(invocation.wait_for_interrupt(hours(1)));
    std::optional<Interrupt> why = invocation.interruption();
    stopped_for.set_value(why ? why->reason : "not interrupted");
  });
  routers_.back()->last().send(Value::Array{68, 1, 500, Value::Object{}});
  ASSERT_TRUE(run_until_counted(started, 1));
  bool closed = false;
  client.close([&] { closed = true; });
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(stopped_for.get_future().get(), "uvwamp.error.closed");
}

TEST_F(WorkerClientTest, DestroyingTheClientLeavesBusyWorkersNothingToTouch) {
  ScriptedRouter& router = serve_registrations();
  auto pool = std::make_shared<WorkerPool>(1);
  Counter started;
  std::promise<void> finished;
  {
    Client& client = make();
    ASSERT_TRUE(join(client));
    register_on(client, "com.example.long", pool, [&](WorkerInvocation invocation) {
      started.add();
      invocation.wait_for_interrupt(hours(1));
      // The client is gone: the answers find nothing, and say so.
      invocation.yield({"nobody hears"});
      EXPECT_FALSE(invocation.progress().ok());
      finished.set_value();
    });
    router.last().send(Value::Array{68, 1, 500, Value::Object{}});
    ASSERT_TRUE(run_until_counted(started, 1));
  }
  clients_.clear();
  finished.get_future().wait();
}

TEST_F(WorkerClientTest, APoolSharedByTwoClientsOutlivesTheOneThatCloses) {
  ScriptedRouter& router = serve_registrations();
  auto pool = std::make_shared<WorkerPool>(2);
  Client& first = make();
  Client& second = make();
  ASSERT_TRUE(join(first));
  ASSERT_TRUE(join(second));
  std::list<RouterPeer>& peers = router.peers();
  ASSERT_EQ(peers.size(), 2u);
  RouterPeer& first_peer = peers.front();
  RouterPeer& second_peer = peers.back();
  Gate gate;
  std::atomic<int> interrupted{0};
  Counter running;
  auto handler = [&](WorkerInvocation invocation) {
    invocation.on_interrupt([&](const Interrupt&) { ++interrupted; });
    running.add();
    gate.wait();
    invocation.yield({"done"});
  };
  register_on(first, "com.example.first", pool, handler);
  register_on(second, "com.example.second", pool, handler);
  first_peer.send(Value::Array{68, 1, 500, Value::Object{}});
  second_peer.send(Value::Array{68, 1, 500, Value::Object{}});
  ASSERT_TRUE(run_until_counted(running, 2));
  bool closed = false;
  first.close([&] { closed = true; });
  ASSERT_TRUE(run_until([&] { return closed; }));
  EXPECT_EQ(interrupted.load(), 1);
  gate.open();
  ASSERT_TRUE(run_until([&] { return !answers_to(second_peer, 1).empty(); }));
  EXPECT_EQ(answers_to(second_peer, 1)[0].if_array()->at(3), Value(Arr{"done"}));
  // The pool serves the client that stayed.
  second_peer.send(Value::Array{68, 2, 500, Value::Object{}});
  ASSERT_TRUE(run_until([&] { return !answers_to(second_peer, 2).empty(); }));
}

}  // namespace
}  // namespace uvwamp
