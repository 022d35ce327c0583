// rpc_registrations: what a callee can ask of the router when it registers. A prefix
// registration answers a whole family of procedures and learns which one was called; the
// router tells it who calls (disclose_caller); and two callees, each a session of its own,
// share one procedure, taking turns (roundrobin).
//
//   rpc_registrations [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <functional>
#include <string>

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  uvwamp::Client client(loop, options);
  uvwamp::Client second_callee(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "rpc_registrations: %s (%s)\n", error.message.c_str(), error.uri.c_str());
    client.close([] {});
    second_callee.close([] {});
  };

  // Answers with the procedure called and the caller's session, when the router named it.
  auto files = [](uvwamp::Invocation invocation) {
    const auto caller = invocation.caller();
    invocation.yield({invocation.procedure(), caller ? uvwamp::Value(*caller) : uvwamp::Value()});
  };
  auto worker = [](std::string name) {
    return [name](uvwamp::Invocation invocation) { invocation.yield({name}); };
  };

  uvwamp::RegisterOptions family;
  family.match = uvwamp::MatchPolicy::prefix;
  family.disclose_caller = true;
  uvwamp::RegisterOptions shared;
  shared.invoke = uvwamp::InvokePolicy::roundrobin;

  // Four calls of the shared procedure, one after the other, then the end.
  std::function<void(int)> call_shared = [&](int left) {
    if (left == 0) {
      status = 0;
      second_callee.leave([&](auto) { second_callee.close([] {}); });
      return client.leave([&](auto) { client.close([] {}); });
    }
    client.call("com.example.work", {}, [&, left](auto result) {
      if (!result) return fail(result.error());
      std::printf("com.example.work answered by %s\n", result->args.at(0).debug_string().c_str());
      call_shared(left - 1);
    });
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    client.register_procedure("com.example.files.", family, files, [&](auto registered) {
      if (!registered) return fail(registered.error());
      client.call("com.example.files.read", {}, [&](auto result) {
        if (!result) return fail(result.error());
        std::printf("called %s by session %s\n", result->args.at(0).debug_string().c_str(),
                    result->args.at(1).debug_string().c_str());
        client.register_procedure("com.example.work", shared, worker("worker 1"), [&](auto one) {
          if (!one) return fail(one.error());
          second_callee.join([&](auto second_joined) {
            if (!second_joined) return fail(second_joined.error());
            second_callee.register_procedure("com.example.work", shared, worker("worker 2"),
                                             [&](auto two) {
                                               if (!two) return fail(two.error());
                                               call_shared(4);
                                             });
          });
        });
      });
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
