// worker: a daemon's long-running procedure on a worker pool. com.example.convert works in steps
// on one of the pool's threads, so the loop goes on answering com.example.ping meanwhile, and it
// stops the moment its call is canceled. The program calls both itself: a short conversion
// that finishes, a long one that reports each step done, a ping while the long one works, and
// then the long one's cancel.
//
//   worker [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>
#include <uvwamp/worker_pool.hpp>

#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();
  auto pool = std::make_shared<uvwamp::WorkerPool>(2);
  std::atomic<int> stopped_early{0};

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  auto client = std::make_unique<uvwamp::Client>(loop, options);
  int outcomes = 0;
  bool failed = false;

  auto finish = [&](bool ok, const std::string& what) {
    std::printf("caller: %s\n", what.c_str());
    failed = failed || !ok;
    if (++outcomes == 3) client->leave([&](auto) { client->close([] {}); });
  };

  // Runs on a worker thread: `steps` steps of 50 ms each, ending early when interrupted, with
  // a progressive result after each step for a caller that wants them.
  auto convert = [&](uvwamp::WorkerInvocation invocation) {
    const std::int64_t steps = invocation.args.at(0).to_int64().value();
    for (std::int64_t step = 0; step < steps; ++step) {
      if (invocation.wait_for_interrupt(std::chrono::milliseconds(50))) {
        const uvwamp::Interrupt why = *invocation.interruption();
        std::printf("worker: stopped after %lld of %lld steps (%s%s%s)\n",
                    static_cast<long long>(step), static_cast<long long>(steps),
                    std::string(uvwamp::wamp_name(why.mode)).c_str(),
                    why.reason.empty() ? "" : ", ", why.reason.c_str());
        ++stopped_early;
        return;
      }
      if (invocation.receive_progress()) (void)invocation.progress({step + 1});
    }
    invocation.yield({"converted in " + std::to_string(steps) + " steps"});
  };

  auto call_them = [&] {
    client->call("com.example.convert", {3}, [&](auto result) {
      finish(result.ok(), result ? *result->args.at(0).if_string() : result.error().message);
    });
    // Once the long one's worker reported three steps done, a ping, and then the cancel.
    auto long_one = std::make_shared<uvwamp::CallRequest>();
    uvwamp::CallOptions watched;
    watched.on_progress = [&, long_one](const uvwamp::CallResult& progress) {
      if (progress.args.at(0) != uvwamp::Value(3)) return;
      client->call("com.example.ping", {}, [&, long_one](auto pong) {
        finish(pong.ok(),
               pong ? "ping answered while the long conversion works" : pong.error().message);
        (void)client->cancel(*long_one, uvwamp::CancelMode::kill);
      });
    };
    *long_one = client->call("com.example.convert", {1000}, {}, watched, [&](auto result) {
      finish(!result && result.error().code == uvwamp::client_errc::canceled,
             result ? "the long conversion finished" : "long conversion: " + result.error().uri);
    });
  };

  client->join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) {
      std::fprintf(stderr, "worker: %s\n", joined.error().message.c_str());
      failed = true;
      return client->close([] {});
    }
    client->register_procedure(
        "com.example.ping", [](uvwamp::Invocation invocation) { invocation.yield({"pong"}); },
        nullptr);
    client->register_procedure("com.example.convert", {}, pool, convert, [&](auto registered) {
      if (!registered) {
        std::fprintf(stderr, "worker: %s\n", registered.error().message.c_str());
        failed = true;
        return client->close([] {});
      }
      call_them();
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  client.reset();
  pool.reset();  // waits for the workers, all stopped by now
  return !failed && outcomes == 3 && stopped_early == 1 ? 0 : 1;
}
