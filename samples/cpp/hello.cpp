// hello: one program that registers a procedure, calls it and prints the answer.
//
//   hello [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "hello: %s (%s)\n", error.message.c_str(), error.uri.c_str());
    client.close([] {});
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    std::printf("joined session %llu\n", static_cast<unsigned long long>(joined->session_id));

    auto add2 = [](uvwamp::Invocation invocation) {
      auto a = invocation.args.at(0).to_int64();
      auto b = invocation.args.at(1).to_int64();
      if (!a || !b) {
        invocation.error("wamp.error.invalid_argument", {"add2 takes two integers"});
        return;
      }
      invocation.yield({*a + *b});
    };
    client.register_procedure("com.example.add2", add2, [&](auto registered) {
      if (!registered) return fail(registered.error());

      client.call("com.example.add2", {2, 3}, [&](uvwamp::WampResult<uvwamp::CallResult> r) {
        if (!r) return fail(r.error());
        std::printf("com.example.add2(2, 3) = %s\n", r->args.at(0).debug_string().c_str());
        status = 0;
        client.leave([&](auto) { client.close([] {}); });
      });
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
