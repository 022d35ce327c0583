// subscribe: a subscriber. Prints N events of com.example.tick, unsubscribes and leaves.
//
//   subscribe [URL [REALM [N]]]      defaults: ws://127.0.0.1:8080/ws realm1 5
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  // Each line at once, also when stdout is a file (the demo reads it while this runs).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  const int wanted = argc > 3 ? std::atoi(argv[3]) : 5;
  if (wanted < 1) {
    std::fprintf(stderr, "subscribe: N must be a number of at least 1\n");
    return 2;
  }
  int status = 1;
  {
    uvwamp::Client client(loop, options);
    uvwamp::Subscription subscription;
    int received = 0;

    auto fail = [&](const char* what, const uvwamp::WampError& error) {
      std::fprintf(stderr, "subscribe: %s: %s\n", what, error.message.c_str());
      client.close([] {});
    };
    client.set_session_ended_handler(
        [&](const uvwamp::WampError& why) { fail("the session ended", why); });

    auto on_event = [&](const uvwamp::Event& event) {
      std::printf("event %d on %s: %s %s\n", ++received, event.topic.c_str(),
                  uvwamp::Value(event.args).debug_string().c_str(),
                  uvwamp::Value(event.kwargs).debug_string().c_str());
      if (received < wanted) return;
      // Unsubscribing first is not needed before leaving; it shows how a program that stays
      // in the realm stops one subscription.
      client.unsubscribe(subscription, [&](uvwamp::WampStatus unsubscribed) {
        if (!unsubscribed) return fail("cannot unsubscribe", unsubscribed.error());
        status = 0;
        client.leave([&](uvwamp::WampResult<std::string>) { client.close([] {}); });
      });
    };

    client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
      if (!joined) return fail("cannot join", joined.error());
      client.subscribe("com.example.tick", on_event,
                       [&](uvwamp::WampResult<uvwamp::Subscription> subscribed) {
                         if (!subscribed) return fail("cannot subscribe", subscribed.error());
                         subscription = subscribed.value();
                         std::printf("subscribed to %s\n", subscription.topic.c_str());
                       });
    });

    uv_run(loop, UV_RUN_DEFAULT);
  }
  // The client's destructor leaves its handles closing: one more turn finishes them.
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? status : 1;
}
