// daemon: a long-running service that outlives its router. It registers com.example.daemon.status,
// which answers how many events it has seen and how often it came back, and subscribes to
// com.example.tick, printing each event. When the router goes away (restarted, killed, frozen
// and found dead by keepalive) it reconnects, joins again and registers and subscribes again on
// its own, saying so on stdout. SIGINT or SIGTERM make it leave and exit 0.
//
//   daemon [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  options.reconnect.enabled = true;
  options.reconnect.retry_first_join = true;  // also when it starts before the router
  options.reconnect.initial_delay = std::chrono::milliseconds(200);
  options.reconnect.max_delay = std::chrono::seconds(5);
  // A router that stops answering is found within 3 s.
  options.keepalive_interval = std::chrono::seconds(2);
  options.keepalive_timeout = std::chrono::seconds(1);

  long events = 0;
  long comebacks = 0;
  options.reconnect.on_disconnected = [](const uvwamp::WampError& why) {
    std::printf("lost the router: %s\n", why.message.c_str());
  };
  options.reconnect.on_reconnecting = [](unsigned attempt, std::chrono::milliseconds delay) {
    std::printf("reconnecting in %lld ms (attempt %u)\n", static_cast<long long>(delay.count()),
                attempt);
  };
  options.reconnect.on_rejoined = [&](const uvwamp::SessionInfo& session,
                                      const uvwamp::RestoreReport& restored) {
    ++comebacks;
    std::printf("back as session %llu: %zu registration(s), %zu subscription(s) restored\n",
                static_cast<unsigned long long>(session.session_id), restored.registrations.size(),
                restored.subscriptions.size());
  };
  options.reconnect.on_restore_failed = [](const uvwamp::RestoreFailure& failure) {
    std::printf("could not restore: %s\n", failure.error.message.c_str());
  };

  int status = 1;
  {
    uvwamp::Client client(loop, options);
    auto stop = [&] {
      client.leave([&](uvwamp::WampResult<std::string>) { client.close([] {}); });
    };
    client.set_session_ended_handler([&](const uvwamp::WampError& why) {
      std::fprintf(stderr, "daemon: the session ended for good: %s\n", why.message.c_str());
      status = 1;
      client.close([] {});
    });

    // The signal watchers do not keep the loop running: the client does, until it is closed.
    uv_signal_t signals[2];
    const int signal_numbers[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; ++i) {
      uv_signal_init(loop, &signals[i]);
      signals[i].data = &stop;
      uv_signal_start(
          &signals[i],
          [](uv_signal_t* watcher, int) { (*static_cast<decltype(stop)*>(watcher->data))(); },
          signal_numbers[i]);
      uv_unref(reinterpret_cast<uv_handle_t*>(&signals[i]));
    }

    client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
      if (!joined) {
        std::fprintf(stderr, "daemon: cannot join: %s\n", joined.error().message.c_str());
        return client.close([] {});
      }
      status = 0;
      client.register_procedure(
          "com.example.daemon.status",
          [&](uvwamp::Invocation invocation) {
            invocation.yield({}, {{"events", events}, {"comebacks", comebacks}});
          },
          [](uvwamp::WampResult<uvwamp::Registration> registered) {
            if (registered) std::printf("registered %s\n", registered->procedure.c_str());
          });
      client.subscribe(
          "com.example.tick",
          [&](const uvwamp::Event& event) {
            ++events;
            std::printf("tick %s\n", uvwamp::Value(event.args).debug_string().c_str());
          },
          [](uvwamp::WampResult<uvwamp::Subscription> subscribed) {
            if (subscribed) std::printf("subscribed to %s\n", subscribed->topic.c_str());
          });
    });

    uv_run(loop, UV_RUN_DEFAULT);
    for (uv_signal_t& watcher : signals) {
      uv_close(reinterpret_cast<uv_handle_t*>(&watcher), nullptr);
    }
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? status : 1;
}
