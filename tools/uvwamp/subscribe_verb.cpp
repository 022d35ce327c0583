#include <cstdint>
#include <cstdio>

#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp subscribe TOPIC [--count N] --url URL --realm REALM [options]\n"
    "\n"
    "Subscribes to TOPIC and prints each event as one line of JSON as it comes:\n"
    "{\"args\":[...],\"details\":{...},\"kwargs\":{...}}, the details as the router sent them.\n"
    "Once the subscription stands it says so on stderr: \"uvwamp subscribe: subscribed to "
    "TOPIC\".\n"
    "Runs until N events came, or until SIGINT or SIGTERM, and then leaves (exit status 0). An\n"
    "event with no JSON form is reported on stderr instead, and counts.\n"
    "\n"
    "  -n, --count N       stop after N events\n" UVWAMP_CLI_RECONNECT_HELP;

}  // namespace

int subscribe_verb(const std::vector<std::string>& args) {
  std::optional<std::string> topic;
  std::uint64_t count = 0;
  ClientOptions options;
  const VerbCommandLine line{"subscribe",
                             usage,
                             {count_option("subscribe", count), no_reconnect_option(options)},
                             [&](const std::string& arg) {
                               if (topic) {
                                 return usage_error("subscribe",
                                                    "one TOPIC only, got '" + arg + "' as well");
                               }
                               topic = arg;
                               return true;
                             }};
  reconnect_by_default(options);
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!topic) {
    usage_error("subscribe", "which TOPIC to subscribe to?");
    return exit_usage;
  }

  SessionRun session("subscribe");
  session.end_on_signal_with(0);
  std::uint64_t received = 0;
  return session.run(std::move(options), [&] {
    session.client().subscribe(
        *topic,
        [&](const Event& event) {
          if (session.finishing()) return;
          session.print(payload_json(event.args, event.kwargs, event.details));
          if (++received == count) session.finish(0);
        },
        [&](WampResult<Subscription> subscribed) {
          if (!subscribed) return session.fail("cannot subscribe to " + *topic, subscribed.error());
          std::fprintf(stderr, "uvwamp subscribe: subscribed to %s\n", topic->c_str());
        });
  });
}

}  // namespace uvwamp::cli
