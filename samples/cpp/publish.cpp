// publish: a publisher. Publishes N ticks to com.example.tick, 200 ms apart, each acknowledged
// by the router, and leaves.
//
//   publish [URL [REALM [N]]]      defaults: ws://127.0.0.1:8080/ws realm1 5
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>

namespace {

struct Publisher {
  uvwamp::Client* client;
  uv_timer_t timer;
  int wanted;
  int published = 0;
  int status = 1;

  void finish(int exit_status) {
    status = exit_status;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    client->close([] {});
  }

  void publish_next() {
    const int tick = published + 1;
    uvwamp::PublishOptions options;
    options.acknowledge = true;
    client->publish("com.example.tick", {tick}, {{"of", wanted}}, options,
                    [this, tick](uvwamp::WampResult<uvwamp::Publication> done) {
                      if (!done) {
                        std::fprintf(stderr, "publish: tick %d: %s\n", tick,
                                     done.error().message.c_str());
                        return finish(1);
                      }
                      std::printf("published tick %d as publication %llu\n", tick,
                                  static_cast<unsigned long long>(done->id));
                      if (++published == wanted) return finish(0);
                      uv_timer_start(&timer, on_timer, 200, 0);
                    });
  }

  static void on_timer(uv_timer_t* timer) { static_cast<Publisher*>(timer->data)->publish_next(); }
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  const int wanted = argc > 3 ? std::atoi(argv[3]) : 5;
  if (wanted < 1) {
    std::fprintf(stderr, "publish: N must be a number of at least 1\n");
    return 2;
  }
  int status = 1;
  {
    uvwamp::Client client(loop, options);
    Publisher publisher{&client, {}, wanted};
    uv_timer_init(loop, &publisher.timer);
    publisher.timer.data = &publisher;

    client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
      if (!joined) {
        std::fprintf(stderr, "publish: cannot join: %s\n", joined.error().message.c_str());
        return publisher.finish(1);
      }
      publisher.publish_next();
    });

    uv_run(loop, UV_RUN_DEFAULT);
    status = publisher.status;
  }
  // The client's destructor leaves its handles closing: one more turn finishes them.
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? status : 1;
}
