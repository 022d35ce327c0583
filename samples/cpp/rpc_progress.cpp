// rpc_progress: progressive call results. A procedure sends each row of its answer as it has
// it, and the caller prints the rows as they come, before the final result.
//
//   rpc_progress [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
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
    std::fprintf(stderr, "rpc_progress: %s (%s)\n", error.message.c_str(), error.uri.c_str());
    client.close([] {});
  };

  // The callee: a progressive result per year while the caller takes them, then the total.
  auto revenue = [](uvwamp::Invocation invocation) {
    const std::int64_t years[] = {2024, 2025, 2026};
    std::int64_t total = 0;
    for (std::int64_t year : years) {
      total += year - 2000;
      if (!invocation.receive_progress()) continue;
      if (!invocation.progress({year, year - 2000})) return;  // the call is over
    }
    invocation.yield({"total", total});
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    client.register_procedure("com.example.revenue", revenue, [&](auto registered) {
      if (!registered) return fail(registered.error());

      uvwamp::CallOptions call_options;
      call_options.on_progress = [](const uvwamp::CallResult& row) {
        std::printf("progress: %s\n", uvwamp::Value(row.args).debug_string().c_str());
      };
      client.call("com.example.revenue", {}, {}, call_options, [&](auto result) {
        if (!result) return fail(result.error());
        std::printf("result: %s\n", uvwamp::Value(result->args).debug_string().c_str());
        status = 0;
        client.leave([&](auto) { client.close([] {}); });
      });
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
