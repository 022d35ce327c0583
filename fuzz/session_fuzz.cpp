// libFuzzer target for the session: the input is what a router says, one JSON message per line.
// The session joins; once welcomed it makes one request of each kind, and handlers make more as
// answers come: calls with progressive results and timeouts, progressive input, cancels in each
// mode, invocations held with interrupt and input handlers, a timeout on every request. An ended
// session joins again and restores what it kept, as the client's reconnect does. Between lines
// the fake clock moves on, so timeouts fire. Whatever the router says, the session must not crash,
// every request must complete exactly once by the time the owner ends the session, and no
// progressive result may come after its call completed.
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>

#include <chrono>
#include <cstdlib>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "session/session.hpp"

namespace {

using namespace uvwamp;

class Link : public Session::Link {
 public:
  Status send(const msg::Message& message) override {
    std::vector<std::uint8_t> bytes;
    return json_serializer().encode(msg::build_message(message), bytes);
  }
  void defer(std::function<void()> task) override { tasks.push_back(std::move(task)); }
  TimePoint now() const override { return time; }
  void run_deferred() {
    while (!tasks.empty()) {
      std::function<void()> task = std::move(tasks.front());
      tasks.pop_front();
      task();
    }
  }
  std::deque<std::function<void()>> tasks;
  TimePoint time;
};

class Listener : public Session::Listener {
 public:
  void on_session_ended(const WampError&) override {}
  void on_handler_exception(std::exception_ptr) override {}
};

class InlineAuthContext : public AuthContext {
 public:
  std::optional<std::vector<std::uint8_t>> tls_unique() const override { return std::nullopt; }
  void run_blocking(std::function<void()> work, std::function<void()> done) override {
    work();
    done();
  }
};

// Counts the completions of each request; a second one is a bug.
class Requests {
 public:
  template <class R>
  std::function<void(R)> track() {
    const std::size_t index = completions_.size();
    completions_.push_back(0);
    return [this, index](R) {
      if (++completions_[index] > 1) std::abort();
    };
  }
  // A progress handler for the request tracked last: progress after its completion is a bug.
  ProgressHandler progress_of_last() {
    const std::size_t index = completions_.size() - 1;
    return [this, index](const CallResult&) {
      if (completions_[index] != 0) std::abort();
    };
  }
  void expect_all_completed() const {
    for (int count : completions_) {
      if (count != 1) std::abort();
    }
  }
  std::size_t size() const { return completions_.size(); }

 private:
  std::vector<int> completions_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Link link;
  Listener listener;
  InlineAuthContext auth_context;
  Requests requests;
  std::vector<Invocation> held;  // answered (or dropped) at the end
  {
    Session session(link, listener, auth_context);
    constexpr std::size_t kMaxRequests = 64;
    std::vector<CallRequest> calls;  // canceled or continued as later answers come
    std::function<void()> make_requests = [&] {
      if (requests.size() >= kMaxRequests) return;
      session.call("com.example.f", {1, "two"}, {}, {}, requests.track<WampResult<CallResult>>());
      CallOptions streamed;
      streamed.timeout = std::chrono::milliseconds(250);
      auto streamed_done = requests.track<WampResult<CallResult>>();
      streamed.on_progress = requests.progress_of_last();
      calls.push_back(session.call("com.example.g", {}, {}, streamed, streamed_done));
      CallOptions chunked;
      chunked.progress = true;
      calls.push_back(session.call("com.example.h", {"chunk"}, {}, chunked,
                                   requests.track<WampResult<CallResult>>()));
      PublishOptions acknowledged;
      acknowledged.acknowledge = true;
      acknowledged.timeout = std::chrono::milliseconds(150);
      session.publish("com.example.t", {}, {}, acknowledged,
                      requests.track<WampResult<Publication>>());
      auto subscribed = requests.track<WampResult<Subscription>>();
      session.subscribe(
          "com.example.t", SubscribeOptions{{}, std::chrono::milliseconds(200)},
          [](const Event&) {},
          [&, subscribed](WampResult<Subscription> s) {
            subscribed(s);
            if (s && requests.size() < kMaxRequests) {
              session.unsubscribe(*s, requests.track<WampStatus>());
            }
          });
      RegisterOptions timed;
      timed.timeout = std::chrono::milliseconds(300);
      timed.forward_timeout = true;
      timed.match = MatchPolicy::prefix;
      timed.on_revoked = [&](const Registration&, const std::string&) {
        if (requests.size() < kMaxRequests) make_requests();
      };
      session.register_procedure(
          "com.example.", timed,
          [&](Invocation invocation) {
            switch (invocation.args.size() % 4) {
              case 0:
                invocation.yield(invocation.args);
                break;
              case 1:
                (void)invocation.progress({1});
                held.push_back(std::move(invocation));
                break;
              case 2:
                invocation.on_interrupt([&](const Interrupt&) {
                  for (Invocation& other : held)
                    (void)other.progress({2});
                });
                held.push_back(std::move(invocation));
                break;
              default:
                invocation.on_input([&](InvocationInput input) {
                  if (!input.more) {
                    for (Invocation& other : held)
                      other.yield();
                  }
                });
                held.push_back(std::move(invocation));
            }
          },
          requests.track<WampResult<Registration>>());
    };
    // An ended session joins again and restores what it kept, as the client's reconnect does.
    auto rejoin = [&] {
      if (session.state() != Session::State::closed || requests.size() >= kMaxRequests) return;
      auto rejoined = requests.track<WampResult<SessionInfo>>();
      session.join("realm1", {}, {}, [&, rejoined](WampResult<SessionInfo> info) {
        rejoined(info);
        if (info && requests.size() < kMaxRequests) {
          session.restore(requests.track<WampResult<RestoreReport>>());
        }
      });
    };
    // What the owner does between the router's messages, chosen by the line's first byte.
    auto act = [&](std::uint8_t choice) {
      if (choice % 6 == 5) return rejoin();
      if (calls.empty()) return;
      const CallRequest& call = calls[choice % calls.size()];
      switch (choice % 5) {
        case 0:
          (void)session.cancel(call, CancelMode::kill);
          break;
        case 1:
          (void)session.cancel(call, CancelMode::skip);
          break;
        case 2:
          (void)session.cancel(call, CancelMode::killnowait);
          break;
        case 3:
          (void)session.continue_call(call, {"more"}, {}, choice % 2 == 0);
          break;
        default:
          link.time += std::chrono::milliseconds(100);
          session.expire(link.time);
      }
    };
    session.keep_for_restore(true);
    auto joined = requests.track<WampResult<SessionInfo>>();
    // Two methods, so that CHALLENGE meets both an answer and a refusal (wampcra without a
    // "challenge" member) as well as methods never offered.
    AuthOptions auth;
    auth.authid = "fuzz";
    auth.methods = {auth::ticket("t"), auth::wampcra("s")};
    session.join("realm1", auth, {}, [&, joined](WampResult<SessionInfo> info) {
      joined(info);
      if (info) make_requests();
    });

    const std::uint8_t* end = data + size;
    for (const std::uint8_t* line = data; line < end;) {
      const std::uint8_t* stop = line;
      while (stop < end && *stop != '\n')
        ++stop;
      Result<Value> message = json_serializer().decode(line, static_cast<std::size_t>(stop - line));
      if (message) session.receive(std::move(message).value());
      link.run_deferred();
      if (stop > line) act(*line);
      link.run_deferred();
      line = stop + 1;
    }
    for (Invocation& invocation : held)
      invocation.error("com.example.error");
    session.end(local_error(client_errc::closed, "the fuzz input ended"));
    link.run_deferred();
  }
  requests.expect_all_completed();
  return 0;
}
