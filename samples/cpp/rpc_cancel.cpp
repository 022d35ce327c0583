// rpc_cancel: call timeouts and cancel, and the callee that hears of them. The procedure works
// until it is interrupted; one call gives up after its timeout, another is canceled as soon as
// the callee has it, and each time the callee's interrupt handler runs.
//
//   rpc_cancel [URL [REALM]]      defaults: ws://127.0.0.1:8080/ws realm1
#include <uvwamp/client.hpp>

#include <uv.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <vector>

int main(int argc, char** argv) {
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  uvwamp::Client client(loop, options);
  int status = 1;
  int interrupted = 0;
  std::optional<uvwamp::CallRequest> to_cancel;

  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "rpc_cancel: %s\n", why.c_str());
    client.close([] {});
  };

  // The callee keeps each invocation until it is interrupted. A real one would stop its work
  // there; uvwamp then answers the caller wamp.error.canceled (or wamp.error.timeout).
  std::vector<uvwamp::Invocation> working;
  auto work = [&](uvwamp::Invocation invocation) {
    invocation.on_interrupt([&](const uvwamp::Interrupt& what) {
      ++interrupted;
      std::printf("callee: interrupted (%s)\n",
                  what.mode == uvwamp::CancelMode::kill ? "kill" : "killnowait");
    });
    working.push_back(std::move(invocation));
    // The caller's side: the call to cancel has reached the callee.
    if (to_cancel) {
      uvwamp::WampStatus canceled = client.cancel(*to_cancel, uvwamp::CancelMode::kill);
      if (!canceled) fail(canceled.error().message);
      to_cancel.reset();
    }
  };

  auto cancel_one = [&] {
    to_cancel = client.call("com.example.work", {}, [&](auto result) {
      if (result || result.error().code != uvwamp::client_errc::canceled) {
        return fail("the call should have been canceled");
      }
      std::printf("caller: canceled (%s)\n", result.error().uri.c_str());
      status = interrupted == 2 ? 0 : 1;
      client.leave([&](auto) { client.close([] {}); });
    });
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error().message);
    client.register_procedure("com.example.work", work, [&](auto registered) {
      if (!registered) return fail(registered.error().message);

      // A call that gives up after 200 ms.
      uvwamp::CallOptions patient;
      patient.timeout = std::chrono::milliseconds(200);
      client.call("com.example.work", {}, {}, patient, [&](auto result) {
        if (result || result.error().code != uvwamp::client_errc::timed_out) {
          return fail("the call should have timed out");
        }
        std::printf("caller: %s (%s)\n", result.error().message.c_str(),
                    result.error().uri.c_str());
        cancel_one();
      });
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
