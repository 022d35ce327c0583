#include <cstdio>

#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp call PROCEDURE [ARG...] [--kwargs JSON] --url URL --realm REALM [options]\n"
    "\n"
    "Calls PROCEDURE and prints the result as one line of JSON, "
    "{\"args\":[...],\"kwargs\":{...}}.\n"
    "Each ARG is one JSON value and one positional argument: '[1,2]' is one argument, a list;\n"
    "a string needs JSON quotes, as '\"text\"'. A WAMP error goes to stderr as its URI and\n"
    "{\"args\":[...],\"kwargs\":{...}}, with exit status 3.\n"
    "\n"
    "  --kwargs JSON       keyword arguments, a JSON object\n"
    "  --                  what follows is a positional argument even if it starts with '-'\n";

}  // namespace

int call_verb(const std::vector<std::string>& args) {
  UriAndPayload call;
  ClientOptions options;
  const VerbCommandLine line{
      "call", usage, {kwargs_option("call", call.kwargs)}, uri_then_json_arguments("call", call)};
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!call.uri) {
    usage_error("call", "which PROCEDURE to call?");
    return exit_usage;
  }

  SessionRun session("call");
  return session.run(std::move(options), [&] {
    session.client().call(*call.uri, std::move(call.args), std::move(call.kwargs), {},
                          [&](WampResult<CallResult> result) {
                            if (!result) return session.fail("the call failed", result.error());
                            const bool printed =
                                session.print(payload_json(result->args, result->kwargs));
                            session.finish(printed ? 0 : exit_invalid_input);
                          });
  });
}

}  // namespace uvwamp::cli
