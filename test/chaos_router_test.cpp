// uvwamp::Client's reconnect policy against real routers that crash and freeze.
//
// Restarts: a client with reconnect enabled registers a procedure and subscribes a topic, and an
// autobahn-python peer (test/interop/peer.py --reconnect, which connects again on its own)
// offers its procedures. The test then kills the router's whole process group with SIGKILL,
// again and again, and each time starts a new router on the same ports. After each restart it
// waits for the client's on_rejoined and the peer's next session, and proves that the
// registration and the subscription came back: the peer calls the client's procedure and
// publishes to its topic, both on the client's request. All the while a timer makes a call and
// an acknowledged publication every 20 ms, and every one of those requests must complete
// exactly once, whatever the router was doing when it was made.
//
// Freezes: a router stopped with SIGSTOP answers nothing, not even a pong, and the client's
// keepalive takes it for lost; once thawed the client joins it again and restores. With two
// URLs, the client goes to the second router while the first is frozen. These run over
// WebSocket, whose pings both routers answer (Crossbar drops a RawSocket PING).
//
// How many restarts: UVWAMP_CHAOS_NEXUS_CYCLES (default 30) and UVWAMP_CHAOS_CROSSBAR_CYCLES
// (default 5; Crossbar takes seconds to start). Every UVWAMP_CHAOS_REPORT_EVERY cycles (default
// 10) a line "chaos-memory ..." gives the process's resident memory and, unsanitized, the bytes
// malloc holds, which scripts/chaos.sh sums up for long runs.
#include <gtest/gtest.h>
#include <uv.h>
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>

#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fixture/router.hpp"
#include "interop/peer_process.hpp"

namespace uvwamp {
namespace {

using test::RouterPorts;
using test::RouterProcess;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string describe(const WampError& error) {
  return error.code.message() + " [" + error.uri + "] " + error.message;
}

unsigned count_from_environment(const char* name, unsigned fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return static_cast<unsigned>(std::strtoul(text, nullptr, 10));
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// VmRSS in KiB, and the bytes malloc has handed out and not got back (meaningless under ASan,
// whose allocator malloc's statistics do not see: -1 there).
struct MemorySample {
  long resident_kib = -1;
  long long heap_bytes = -1;
};

MemorySample sample_memory() {
  MemorySample sample;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0)
      sample.resident_kib = std::strtol(line.c_str() + 6, nullptr, 10);
  }
  if (!kSanitized) sample.heap_bytes = static_cast<long long>(mallinfo2().uordblks);
  return sample;
}

const Serializer* serializer_named(const std::string& name) {
  if (name == "json") return &json_serializer();
  if (name == "msgpack") return &msgpack_serializer();
  return &cbor_serializer();
}

// A uv loop, and a way to run it until something happened. A 10 ms timer runs alongside, so
// that the condition is looked at even while nothing else wakes the loop.
class ChaosTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    uv_timer_init(&loop_, &tick_);
  }

  void TearDown() override {
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
  }

  // Runs the loop until `done()` or `timeout`; false (and a test failure naming `what`) on
  // timeout.
  bool run_until(const std::function<bool()>& done, milliseconds timeout, const std::string& what) {
    const auto deadline = Clock::now() + timeout;
    uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 10, 10);
    while (!done() && Clock::now() < deadline)
      uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&tick_);
    if (done()) return true;
    ADD_FAILURE() << "timed out after " << timeout.count() << " ms waiting for " << what;
    return false;
  }

  // Lets handles closed just now finish closing, before the memory they live in goes.
  void finish_closing() {
    for (int turn = 0; turn < 2; ++turn)
      uv_run(&loop_, UV_RUN_NOWAIT);
  }

  uv_loop_t loop_{};
  uv_timer_t tick_{};
};

// What the reconnect events said, counted.
struct ReconnectLog {
  unsigned disconnects = 0;
  unsigned attempts_since_loss = 0;  // the number of the last attempt announced
  unsigned rejoins = 0;
  unsigned restore_failures = 0;
  unsigned given_up = 0;
  std::string last_disconnect;
  std::string last_restore_failure;
  SessionInfo last_session;
  std::size_t restored_registrations = 0;
  std::size_t restored_subscriptions = 0;
};

ReconnectOptions quick_reconnect(const std::shared_ptr<ReconnectLog>& log) {
  ReconnectOptions reconnect;
  reconnect.enabled = true;
  reconnect.initial_delay = milliseconds(50);
  reconnect.max_delay = milliseconds(500);
  reconnect.on_disconnected = [log](const WampError& why) {
    ++log->disconnects;
    log->attempts_since_loss = 0;
    log->last_disconnect = describe(why);
  };
  reconnect.on_reconnecting = [log](unsigned attempt, milliseconds) {
    log->attempts_since_loss = attempt;
  };
  reconnect.on_rejoined = [log](const SessionInfo& session, const RestoreReport& restored) {
    ++log->rejoins;
    log->last_session = session;
    log->restored_registrations = restored.registrations.size();
    log->restored_subscriptions = restored.subscriptions.size();
  };
  reconnect.on_restore_failed = [log](const RestoreFailure& failure) {
    ++log->restore_failures;
    log->last_restore_failure = describe(failure.error);
  };
  reconnect.on_given_up = [log](const WampError&) { ++log->given_up; };
  return reconnect;
}

// Requests made by the traffic timer, and how each completed: each must complete exactly once.
// Only the requests still pending are kept, so that this bookkeeping does not grow with a long
// run and hide, or fake, a leak in the memory samples: a completion of a request that is not
// pending is a second one.
struct Traffic {
  std::size_t made = 0;
  std::set<std::size_t> pending;
  std::size_t completed = 0;
  std::size_t completed_again = 0;
  std::map<std::string, unsigned> outcomes;  // "ok", or the error code's message and URI
  unsigned unexpected = 0;                   // outcomes no reconnect explains
  std::string first_unexpected;

  std::size_t make() {
    pending.insert(made);
    return made++;
  }

  // The handler of request `index`; `error` is null for a success.
  void complete(std::size_t index, const WampError* error) {
    if (pending.erase(index) == 0) {
      ++completed_again;
      return;
    }
    ++completed;
    if (error == nullptr) {
      ++outcomes["ok"];
      return;
    }
    ++outcomes[error->code.message() + (error->uri.empty() ? "" : " " + error->uri)];
    // What a router going away and coming back explains: the request was in flight
    // (transport_lost), made while reconnecting (not_joined), went unanswered (timed_out), or
    // reached the router while the peer was still away (a WAMP error such as no_such_procedure).
    const auto code = static_cast<client_errc>(error->code.value());
    const bool explained =
        error->code.category() == client_category() &&
        (code == client_errc::transport_lost || code == client_errc::not_joined ||
         code == client_errc::timed_out || code == client_errc::session_ended ||
         code == client_errc::closed || code == client_errc::wamp_error);
    if (!explained && unexpected++ == 0) first_unexpected = describe(*error);
  }
};

struct RestartCase {
  std::string router;
  std::string transport;  // "ws" or "rs"
  std::string serializer;
};

std::string case_name(const ::testing::TestParamInfo<RestartCase>& info) {
  return info.param.router + "_" + info.param.transport + "_" + info.param.serializer;
}

class RouterRestartTest : public ChaosTest, public ::testing::WithParamInterface<RestartCase> {};

TEST_P(RouterRestartTest, ClientRejoinsAndRestoresAfterEveryCrash) {
  const RestartCase& param = GetParam();
  const unsigned cycles = param.router == "nexus"
                              ? count_from_environment("UVWAMP_CHAOS_NEXUS_CYCLES", 30)
                              : count_from_environment("UVWAMP_CHAOS_CROSSBAR_CYCLES", 5);
  const unsigned report_every =
      std::max(1u, count_from_environment("UVWAMP_CHAOS_REPORT_EVERY", 10));
  const auto started = Clock::now();

  auto router = RouterProcess::start(param.router);
  ASSERT_TRUE(router.ok()) << router.error().message;
  const RouterPorts ports{router.value().endpoints().websocket_port,
                          router.value().endpoints().rawsocket_port};
  auto url_of = [&](const test::RouterEndpoints& endpoints) {
    return param.transport == "rs" ? endpoints.rawsocket_url : endpoints.websocket_url;
  };
  const std::string url = url_of(router.value().endpoints());
  const std::string prefix = "chaos." + param.router + "." + param.transport;

  auto reconnects = std::make_shared<ReconnectLog>();
  ClientOptions options;
  options.urls = {url};
  options.realm = "realm1";
  options.serializers = {serializer_named(param.serializer)};
  options.connect_timeout = milliseconds(2'000);
  options.handshake_timeout = milliseconds(2'000);
  options.join_timeout = milliseconds(2'000);
  options.call_timeout = milliseconds(2'000);
  options.request_timeout = milliseconds(2'000);
  options.reconnect = quick_reconnect(reconnects);
  auto client = std::make_unique<Client>(&loop_, options);

  std::optional<WampResult<SessionInfo>> joined;
  client->join([&](WampResult<SessionInfo> result) { joined = std::move(result); });
  ASSERT_TRUE(run_until([&] { return joined.has_value(); }, milliseconds(10'000), "the join"));
  ASSERT_TRUE(joined->ok()) << describe(joined->error());

  // What the peer brings to the client's procedure and topic: the cycle numbers.
  // The last mark each brought, and how many invocations there were.
  struct Seen {
    std::int64_t last_invocation = -1;
    std::size_t invocations = 0;
    std::int64_t last_event = -1;
  };
  auto seen = std::make_shared<Seen>();
  std::optional<WampResult<Registration>> registered;
  client->register_procedure(
      prefix + ".uvwamp.proc",
      [seen](Invocation invocation) {
        if (!invocation.args.empty()) seen->last_invocation = invocation.args[0].to_int64().value();
        ++seen->invocations;
        invocation.yield(invocation.args);
      },
      [&](WampResult<Registration> result) { registered = std::move(result); });
  std::optional<WampResult<Subscription>> subscribed;
  client->subscribe(
      prefix + ".uvwamp.topic",
      [seen](const Event& event) {
        if (!event.args.empty()) seen->last_event = event.args[0].to_int64().value();
      },
      [&](WampResult<Subscription> result) { subscribed = std::move(result); });
  ASSERT_TRUE(run_until([&] { return registered && subscribed; }, milliseconds(10'000),
                        "the registration and the subscription"));
  ASSERT_TRUE(registered->ok()) << describe(registered->error());
  ASSERT_TRUE(subscribed->ok()) << describe(subscribed->error());

  test::PeerProcess peer(&loop_);
  ASSERT_EQ(peer.spawn(url, "realm1", param.serializer, prefix,
                       {"--reconnect", "--lifetime", std::to_string(60 + cycles * 30)}),
            0);
  // The traffic: every 20 ms a call to the peer and an acknowledged publication.
  auto traffic = std::make_shared<Traffic>();
  Client* traffic_client = client.get();
  struct TrafficTimer {
    uv_timer_t handle;
    std::function<void()> tick;
  };
  auto* timer = new TrafficTimer{};
  timer->tick = [traffic, traffic_client, prefix] {
    const std::size_t call_index = traffic->make();
    traffic_client->call(prefix + ".py.echo", {static_cast<std::int64_t>(call_index)},
                         [traffic, call_index](WampResult<CallResult> result) {
                           traffic->complete(call_index, result.ok() ? nullptr : &result.error());
                         });
    const std::size_t publish_index = traffic->make();
    PublishOptions acknowledged;
    acknowledged.acknowledge = true;
    traffic_client->publish(
        prefix + ".uvwamp.noise", {static_cast<std::int64_t>(publish_index)}, {}, acknowledged,
        [traffic, publish_index](WampResult<Publication> result) {
          traffic->complete(publish_index, result.ok() ? nullptr : &result.error());
        });
  };
  uv_timer_init(&loop_, &timer->handle);
  timer->handle.data = timer;
  uv_timer_start(
      &timer->handle, [](uv_timer_t* handle) { static_cast<TrafficTimer*>(handle->data)->tick(); },
      20, 20);

  auto report_memory = [&](unsigned cycle) {
    const MemorySample memory = sample_memory();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    std::printf(
        "chaos-memory router=%s transport=%s cycle=%u seconds=%.1f rss_kib=%ld heap_bytes=%lld "
        "requests=%zu\n",
        param.router.c_str(), param.transport.c_str(), cycle, seconds, memory.resident_kib,
        memory.heap_bytes, traffic->made);
    std::fflush(stdout);
  };
  // What may fail runs in here, so that what follows it always closes the timer, the client and
  // the peer: a failed test must not leave the loop work that never ends.
  auto run_cycles = [&] {
    ASSERT_TRUE(run_until([&] { return peer.ready_count() >= 1 || peer.exited(); },
                          milliseconds(30'000), "the peer's first session"));
    ASSERT_FALSE(peer.exited()) << peer.exit_description();
    report_memory(0);
    for (unsigned cycle = 1; cycle <= cycles; ++cycle) {
      SCOPED_TRACE("cycle " + std::to_string(cycle));
      const unsigned disconnects_before = reconnects->disconnects;
      const unsigned rejoins_before = reconnects->rejoins;
      const std::size_t peer_sessions_before = peer.ready_count();

      ASSERT_EQ(kill(-router.value().endpoints().router_pid, SIGKILL), 0);
      // The client must notice, and find nothing where the router was at least once, before the
      // new router is there: that is the outage a crash means.
      ASSERT_TRUE(run_until([&] { return reconnects->disconnects > disconnects_before; },
                            milliseconds(10'000), "the client to notice the crash"));
      ASSERT_TRUE(run_until([&] { return reconnects->attempts_since_loss >= 2; },
                            milliseconds(10'000), "a failed reconnect attempt"));
      const Status gone = router.value().wait_killed();
      ASSERT_TRUE(gone.ok()) << gone.error().message;

      router = RouterProcess::start(param.router, {}, ports);
      ASSERT_TRUE(router.ok()) << router.error().message;
      ASSERT_EQ(url_of(router.value().endpoints()), url);

      ASSERT_TRUE(run_until(
          [&] {
            return (reconnects->rejoins > rejoins_before &&
                    peer.ready_count() > peer_sessions_before) ||
                   reconnects->given_up > 0 || peer.exited();
          },
          milliseconds(60'000), "the client's rejoin and the peer's new session"));
      ASSERT_EQ(reconnects->given_up, 0u);
      ASSERT_FALSE(peer.exited()) << peer.exit_description();
      ASSERT_EQ(reconnects->restore_failures, 0u) << reconnects->last_restore_failure;
      EXPECT_EQ(reconnects->restored_registrations, 1u);
      EXPECT_EQ(reconnects->restored_subscriptions, 1u);

      // The proof: the peer calls the restored procedure and publishes to the restored topic.
      const std::int64_t mark = cycle;
      std::optional<WampResult<CallResult>> relayed_call;
      client->call(prefix + ".py.call",
                   {prefix + ".uvwamp.proc", Value::Array{mark}, Value::Object{}},
                   [&](WampResult<CallResult> result) { relayed_call = std::move(result); });
      ASSERT_TRUE(run_until([&] { return relayed_call.has_value(); }, milliseconds(10'000),
                            "the peer's call of the restored procedure"));
      ASSERT_TRUE(relayed_call->ok()) << describe(relayed_call->error());
      EXPECT_EQ(seen->last_invocation, mark);

      std::optional<WampResult<CallResult>> relayed_publish;
      client->call(prefix + ".py.publish",
                   {prefix + ".uvwamp.topic", Value::Array{mark}, Value::Object{}},
                   [&](WampResult<CallResult> result) { relayed_publish = std::move(result); });
      ASSERT_TRUE(run_until(
          [&] { return relayed_publish && (!relayed_publish->ok() || seen->last_event == mark); },
          milliseconds(10'000), "the peer's event on the restored subscription"));
      ASSERT_TRUE(relayed_publish->ok()) << describe(relayed_publish->error());

      // And the traffic flows again: some of its requests succeed before the next crash.
      const unsigned succeeded_before = traffic->outcomes["ok"];
      ASSERT_TRUE(run_until([&] { return traffic->outcomes["ok"] >= succeeded_before + 4; },
                            milliseconds(10'000), "the traffic's requests to succeed again"));

      if (cycle % report_every == 0 || cycle == cycles) report_memory(cycle);
    }
  };
  run_cycles();

  uv_timer_stop(&timer->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle),
           [](uv_handle_t* handle) { delete static_cast<TrafficTimer*>(handle->data); });
  // Requests still in flight complete now, or with client_errc::closed when the client closes.
  run_until([&] { return traffic->pending.empty(); }, milliseconds(5'000), "the last requests");
  bool closed = false;
  client->close([&] { closed = true; });
  EXPECT_TRUE(run_until([&] { return closed; }, milliseconds(5'000), "the client's close"));
  client.reset();
  if (HasFailure()) peer.kill();
  peer.close_stdin();
  run_until([&] { return peer.exited(); }, milliseconds(10'000), "the peer's exit");
  peer.close_handles();
  finish_closing();

  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  std::printf(
      "chaos: %s %s %s: %u restarts in %.1f s; %zu requests, %zu completed once, "
      "%zu more than once; events: %u disconnects, %u rejoins\n",
      param.router.c_str(), param.transport.c_str(), param.serializer.c_str(), cycles, seconds,
      traffic->made, traffic->completed, traffic->completed_again, reconnects->disconnects,
      reconnects->rejoins);
  for (const auto& [outcome, count] : traffic->outcomes)
    std::printf("chaos:   %6u %s\n", count, outcome.c_str());
  std::fflush(stdout);

  EXPECT_EQ(traffic->completed_again, 0u) << "requests completed more than once";
  EXPECT_EQ(traffic->completed, traffic->made) << "some requests never completed";
  EXPECT_TRUE(traffic->pending.empty());
  EXPECT_EQ(traffic->unexpected, 0u) << traffic->first_unexpected;
  EXPECT_GT(traffic->outcomes["ok"], 0u);
  EXPECT_EQ(reconnects->disconnects, cycles);
  EXPECT_EQ(reconnects->rejoins, cycles);
  EXPECT_EQ(seen->invocations, cycles);

  const Status stopped = router.value().stop();
  EXPECT_TRUE(stopped.ok()) << stopped.error().message;
}

INSTANTIATE_TEST_SUITE_P(Routers, RouterRestartTest,
                         ::testing::Values(RestartCase{"nexus", "rs", "msgpack"},
                                           RestartCase{"nexus", "ws", "json"},
                                           RestartCase{"crossbar", "ws", "json"}),
                         case_name);

// Continues a router's process group if the test stopped it, whatever happens to the test: a
// stopped router would take routerctl 10 s and a SIGKILL to stop.
class Freeze {
 public:
  explicit Freeze(pid_t group) : group_(group) { frozen_ = kill(-group_, SIGSTOP) == 0; }
  ~Freeze() { thaw(); }
  Freeze(const Freeze&) = delete;
  Freeze& operator=(const Freeze&) = delete;

  bool frozen() const { return frozen_; }
  void thaw() {
    if (frozen_) kill(-group_, SIGCONT);
    frozen_ = false;
  }

 private:
  pid_t group_;
  bool frozen_ = false;
};

// The client as it stands after a rejoin, asked to prove its registration and subscription
// back: it calls its own procedure and gets its own event (exclude_me false).
class FrozenRouterTest : public ChaosTest {
 protected:
  ClientOptions keepalive_options(std::vector<std::string> urls) {
    ClientOptions options;
    options.urls = std::move(urls);
    options.realm = "realm1";
    // A frozen router's kernel still accepts connections, so each attempt on it ends with a
    // handshake that goes unanswered: keep those short.
    options.connect_timeout = milliseconds(1'000);
    options.handshake_timeout = milliseconds(1'000);
    options.join_timeout = milliseconds(1'000);
    options.request_timeout = milliseconds(2'000);
    options.call_timeout = milliseconds(2'000);
    options.keepalive_interval = milliseconds(300);
    options.keepalive_timeout = milliseconds(300);
    options.reconnect = quick_reconnect(reconnects_);
    return options;
  }

  // Joins, registers and subscribes.
  void start_client(std::vector<std::string> urls) {
    client_ = std::make_unique<Client>(&loop_, keepalive_options(std::move(urls)));
    std::optional<WampResult<SessionInfo>> joined;
    client_->join([&](WampResult<SessionInfo> result) { joined = std::move(result); });
    ASSERT_TRUE(run_until([&] { return joined.has_value(); }, milliseconds(10'000), "the join"));
    ASSERT_TRUE(joined->ok()) << describe(joined->error());
    first_session_ = joined->value();
    std::optional<WampResult<Registration>> registered;
    client_->register_procedure(
        "chaos.frozen.proc", [](Invocation invocation) { invocation.yield(invocation.args); },
        [&](WampResult<Registration> result) { registered = std::move(result); });
    std::optional<WampResult<Subscription>> subscribed;
    auto events = events_;
    client_->subscribe(
        "chaos.frozen.topic", [events](const Event&) { ++*events; },
        [&](WampResult<Subscription> result) { subscribed = std::move(result); });
    ASSERT_TRUE(run_until([&] { return registered && subscribed; }, milliseconds(10'000),
                          "the registration and the subscription"));
    ASSERT_TRUE(registered->ok()) << describe(registered->error());
    ASSERT_TRUE(subscribed->ok()) << describe(subscribed->error());
  }

  void expect_restored() {
    EXPECT_EQ(reconnects_->restore_failures, 0u) << reconnects_->last_restore_failure;
    EXPECT_EQ(reconnects_->restored_registrations, 1u);
    EXPECT_EQ(reconnects_->restored_subscriptions, 1u);
    std::optional<WampResult<CallResult>> called;
    client_->call("chaos.frozen.proc", {1},
                  [&](WampResult<CallResult> result) { called = std::move(result); });
    ASSERT_TRUE(run_until([&] { return called.has_value(); }, milliseconds(10'000),
                          "the call of the restored procedure"));
    EXPECT_TRUE(called->ok()) << describe(called->error());
    const int events_before = *events_;
    PublishOptions to_self;
    to_self.acknowledge = true;
    to_self.extra["exclude_me"] = false;
    std::optional<WampResult<Publication>> published;
    client_->publish("chaos.frozen.topic", {1}, {}, to_self,
                     [&](WampResult<Publication> result) { published = std::move(result); });
    EXPECT_TRUE(run_until([&] { return published && *events_ > events_before; },
                          milliseconds(10'000), "the event on the restored subscription"));
  }

  // A test that failed half way leaves its client to close here, before the loop is run out.
  void TearDown() override {
    if (client_) close_client();
    ChaosTest::TearDown();
  }

  void close_client() {
    bool closed = false;
    client_->close([&] { closed = true; });
    EXPECT_TRUE(run_until([&] { return closed; }, milliseconds(5'000), "the client's close"));
    client_.reset();
  }

  std::shared_ptr<ReconnectLog> reconnects_ = std::make_shared<ReconnectLog>();
  std::shared_ptr<int> events_ = std::make_shared<int>(0);
  std::unique_ptr<Client> client_;
  SessionInfo first_session_;
};

class FrozenRouterPerRouterTest : public FrozenRouterTest,
                                  public ::testing::WithParamInterface<std::string> {};

TEST_P(FrozenRouterPerRouterTest, KeepaliveFindsItAndTheClientRejoinsOnceThawed) {
  auto router = RouterProcess::start(GetParam());
  ASSERT_TRUE(router.ok()) << router.error().message;
  start_client({router.value().endpoints().websocket_url});
  if (HasFatalFailure()) return;

  Freeze freeze(router.value().endpoints().router_pid);
  ASSERT_TRUE(freeze.frozen());
  const auto frozen_at = Clock::now();
  // Keepalive: a ping every 300 ms and 300 ms for the answer, so about 600 ms; the bound only
  // says the keepalive did it, not TCP's own keepalive (60 s).
  ASSERT_TRUE(run_until([&] { return reconnects_->disconnects == 1; }, milliseconds(10'000),
                        "the keepalive to find the frozen router"));
  const auto noticed_after =
      std::chrono::duration_cast<milliseconds>(Clock::now() - frozen_at).count();
  std::printf("chaos: %s frozen: lost after %lld ms (%s)\n", GetParam().c_str(),
              static_cast<long long>(noticed_after), reconnects_->last_disconnect.c_str());
  EXPECT_LT(noticed_after, 5'000);
  // Attempts against the frozen router: the kernel accepts, the handshake times out.
  ASSERT_TRUE(run_until([&] { return reconnects_->attempts_since_loss >= 2; }, milliseconds(15'000),
                        "a failed attempt on the frozen router"));
  EXPECT_EQ(reconnects_->rejoins, 0u);

  freeze.thaw();
  ASSERT_TRUE(run_until([&] { return reconnects_->rejoins == 1 || reconnects_->given_up > 0; },
                        milliseconds(30'000), "the rejoin once thawed"));
  ASSERT_EQ(reconnects_->rejoins, 1u);
  expect_restored();
  close_client();
  const Status stopped = router.value().stop();
  EXPECT_TRUE(stopped.ok()) << stopped.error().message;
}

INSTANTIATE_TEST_SUITE_P(Routers, FrozenRouterPerRouterTest, ::testing::Values("nexus", "crossbar"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST_F(FrozenRouterTest, WithTwoUrlsTheClientRejoinsOnTheSecondRouter) {
  auto first = RouterProcess::start("nexus");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = RouterProcess::start("nexus");
  ASSERT_TRUE(second.ok()) << second.error().message;
  const std::string first_url = first.value().endpoints().websocket_url;
  const std::string second_url = second.value().endpoints().websocket_url;
  start_client({first_url, second_url});
  if (HasFatalFailure()) return;
  ASSERT_EQ(first_session_.url, first_url);

  Freeze freeze(first.value().endpoints().router_pid);
  ASSERT_TRUE(freeze.frozen());
  ASSERT_TRUE(run_until([&] { return reconnects_->rejoins == 1 || reconnects_->given_up > 0; },
                        milliseconds(15'000), "the rejoin on the second router"));
  ASSERT_EQ(reconnects_->rejoins, 1u);
  EXPECT_EQ(reconnects_->disconnects, 1u);
  EXPECT_EQ(reconnects_->last_session.url, second_url);
  expect_restored();
  close_client();
  freeze.thaw();
  for (auto* router : {&first, &second}) {
    const Status stopped = router->value().stop();
    EXPECT_TRUE(stopped.ok()) << stopped.error().message;
  }
}

}  // namespace
}  // namespace uvwamp
