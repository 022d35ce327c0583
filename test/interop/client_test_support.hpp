// Shared by the client's router and interop tests: a fixture that owns a uv loop and the Clients
// on it, and runs the loop until each request completes, so a test reads as a sequence of steps.
//
// Nothing can hang: every wait is bounded (kAnswerTimeout) by a uv timer, and a request that got
// no answer in time comes back as client_errc::timed_out with a message naming the request. Each
// wait also checks the client's promises that a handler never runs inside the call that made the
// request, and that a request completes once.
//
// TearDown closes every client with close() and waits for its callback, closes the timers still
// pending, and then LoopTest requires uv_loop_close() to return 0.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>
#include <uvwamp/client.hpp>
#include <uvwamp/value.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "uv_test_support.hpp"

namespace uvwamp {

// GoogleTest prints Values, and the arrays and objects made of them, in failure messages.
inline void PrintTo(const Value& value, std::ostream* out) {
  *out << value.debug_string();
}

namespace test {

constexpr std::chrono::milliseconds kAnswerTimeout{10'000};

inline std::string describe(const WampError& error) {
  std::string text = error.code.message() + " [" + error.uri + "] " + error.message;
  if (!error.args.empty()) text += " args=" + Value(error.args).debug_string();
  if (!error.kwargs.empty()) text += " kwargs=" + Value(error.kwargs).debug_string();
  return text;
}

// For `ASSERT_TRUE(r.ok()) << why(r)`.
template <class R>
std::string why(const R& result) {
  return result.ok() ? std::string("ok") : describe(result.error());
}

// For `ASSERT_TRUE(succeeded(client_request(...)))`: a failure shows the error.
template <class R>
::testing::AssertionResult succeeded(const R& result) {
  if (result.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << describe(result.error());
}

// Events as a subscription's handler saw them; shared, since the handler may outlive the test
// body (it lives in the client until TearDown closes it).
using EventLog = std::shared_ptr<std::vector<Event>>;

inline EventLog make_event_log() {
  return std::make_shared<std::vector<Event>>();
}

inline EventHandler record_into(EventLog log) {
  return [log](const Event& event) { log->push_back(event); };
}

class ClientTest : public LoopTest {
 protected:
  void TearDown() override {
    for (PendingTimer* timer : timers_)
      uv_close(reinterpret_cast<uv_handle_t*>(&timer->handle), delete_timer);
    timers_.clear();
    auto closed = std::make_shared<std::size_t>(0);
    std::size_t closing = 0;
    for (auto& [client, is_closed] : clients_) {
      if (is_closed) continue;
      ++closing;
      client->close([closed] { ++*closed; });
    }
    EXPECT_TRUE(run_until([&] { return *closed == closing; }))
        << (closing - *closed) << " client(s) did not finish close() in 10 s";
    clients_.clear();
    LoopTest::TearDown();
  }

  ClientOptions options_for(std::vector<std::string> urls, const Serializer* serializer,
                            std::string realm = "realm1") {
    ClientOptions options;
    options.urls = std::move(urls);
    options.realm = std::move(realm);
    if (serializer) options.serializers = {serializer};
    options.connect_timeout = std::chrono::seconds(5);
    options.handshake_timeout = std::chrono::seconds(5);
    options.goodbye_timeout = std::chrono::seconds(3);
    return options;
  }

  Client& add_client(ClientOptions options) {
    clients_.emplace_back(std::make_unique<Client>(&loop_, std::move(options)), false);
    return *clients_.back().first;
  }

  // close() and its callback; the client stays allocated until TearDown.
  void close_client(Client& client) {
    for (auto& [owned, is_closed] : clients_) {
      if (owned.get() != &client) continue;
      ASSERT_FALSE(is_closed);
      is_closed = true;
      auto done = std::make_shared<int>(0);
      client.close([done] { ++*done; });
      EXPECT_EQ(*done, 0) << "close() called back inside itself";
      EXPECT_TRUE(run_until([&] { return *done > 0; })) << "close() did not call back in 10 s";
      EXPECT_EQ(*done, 1);
      return;
    }
    ADD_FAILURE() << "close_client: not a client of this test";
  }

  // Starts `request` with a completion handler and runs the loop until it completes.
  template <class R, class Request>
  R await(const std::string& what, Request&& request,
          std::chrono::milliseconds limit = kAnswerTimeout) {
    struct Awaited {
      bool inside = true;
      int completions = 0;
      std::optional<R> result;
    };
    auto state = std::make_shared<Awaited>();
    request([state, what](R result) {
      if (state->inside) ADD_FAILURE() << what << " completed inside the call that made it";
      if (++state->completions > 1) {
        ADD_FAILURE() << what << " completed a second time: " << why(result);
        return;
      }
      state->result.emplace(std::move(result));
    });
    state->inside = false;
    if (!run_until([&] { return state->result.has_value(); }, limit)) {
      return R(WampError{make_error_code(client_errc::timed_out),
                         "test.timeout",
                         what + ": no answer within " + std::to_string(limit.count()) + " ms",
                         {},
                         {},
                         {}});
    }
    return std::move(*state->result);
  }

  WampResult<SessionInfo> join(Client& client) {
    return await<WampResult<SessionInfo>>("join", [&](JoinHandler done) { client.join(done); });
  }

  WampResult<std::string> leave(Client& client, std::string reason = "wamp.close.close_realm") {
    return await<WampResult<std::string>>("leave",
                                          [&](LeaveHandler done) { client.leave(done, reason); });
  }

  WampResult<CallResult> call(Client& client, const std::string& procedure, Value::Array args,
                              Value::Object kwargs = {}, CallOptions options = {}) {
    return await<WampResult<CallResult>>("call " + procedure, [&](CallHandler done) {
      client.call(procedure, std::move(args), std::move(kwargs), std::move(options), done);
    });
  }

  WampResult<Registration> register_procedure(Client& client, const std::string& procedure,
                                              InvocationHandler handler,
                                              RegisterOptions options = {}) {
    return await<WampResult<Registration>>("register " + procedure, [&](RegisterHandler done) {
      client.register_procedure(procedure, std::move(options), std::move(handler), done);
    });
  }

  WampStatus unregister(Client& client, const Registration& registration) {
    return await<WampStatus>("unregister " + registration.procedure,
                             [&](DoneHandler done) { client.unregister(registration, done); });
  }

  WampResult<Subscription> subscribe(Client& client, const std::string& topic,
                                     EventHandler handler) {
    return await<WampResult<Subscription>>("subscribe " + topic, [&](SubscribeHandler done) {
      client.subscribe(topic, std::move(handler), done);
    });
  }

  WampStatus unsubscribe(Client& client, const Subscription& subscription) {
    return await<WampStatus>("unsubscribe " + subscription.topic,
                             [&](DoneHandler done) { client.unsubscribe(subscription, done); });
  }

  WampResult<Publication> publish(Client& client, const std::string& topic, Value::Array args,
                                  Value::Object kwargs, bool acknowledge,
                                  Value::Object extra = {}) {
    return await<WampResult<Publication>>("publish " + topic, [&](PublishHandler done) {
      client.publish(topic, std::move(args), std::move(kwargs),
                     PublishOptions{acknowledge, std::move(extra)}, done);
    });
  }

  // Runs `task` once on the loop after `delay`; TearDown cancels it if it has not run.
  void after(std::chrono::milliseconds delay, std::function<void()> task) {
    auto* timer = new PendingTimer{uv_timer_t{}, std::move(task), this};
    uv_timer_init(&loop_, &timer->handle);
    timer->handle.data = timer;
    timers_.insert(timer);
    uv_timer_start(
        &timer->handle,
        [](uv_timer_t* handle) {
          auto* fired = static_cast<PendingTimer*>(handle->data);
          fired->owner->timers_.erase(fired);
          std::function<void()> task = std::move(fired->task);
          uv_close(reinterpret_cast<uv_handle_t*>(handle), delete_timer);
          task();
        },
        static_cast<std::uint64_t>(delay.count()), 0);
  }

  // Runs the loop until `done` holds; false after `limit`.
  bool wait_until(const std::function<bool()>& done,
                  std::chrono::milliseconds limit = kAnswerTimeout) {
    return run_until(done, limit);
  }

 private:
  struct PendingTimer {
    uv_timer_t handle;
    std::function<void()> task;
    ClientTest* owner;
  };

  static void delete_timer(uv_handle_t* handle) { delete static_cast<PendingTimer*>(handle->data); }

  std::list<std::pair<std::unique_ptr<Client>, bool>> clients_;  // the flag: close() was called
  std::set<PendingTimer*> timers_;
};

}  // namespace test
}  // namespace uvwamp
