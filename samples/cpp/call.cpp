// call: a caller. Calls what the register sample offers, one call after the other, prints each
// result or WAMP error, and leaves.
//
//   call [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstddef>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace {

struct Call {
  std::string procedure;
  uvwamp::Value::Array args;
  uvwamp::Value::Object kwargs;
};

std::string show(const Call& call) {
  std::string text = call.procedure + " " + uvwamp::Value(call.args).debug_string();
  if (!call.kwargs.empty()) text += " " + uvwamp::Value(call.kwargs).debug_string();
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  const std::vector<Call> calls = {
      {"com.example.add2", {2, 3}, {}},
      {"com.example.greet", {"world"}, {}},
      {"com.example.greet", {"WAMP"}, {{"greeting", "Hi"}}},
      // The callee refuses this one: a WAMP error is an answer too.
      {"com.example.add2", {"two", 3}, {}},
  };
  int status = 1;
  {
    uvwamp::Client client(loop, options);

    // Each call starts when the one before it has its answer, so they print in order.
    std::function<void(std::size_t)> call_from = [&](std::size_t index) {
      if (index == calls.size()) {
        status = 0;
        client.close([] {});
        return;
      }
      const Call& call = calls[index];
      client.call(call.procedure, call.args, call.kwargs, {},
                  [&, index](uvwamp::WampResult<uvwamp::CallResult> result) {
                    const std::string asked = show(calls[index]);
                    if (result) {
                      std::printf("%s -> %s\n", asked.c_str(),
                                  uvwamp::Value(result->args).debug_string().c_str());
                    } else if (result.error().code == uvwamp::client_errc::wamp_error) {
                      std::printf("%s -> error %s %s\n", asked.c_str(), result.error().uri.c_str(),
                                  uvwamp::Value(result.error().args).debug_string().c_str());
                    } else {
                      // No answer at all: the session or the connection is gone.
                      std::fprintf(stderr, "call: %s failed: %s\n", asked.c_str(),
                                   result.error().message.c_str());
                      client.close([] {});
                      return;
                    }
                    call_from(index + 1);
                  });
    };

    client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
      if (!joined) {
        std::fprintf(stderr, "call: cannot join: %s\n", joined.error().message.c_str());
        client.close([] {});
        return;
      }
      call_from(0);
    });

    uv_run(loop, UV_RUN_DEFAULT);
  }
  // The client's destructor leaves its handles closing: one more turn finishes them.
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? status : 1;
}
