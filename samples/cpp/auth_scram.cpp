// auth_scram: joins with SCRAM-SHA-256 authentication, prints who the router says the client is,
// and leaves. See docs/auth-scram.md.
//
//   WAMP_AUTHID=NAME WAMP_PASSWORD=PASSWORD auth_scram [URL [REALM]]
//                                              defaults: ws://127.0.0.1:8080/ws realm1
//
// The password comes from the environment, never from the command line, which every user of the
// machine can read. The router chooses the key derivation (Argon2id or PBKDF2) and its cost; it
// runs on libuv's thread pool, and join() succeeds only once the router has proven in WELCOME
// that it knows the password too.
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* authid = std::getenv("WAMP_AUTHID");
  const char* password = std::getenv("WAMP_PASSWORD");
  if (authid == nullptr || password == nullptr) {
    std::fprintf(stderr, "auth_scram: set WAMP_AUTHID and WAMP_PASSWORD\n");
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  options.auth.authid = authid;
  options.auth.methods = {uvwamp::auth::scram(uvwamp::Secret(password))};
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "auth_scram: %s (%s)\n", error.message.c_str(), error.uri.c_str());
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
