#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp publish TOPIC [ARG...] [--kwargs JSON] [--acknowledge] --url URL --realm REALM\n"
    "                      [options]\n"
    "\n"
    "Publishes one event to TOPIC. Each ARG is one JSON value and one positional argument:\n"
    "'[1,2]' is one argument, a list; a string needs JSON quotes, as '\"text\"'. Prints nothing,\n"
    "or with --acknowledge the publication's id as {\"publication\":ID} once the router took it.\n"
    "\n"
    "  --kwargs JSON       keyword arguments, a JSON object\n"
    "  --acknowledge       ask the router to confirm the publication; a refusal (a WAMP error)\n"
    "                      exits with status 3\n"
    "  --                  what follows is a positional argument even if it starts with '-'\n";

}  // namespace

int publish_verb(const std::vector<std::string>& args) {
  UriAndPayload event;
  PublishOptions publish_options;
  ClientOptions options;
  const VerbCommandLine line{"publish",
                             usage,
                             {kwargs_option("publish", event.kwargs),
                              {{"--acknowledge"},
                               VerbOption::Takes::nothing,
                               [&](std::vector<std::string>) {
                                 publish_options.acknowledge = true;
                                 return true;
                               }}},
                             uri_then_json_arguments("publish", event)};
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!event.uri) {
    usage_error("publish", "which TOPIC to publish to?");
    return exit_usage;
  }

  SessionRun session("publish");
  return session.run(std::move(options), [&] {
    session.client().publish(
        *event.uri, std::move(event.args), std::move(event.kwargs), publish_options,
        [&](WampResult<Publication> published) {
          if (!published) return session.fail("the publication failed", published.error());
          bool printed = true;
          if (publish_options.acknowledge) {
            printed = session.print(Value::Object{{"publication", published->id}});
          }
          session.finish(printed ? 0 : exit_invalid_input);
        });
  });
}

}  // namespace uvwamp::cli
