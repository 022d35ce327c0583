// The command line of the verbs that talk to a router (call, publish, subscribe, register): the
// session options they share, each verb's own options and positional arguments, and JSON text
// in and out.
#pragma once

#include <uvwamp/client.hpp>
#include <uvwamp/rpc.hpp>
#include <uvwamp/value.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp::cli {

// The help text for the shared options and the exit statuses, for the end of each verb's usage.
extern const char session_options_help[];

// One option of a verb, beside the shared ones.
struct VerbOption {
  enum class Takes {
    nothing,      // a flag
    value,        // the next argument
    rest_of_line  // every argument after it, which must not be empty (register --exec CMD ...)
  };
  std::vector<const char*> names;
  Takes takes = Takes::nothing;
  // Applies the option; false when its value is refused, after printing why.
  std::function<bool(std::vector<std::string> values)> apply;
};

struct VerbCommandLine {
  const char* verb;   // "call", for messages
  const char* usage;  // printed for --help, then session_options_help
  std::vector<VerbOption> options;
  // Takes each positional argument in order; false when refused, after printing why.
  std::function<bool(const std::string& arg)> positional;
};

// What call and publish take: a URI, then arguments, each one JSON value, and --kwargs.
struct UriAndPayload {
  std::optional<std::string> uri;
  Value::Array args;
  Value::Object kwargs;
};
// Takes the URI, then each argument, into `into`.
std::function<bool(const std::string& arg)> uri_then_json_arguments(const char* verb,
                                                                    UriAndPayload& into);
// --kwargs JSON, an object.
VerbOption kwargs_option(const char* verb, Value::Object& into);
// An option whose value is a whole number from 1 to `max` (`names`: "--count", "-n").
VerbOption whole_number_option(const char* verb, std::vector<const char*> names, std::uint64_t max,
                               std::uint64_t& into);
// --count N, a positive whole number.
VerbOption count_option(const char* verb, std::uint64_t& into);
// What subscribe and register do: reconnect after the router went away, restoring the
// subscription or registration, unless --no-reconnect. A macro, so that each verb's usage, a
// string literal, takes it in.
#define UVWAMP_CLI_RECONNECT_HELP                                                               \
  "  --no-reconnect      end when the connection to the router is lost, instead of\n"           \
  "                      connecting again (every URL in turn, waiting 0.5 s, then longer, up\n" \
  "                      to 30 s) and carrying on; each step is told on stderr\n"
void reconnect_by_default(ClientOptions& client);
VerbOption no_reconnect_option(ClientOptions& client);
// An option whose value is a number of milliseconds, from 1 to max_milliseconds.
constexpr std::int64_t max_milliseconds = 2147483647;
VerbOption milliseconds_option(const char* verb, const char* name,
                               std::optional<std::chrono::milliseconds>& into);
// Prints "unknown OPTION 'VALUE': use A, B or C" (the `names`) as a usage error.
void unknown_choice(const char* verb, const std::string& option, const std::string& value,
                    const std::vector<std::string_view>& names);
// The enumerator `value` names, read with `parse` (one of rpc.hpp's parse_*), for an option that
// takes one of `choices`; nullopt after an unknown_choice message naming them with wamp_name.
template <typename Choice>
std::optional<Choice> choose(const char* verb, const std::string& option, const std::string& value,
                             std::optional<Choice> (*parse)(std::string_view) noexcept,
                             std::initializer_list<Choice> choices) {
  if (auto chosen = parse(value)) return chosen;
  std::vector<std::string_view> names;
  for (Choice choice : choices)
    names.push_back(wamp_name(choice));
  unknown_choice(verb, option, value, names);
  return std::nullopt;
}

// Reads the shared options (--url, --realm, --serializer, --ca-file, --insecure, --help, and
// the authentication options of auth_options.hpp) into `client` and hands the rest to the verb. An
// argument that starts with '-' is an option unless it is a negative number (a JSON argument) or
// follows "--". Gives an exit status when the verb should stop at once: 0 after --help, exit_usage
// after a bad command line (the reason printed).
std::optional<int> parse_verb_command_line(const VerbCommandLine& line,
                                           const std::vector<std::string>& args,
                                           ClientOptions& client);

// Prints "uvwamp VERB: MESSAGE (see uvwamp VERB --help)" and returns false.
bool usage_error(const char* verb, const std::string& message);

// A JSON value from the command line (binary in WAMP's "\u0000"+base64 form). `what` names it in
// the error ("argument 2", "--kwargs"); nullopt after printing the error.
std::optional<Value> parse_json_argument(const char* verb, const std::string& what,
                                         const std::string& text);
// Likewise, for an option whose value must be a JSON object ("--kwargs", "--authextra").
std::optional<Value::Object> parse_json_object_argument(const char* verb, const std::string& what,
                                                        const std::string& text);

// One line of JSON for a value, binary in WAMP's form; an error when the value has no JSON form
// (an integer above INT64_MAX, a NaN).
Result<std::string> to_json_line(const Value& value);

// The JSON the verbs print for a payload: {"args":[...],"kwargs":{...}}, plus "details" when
// given.
Value payload_json(const Value::Array& args, const Value::Object& kwargs);
Value payload_json(const Value::Array& args, const Value::Object& kwargs,
                   const Value::Object& details);

}  // namespace uvwamp::cli
