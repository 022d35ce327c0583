// rpc_progressive_input: progressive call invocations. The caller sends its input in chunks on
// one call, and the callee takes each chunk as it comes, answering once the last one is in.
// The router must announce progressive_call_invocations: nexus does, Crossbar does not, and
// there the call fails at once with wamp.error.feature_not_supported, which the sample says.
//
//   rpc_progressive_input [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <memory>

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "rpc_progressive_input: %s (%s)\n", error.message.c_str(),
                 error.uri.c_str());
    client.close([] {});
  };
  auto done = [&] {
    status = 0;
    client.leave([&](auto) { client.close([] {}); });
  };

  // The callee counts the bytes of every chunk and answers with the sum after the last one.
  auto count_bytes = [](uvwamp::Invocation first) {
    auto invocation = std::make_shared<uvwamp::Invocation>(std::move(first));
    auto total = std::make_shared<std::size_t>(invocation->args.at(0).if_string()->size());
    if (!invocation->more_input()) return (void)invocation->yield({*total});
    // The handler holds the invocation until the last chunk answers it; uvwamp lets go of the
    // handler then.
    invocation->on_input([invocation, total](uvwamp::InvocationInput chunk) {
      *total += chunk.args.at(0).if_string()->size();
      std::printf("callee: chunk %s\n", chunk.args.at(0).debug_string().c_str());
      if (!chunk.more) invocation->yield({*total});
    });
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    client.register_procedure("com.example.upload", count_bytes, [&](auto registered) {
      if (!registered) return fail(registered.error());

      uvwamp::CallOptions chunked;
      chunked.progress = true;
      uvwamp::CallRequest upload =
          client.call("com.example.upload", {"first "}, {}, chunked, [&](auto result) {
            if (!result && result.error().code == uvwamp::client_errc::not_supported) {
              std::printf("this router does not take input in chunks: %s\n",
                          result.error().message.c_str());
              return done();
            }
            if (!result) return fail(result.error());
            std::printf("bytes uploaded: %s\n", result->args.at(0).debug_string().c_str());
            done();
          });
      if (upload.request_id == 0) return;  // refused: the handler says why
      for (const char* chunk : {"second ", "third"}) {
        const bool last = chunk[0] == 't';
        uvwamp::WampStatus sent = client.continue_call(upload, {chunk}, {}, !last);
        if (!sent) return fail(sent.error());
      }
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
