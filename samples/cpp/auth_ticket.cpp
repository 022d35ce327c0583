// auth_ticket: joins with WAMP-Ticket authentication, prints who the router says the client is,
// and leaves. See docs/auth-ticket.md.
//
//   WAMP_AUTHID=NAME WAMP_TICKET=TICKET auth_ticket [URL [REALM]]
//                                              defaults: ws://127.0.0.1:8080/ws realm1
//
// The ticket comes from the environment, never from the command line, which every user of the
// machine can read.
#include <uvwamp/client.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  const char* authid = std::getenv("WAMP_AUTHID");
  if (authid == nullptr) {
    std::fprintf(stderr, "auth_ticket: set WAMP_AUTHID to the principal's name\n");
    return 2;
  }
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 1 ? argv[1] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 2 ? argv[2] : "realm1";
  options.auth.authid = authid;
  // Asked for only when the router's CHALLENGE comes: a program whose tickets expire fetches a
  // fresh one here, and may reply later, from the loop.
  uvwamp::SecretCallback fetch_ticket = [](uvwamp::SecretReply reply) {
    const char* ticket = std::getenv("WAMP_TICKET");
    if (ticket == nullptr) return reply(std::string("WAMP_TICKET is not set"));
    reply(uvwamp::Secret(ticket));
  };
  options.auth.methods = {uvwamp::auth::ticket(fetch_ticket)};
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "auth_ticket: %s (%s)\n", error.message.c_str(), error.uri.c_str());
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
