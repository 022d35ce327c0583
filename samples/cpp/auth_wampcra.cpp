// auth_wampcra: joins with WAMP-CRA authentication, prints who the router says the client is, and
// leaves. See docs/auth-wampcra.md.
//
//   WAMP_AUTHID=NAME WAMP_SECRET=SECRET auth_wampcra [URL [REALM]]
//                                              defaults: ws://127.0.0.1:8080/ws realm1
//
// The secret comes from the environment, never from the command line, which every user of the
// machine can read. When the router's principal is salted, its CHALLENGE says so and the key is
// derived from the secret on libuv's thread pool; the program does not change.
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* authid = std::getenv("WAMP_AUTHID");
  const char* secret = std::getenv("WAMP_SECRET");
  if (authid == nullptr || secret == nullptr) {
    std::fprintf(stderr, "auth_wampcra: set WAMP_AUTHID and WAMP_SECRET\n");
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  options.auth.authid = authid;
  options.auth.methods = {uvwamp::auth::wampcra(uvwamp::Secret(secret))};
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "auth_wampcra: %s (%s)\n", error.message.c_str(), error.uri.c_str());
    client.close([] {});
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    std::printf("authid %s\nauthrole %s\nauthmethod %s\n", joined->authid.c_str(),
                joined->authrole.c_str(), joined->authmethod.c_str());
    client.leave([&](uvwamp::WampResult<std::string> left) {
      if (!left) return fail(left.error());
      status = 0;
      client.close([] {});
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
