#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>

#include "command_runner.hpp"
#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp register PROCEDURE (--result JSON | --exec CMD [ARG...]) [--count N]\n"
    "                       --url URL --realm REALM [options]\n"
    "\n"
    "Registers PROCEDURE and answers each call of it. Once the registration stands it says so on\n"
    "stderr: \"uvwamp register: registered PROCEDURE\". Runs until N calls were answered, or\n"
    "until SIGINT or SIGTERM, and then leaves (exit status 0).\n"
    "\n"
    "  --result JSON       answer every call with this JSON value as the one result argument\n"
    "  --exec CMD [ARG...] answer each call by running CMD (looked up on PATH) with ARGs. It gets\n"
    "                      the call as one line of JSON on stdin:\n"
    "                      "
    "{\"args\":[...],\"details\":{...},\"kwargs\":{...},\"procedure\":\"...\"}\n"
    "                      and what it prints, one JSON value, is the one result argument\n"
    "                      (printing nothing answers with no arguments). When it cannot start,\n"
    "                      exits with a status other than 0, is killed by a signal, or prints\n"
    "                      no JSON, the caller gets the error uvwamp.error.command_failed with a\n"
    "                      message (its stderr, if any) as the argument and kwargs\n"
    "                      {\"exit_status\":N} or {\"signal\":N}. Calls run side by side.\n"
    "                      Everything after --exec is the command: give the other options first.\n"
    "  -n, --count N       stop after answering N calls\n";

constexpr char command_failed[] = "uvwamp.error.command_failed";
// What a callee answers when it cannot take the call now: later calls, after --count, get it.
constexpr char unavailable[] = "wamp.error.unavailable";

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.pop_back();
  return text;
}

bool only_white_space(const std::string& text) {
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Answers one invocation with what its command did, and says on stderr when it failed.
void answer_with_outcome(Invocation& invocation, const std::string& command,
                         const CommandOutcome& outcome, std::size_t max_output_bytes) {
  auto refuse = [&](std::string message, Value::Object kwargs) {
    std::fprintf(stderr, "uvwamp register: %s\n", message.c_str());
    invocation.error(command_failed, {std::move(message)}, std::move(kwargs));
  };
  const std::string err = trimmed(outcome.err);
  if (outcome.spawn_error != 0) {
    return refuse("cannot run " + command + ": " + uv_strerror(outcome.spawn_error), {});
  }
  if (outcome.out_too_large) {
    return refuse(command + " printed more than " + std::to_string(max_output_bytes) + " bytes",
                  {});
  }
  if (outcome.term_signal != 0) {
    return refuse(err.empty()
                      ? command + " was killed by signal " + std::to_string(outcome.term_signal)
                      : err,
                  {{"signal", outcome.term_signal}});
  }
  if (outcome.exit_status != 0) {
    return refuse(
        err.empty() ? command + " exited with status " + std::to_string(outcome.exit_status) : err,
        {{"exit_status", outcome.exit_status}});
  }
  if (only_white_space(outcome.out)) {
    invocation.yield();
    return;
  }
  Result<Value> result = json_serializer().decode(
      reinterpret_cast<const std::uint8_t*>(outcome.out.data()), outcome.out.size());
  if (!result) {
    return refuse(command + " printed no JSON: " + result.error().message, {{"exit_status", 0}});
  }
  invocation.yield({std::move(result).value()});
}

}  // namespace

int register_verb(const std::vector<std::string>& args) {
  std::optional<std::string> procedure;
  std::optional<Value> fixed_result;
  std::vector<std::string> command;
  std::uint64_t count = 0;
  ClientOptions options;
  const VerbCommandLine line{
      "register",
      usage,
      {{{"--result"},
        VerbOption::Takes::value,
        [&](std::vector<std::string> values) {
          fixed_result = parse_json_argument("register", "--result", values[0]);
          return fixed_result.has_value();
        }},
       {{"--exec"},
        VerbOption::Takes::rest_of_line,
        [&](std::vector<std::string> values) {
          command = std::move(values);
          return true;
        }},
       count_option("register", count)},
      [&](const std::string& arg) {
        if (procedure) {
          return usage_error("register", "one PROCEDURE only, got '" + arg + "' as well");
        }
        procedure = arg;
        return true;
      }};
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!procedure) {
    usage_error("register", "which PROCEDURE to register?");
    return exit_usage;
  }
  if (fixed_result.has_value() == !command.empty()) {
    usage_error("register", "give either --result JSON or --exec CMD, one of them");
    return exit_usage;
  }

  const std::size_t max_output_bytes = options.max_message_size;
  SessionRun session("register");
  CommandRunner runner(session.loop(), command, max_output_bytes);
  session.end_on_signal_with(0, [&] { runner.kill_all(SIGTERM); });
  std::optional<Registration> registration;
  std::uint64_t received = 0;
  std::uint64_t answered = 0;
  auto count_answer = [&] {
    if (++answered == count) session.finish(0);
  };

  auto on_invocation = [&](Invocation invocation) {
    if (session.finishing() || (count != 0 && received == count)) {
      invocation.error(unavailable, {"uvwamp register is not taking more calls"});
      return;
    }
    if (++received == count && registration) {
      session.client().unregister(*registration, [](WampStatus) {});
    }
    if (fixed_result) {
      invocation.yield({*fixed_result});
      return count_answer();
    }
    Result<std::string> input = to_json_line([&] {
      Value call = payload_json(invocation.args, invocation.kwargs, invocation.details);
      (*call.if_object())["procedure"] = invocation.procedure();
      return call;
    }());
    if (!input) {
      invocation.error("wamp.error.invalid_argument",
                       {"the call has no JSON form: " + input.error().message});
      return count_answer();
    }
    auto pending = std::make_shared<Invocation>(std::move(invocation));
    runner.start(std::move(input).value(), [&, pending](CommandOutcome outcome) {
      answer_with_outcome(*pending, runner.argv()[0], outcome, max_output_bytes);
      count_answer();
    });
  };

  return session.run(std::move(options), [&] {
    session.client().register_procedure(
        *procedure, on_invocation, [&](WampResult<Registration> registered) {
          if (!registered) return session.fail("cannot register " + *procedure, registered.error());
          registration = registered.value();
          std::fprintf(stderr, "uvwamp register: registered %s\n", procedure->c_str());
        });
  });
}

}  // namespace uvwamp::cli
