// register: a callee. Answers com.example.add2 and com.example.greet until SIGINT or SIGTERM,
// then leaves the realm.
//
//   register [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>

namespace {

// com.example.add2(a, b): the sum of two integers.
void add2(uvwamp::Invocation invocation) {
  if (invocation.args.size() != 2) {
    invocation.error("wamp.error.invalid_argument", {"add2 takes two integers"});
    return;
  }
  uvwamp::Result<std::int64_t> a = invocation.args[0].to_int64();
  uvwamp::Result<std::int64_t> b = invocation.args[1].to_int64();
  if (!a || !b) {
    invocation.error("wamp.error.invalid_argument", {"add2 takes two integers"});
    return;
  }
  const std::int64_t x = a.value();
  const std::int64_t y = b.value();
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
  if ((y > 0 && x > max - y) || (y < 0 && x < min - y)) {
    invocation.error("wamp.error.invalid_argument", {"the sum does not fit in 64 bits"});
    return;
  }
  std::printf("add2(%lld, %lld)\n", static_cast<long long>(x), static_cast<long long>(y));
  invocation.yield({x + y});
}

// com.example.greet(name, greeting="Hello"): a greeting, as "Hello, world!".
void greet(uvwamp::Invocation invocation) {
  const std::string* name = invocation.args.empty() ? nullptr : invocation.args[0].if_string();
  if (name == nullptr) {
    invocation.error("wamp.error.invalid_argument", {"greet takes a name"});
    return;
  }
  std::string greeting = "Hello";
  auto given = invocation.kwargs.find("greeting");
  if (given != invocation.kwargs.end() && given->second.is_string()) {
    greeting = *given->second.if_string();
  }
  std::printf("greet(%s)\n", name->c_str());
  invocation.yield({greeting + ", " + *name + "!"});
}

// The signal watchers' data is the std::function to run: libuv calls this on the loop's thread,
// not inside a signal handler, so it may use the client.
void on_stop_signal(uv_signal_t* watcher, int) {
  (*static_cast<std::function<void()>*>(watcher->data))();
}

}  // namespace

int main(int argc, char** argv) {
  // Each line at once, also when stdout is a file (the demo reads it while this runs).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  int status = 0;
  {
    uvwamp::Client client(loop, options);

    // Stopping closes the client, which says GOODBYE, and the signal watchers: then nothing is
    // left on the loop and uv_run returns.
    uv_signal_t stop_signals[2];
    bool stopping = false;
    auto stop = [&](int exit_status) {
      if (stopping) return;
      stopping = true;
      status = exit_status;
      for (uv_signal_t& watcher : stop_signals) {
        uv_close(reinterpret_cast<uv_handle_t*>(&watcher), nullptr);
      }
      client.close([] {});
    };
    std::function<void()> stop_cleanly = [&] { stop(0); };
    const int signums[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; ++i) {
      uv_signal_init(loop, &stop_signals[i]);
      stop_signals[i].data = &stop_cleanly;
      uv_signal_start(&stop_signals[i], on_stop_signal, signums[i]);
    }

    auto fail = [&](const char* what, const uvwamp::WampError& error) {
      std::fprintf(stderr, "register: %s: %s\n", what, error.message.c_str());
      stop(1);
    };
    client.set_session_ended_handler(
        [&](const uvwamp::WampError& why) { fail("the session ended", why); });

    client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
      if (!joined) return fail("cannot join", joined.error());
      auto on_registered = [&](uvwamp::WampResult<uvwamp::Registration> registered) {
        if (!registered) return fail("cannot register", registered.error());
        std::printf("registered %s\n", registered->procedure.c_str());
      };
      client.register_procedure("com.example.add2", add2, on_registered);
      client.register_procedure("com.example.greet", greet, on_registered);
    });

    uv_run(loop, UV_RUN_DEFAULT);
  }
  // The client's destructor leaves its handles closing: one more turn finishes them.
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? status : 1;
}
