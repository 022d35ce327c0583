// uvwamp::Client with autobahn-python, through Crossbar.io and nexus: test/interop/peer.py, an
// asyncio autobahn component, offers procedures and a topic, and calls and publishes back into
// uvwamp on request. Both directions are covered on WebSocket and RawSocket over TCP, with each
// serializer (both sides use the same one):
//   - uvwamp calls Python: positional, keyword and binary arguments; one argument that is a list;
//     Python's error with arguments; Python sees the types it should (bytes for binary);
//   - uvwamp publishes to Python, which calls the event back into a uvwamp procedure;
//   - Python calls uvwamp: its result, its error with arguments, and an answer given later;
//   - Python publishes to a uvwamp subscriber.
//
// The peer runs under the venv's python (the one with autobahn), spawned on the test's loop. It
// exits when its stdin closes, which TearDown does (and the kernel does if the test dies), and
// has PR_SET_PDEATHSIG besides; a peer that lingers anyway is killed. No wait is unbounded.
#include <gtest/gtest.h>
#include <uv.h>
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "fixture/router.hpp"
#include "fixture/router_environment.hpp"
#include "interop/client_test_support.hpp"
#include "interop/peer_process.hpp"

namespace uvwamp {
namespace {

using test::describe;
using test::EventLog;
using test::make_event_log;
using test::PeerProcess;
using test::record_into;
using test::succeeded;
using test::why;

// GoogleTest owns the environment; registered before main() runs, as gtest_main has it.
::testing::Environment* const routers_environment =
    ::testing::AddGlobalTestEnvironment(new test::Routers);

enum class Transport { websocket, rawsocket };

struct Case {
  std::string router;
  Transport transport;
  std::string serializer;
};

const char* transport_name(Transport transport) {
  return transport == Transport::websocket ? "ws" : "rs";
}

void PrintTo(const Case& c, std::ostream* out) {
  *out << c.router << " " << transport_name(c.transport) << " " << c.serializer;
}

Value::Array sample_args() {
  return {Value(1),
          Value(-2),
          Value(1.5),
          Value("text \xC3\xBC \xE2\x9C\x93"),
          Value(true),
          Value(nullptr),
          Value(Value::Binary{0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff}),
          Value(Value::Array{Value(1), Value("two"), Value(Value::Binary{0x02})}),
          Value(Value::Object{{"k", Value("v")}}),
          Value(std::int64_t{9007199254740992})};
}

// The Python type peer.py's describe() names for each of sample_args().
const std::vector<std::string> kSampleTypes = {"int",      "int",   "float", "str",  "bool",
                                               "NoneType", "bytes", "list",  "dict", "int"};

Value::Object sample_kwargs() {
  return {{"bytes", Value(Value::Binary{0xde, 0xad, 0xbe, 0xef})},
          {"list", Value(Value::Array{Value(1), Value(2), Value(3)})},
          {"nested", Value(Value::Object{{"x", Value(-0.25)}})},
          {"text", Value("kw")}};
}

const Value::Object kSampleKwargTypes = {{"bytes", Value("bytes")},
                                         {"list", Value("list")},
                                         {"nested", Value("dict")},
                                         {"text", Value("str")}};

// What a uvwamp procedure was given.
struct Invoked {
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};
using InvocationLog = std::shared_ptr<std::vector<Invoked>>;

InvocationHandler echo_into(InvocationLog log) {
  return [log](Invocation invocation) {
    log->push_back({invocation.args, invocation.kwargs, invocation.details});
    Value::Array args = invocation.args;
    Value::Object kwargs = invocation.kwargs;
    EXPECT_TRUE(invocation.yield(std::move(args), std::move(kwargs)));
  };
}

class Interop : public test::ClientTest, public ::testing::WithParamInterface<Case> {
 protected:
  void SetUp() override {
    ClientTest::SetUp();
    const test::RouterEndpoints* endpoints = test::Routers::endpoints(GetParam().router);
    ASSERT_NE(endpoints, nullptr);
    url_ = GetParam().transport == Transport::websocket ? endpoints->websocket_url
                                                        : endpoints->rawsocket_url;
    serializer_ = find_serializer(GetParam().serializer);
    ASSERT_NE(serializer_, nullptr);
    static int tests_run = 0;
    prefix_ = "interop" + std::to_string(++tests_run);
  }

  // Every URI of a test starts with its own prefix, peer.py's too: a router forgets a closed
  // session's registrations only a little after it is gone.
  std::string uri(const std::string& name) const { return prefix_ + "." + name; }

  // Ends the peer before the loop closes: EOF first, SIGKILL if it lingers.
  void TearDown() override {
    if (peer_ && peer_->started()) {
      peer_->close_stdin();
      if (!wait_until([&] { return peer_->exited(); }, std::chrono::seconds(5))) {
        ADD_FAILURE() << "peer.py did not exit within 5 s of its stdin closing; killing it";
        peer_->kill();
        EXPECT_TRUE(wait_until([&] { return peer_->exited(); }, std::chrono::seconds(5)));
      } else {
        EXPECT_EQ(peer_->exit_status(), 0) << peer_->exit_description();
      }
    }
    if (peer_) peer_->close_handles();
    ClientTest::TearDown();
  }

  // Starts peer.py and waits for it to be ready; then joins our client.
  void start() {
    peer_ = std::make_unique<PeerProcess>(&loop_);
    const int spawned = peer_->spawn(url_, "realm1", GetParam().serializer, prefix_);
    ASSERT_EQ(spawned, 0) << "cannot run " UVWAMP_TEST_PEER_PYTHON ": " << uv_strerror(spawned);
    ASSERT_TRUE(
        wait_until([&] { return peer_->ready() || peer_->exited(); }, std::chrono::seconds(30)))
        << "peer.py was not ready within 30 s";
    ASSERT_TRUE(peer_->ready()) << peer_->exit_description();
    client_ = &add_client(options_for({url_}, serializer_));
    auto joined = join(*client_);
    ASSERT_TRUE(joined.ok()) << why(joined);
    EXPECT_NE(joined->session_id, *peer_->ready());
  }

  std::string url_;
  std::string prefix_;
  const Serializer* serializer_ = nullptr;
  std::unique_ptr<PeerProcess> peer_;
  Client* client_ = nullptr;
};

TEST_P(Interop, UvwampCallsAndPublishesToPython) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto seen = std::make_shared<std::vector<Invoked>>();
  auto registered = register_procedure(*client_, uri("uvwamp.event_seen"), echo_into(seen));
  ASSERT_TRUE(registered.ok()) << why(registered);

  auto echoed = call(*client_, uri("py.echo"), sample_args(), sample_kwargs());
  ASSERT_TRUE(echoed.ok()) << why(echoed);
  EXPECT_EQ(echoed->args, sample_args());
  EXPECT_EQ(echoed->kwargs, sample_kwargs());

  const Value::Array one_list = {Value(Value::Array{Value(1), Value(2), Value(3)})};
  echoed = call(*client_, uri("py.echo"), one_list);
  ASSERT_TRUE(echoed.ok()) << why(echoed);
  EXPECT_EQ(echoed->args, one_list);
  EXPECT_TRUE(echoed->kwargs.empty());

  auto described = call(*client_, uri("py.describe"), sample_args(), sample_kwargs());
  ASSERT_TRUE(described.ok()) << why(described);
  Value::Array expected_types;
  for (const std::string& type : kSampleTypes)
    expected_types.emplace_back(type);
  EXPECT_EQ(described->args, expected_types);
  EXPECT_EQ(described->kwargs, kSampleKwargTypes);

  const Value::Array error_args = {Value("bad"), Value(Value::Binary{0x00, 0xff}), Value(7)};
  const Value::Object error_kwargs = {{"field", Value("name")}};
  auto failed = call(*client_, uri("py.fail"), error_args, error_kwargs);
  ASSERT_FALSE(failed.ok()) << "py.fail succeeded";
  EXPECT_EQ(failed.error().code, make_error_code(client_errc::wamp_error))
      << describe(failed.error());
  EXPECT_EQ(failed.error().uri, uri("py.error.failed"));
  EXPECT_EQ(failed.error().args, error_args);
  EXPECT_EQ(failed.error().kwargs, error_kwargs);

  // Python calls each event it hears back into uvwamp.event_seen.
  auto published = publish(*client_, uri("py.topic"), sample_args(), sample_kwargs(), true);
  ASSERT_TRUE(published.ok()) << why(published);
  EXPECT_GE(published->id, 1u);
  ASSERT_TRUE(wait_until([&] { return seen->size() == 1; })) << "Python did not echo the event";
  EXPECT_EQ(seen->front().args, sample_args());
  EXPECT_EQ(seen->front().kwargs, sample_kwargs());
  published = publish(*client_, uri("py.topic"), one_list, {}, false);
  ASSERT_TRUE(published.ok()) << why(published);
  ASSERT_TRUE(wait_until([&] { return seen->size() == 2; })) << "Python did not echo the event";
  EXPECT_EQ(seen->back().args, one_list);
  EXPECT_TRUE(seen->back().kwargs.empty());
}

TEST_P(Interop, PythonCallsAndPublishesToUvwamp) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto invoked = std::make_shared<std::vector<Invoked>>();
  ASSERT_TRUE(succeeded(register_procedure(*client_, uri("uvwamp.echo"), echo_into(invoked))));
  const Value::Array error_args = {Value("refused"), Value(Value::Binary{0x01}), Value(-3)};
  const Value::Object error_kwargs = {{"limit", Value(3)}, {"bytes", Value(Value::Binary{})}};
  const std::string refused = uri("uvwamp.error.refused");
  InvocationHandler refuse = [refused, error_args, error_kwargs](Invocation invocation) {
    EXPECT_TRUE(invocation.error(refused, error_args, error_kwargs));
  };
  ASSERT_TRUE(succeeded(register_procedure(*client_, uri("uvwamp.refuse"), refuse)));
  InvocationHandler later = [this](Invocation invocation) {
    auto held = std::make_shared<Invocation>(std::move(invocation));
    after(std::chrono::milliseconds(100), [held] {
      Value::Array answer = {Value("later"), held->args.at(0)};
      EXPECT_TRUE(held->yield(std::move(answer)));
    });
  };
  ASSERT_TRUE(succeeded(register_procedure(*client_, uri("uvwamp.later"), later)));
  EventLog events = make_event_log();
  auto subscribed = subscribe(*client_, uri("uvwamp.topic"), record_into(events));
  ASSERT_TRUE(subscribed.ok()) << why(subscribed);

  // py.call(procedure, args, kwargs): Python makes the call and answers with what came.
  auto result = call(*client_, uri("py.call"),
                     {Value(uri("uvwamp.echo")), Value(sample_args()), Value(sample_kwargs())});
  ASSERT_TRUE(result.ok()) << why(result);
  ASSERT_EQ(invoked->size(), 1u);
  EXPECT_EQ(invoked->front().args, sample_args());
  EXPECT_EQ(invoked->front().kwargs, sample_kwargs());
  EXPECT_EQ(result->args, sample_args());
  EXPECT_EQ(result->kwargs, sample_kwargs());

  const Value::Array one_list = {Value(Value::Array{Value(1), Value(2), Value(3)})};
  result = call(*client_, uri("py.call"),
                {Value(uri("uvwamp.echo")), Value(one_list), Value(Value::Object{})});
  ASSERT_TRUE(result.ok()) << why(result);
  ASSERT_EQ(invoked->size(), 2u);
  EXPECT_EQ(invoked->back().args, one_list);
  EXPECT_EQ(result->args, one_list);

  result = call(*client_, uri("py.call"),
                {Value(uri("uvwamp.refuse")), Value(Value::Array{}), Value(Value::Object{})});
  ASSERT_FALSE(result.ok()) << "Python's call of uvwamp.refuse succeeded";
  EXPECT_EQ(result.error().uri, uri("uvwamp.error.refused")) << describe(result.error());
  EXPECT_EQ(result.error().args, error_args);
  EXPECT_EQ(result.error().kwargs, error_kwargs);

  result =
      call(*client_, uri("py.call"),
           {Value(uri("uvwamp.later")), Value(Value::Array{Value(5)}), Value(Value::Object{})});
  ASSERT_TRUE(result.ok()) << why(result);
  EXPECT_EQ(result->args, (Value::Array{Value("later"), Value(5)}));

  // py.publish(topic, args, kwargs): acknowledged, answers with the publication id.
  result = call(*client_, uri("py.publish"),
                {Value(uri("uvwamp.topic")), Value(sample_args()), Value(sample_kwargs())});
  ASSERT_TRUE(result.ok()) << why(result);
  ASSERT_EQ(result->args.size(), 1u) << Value(result->args).debug_string();
  ASSERT_TRUE(wait_until([&] { return events->size() == 1; })) << "no event from Python";
  const Event& event = events->front();
  EXPECT_EQ(Value(event.publication), result->args.front());
  EXPECT_EQ(event.subscription, subscribed->id);
  EXPECT_EQ(event.topic, uri("uvwamp.topic"));
  EXPECT_EQ(event.args, sample_args());
  EXPECT_EQ(event.kwargs, sample_kwargs());
}

std::vector<Case> every_case() {
  std::vector<Case> cases;
  for (const char* router : {"crossbar", "nexus"})
    for (Transport transport : {Transport::websocket, Transport::rawsocket})
      for (const char* serializer : {"json", "msgpack", "cbor"})
        cases.push_back({router, transport, serializer});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Routers, Interop, ::testing::ValuesIn(every_case()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.router + "_" + transport_name(info.param.transport) +
                                  "_" + info.param.serializer;
                         });

}  // namespace
}  // namespace uvwamp
