#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp call PROCEDURE [ARG...] [--kwargs JSON] [--timeout MS] [--progress]\n"
    "                   [--cancel-after MS [--cancel-mode MODE]] [--disclose-me]\n"
    "                   --url URL --realm REALM [options]\n"
    "\n"
    "Calls PROCEDURE and prints the result as one line of JSON, "
    "{\"args\":[...],\"kwargs\":{...}}.\n"
    "Each ARG is one JSON value and one positional argument: '[1,2]' is one argument, a list;\n"
    "a string needs JSON quotes, as '\"text\"'. A WAMP error goes to stderr as its URI and\n"
    "{\"args\":[...],\"kwargs\":{...}}, with exit status 3.\n"
    "\n"
    "  --kwargs JSON       keyword arguments, a JSON object\n"
    "  --timeout MS        give up when no result came within MS milliseconds (with --progress,\n"
    "                      MS counts from the last progressive result): exit status 5; the\n"
    "                      router is asked to cancel the call (killnowait)\n"
    "  --progress          ask for progressive results; each prints as it comes, one line of\n"
    "                      {\"args\":[...],\"kwargs\":{...},\"progress\":true}, before the result\n"
    "  --cancel-after MS   cancel the call when it has not completed MS milliseconds after it\n"
    "                      was made: exit status 6 (or 0 when the result wins the race)\n"
    "  --cancel-mode MODE  how --cancel-after cancels: skip (the callee is not told), kill (the\n"
    "                      callee is interrupted and its answer ends the call; the default) or\n"
    "                      killnowait (the callee is interrupted, the call ends at once)\n"
    "  --disclose-me       ask the router to tell the callee who calls\n"
    "  --                  what follows is a positional argument even if it starts with '-'\n";

VerbOption flag_option(const char* name, bool& into) {
  return {{name}, VerbOption::Takes::nothing, [&into](std::vector<std::string>) {
            into = true;
            return true;
          }};
}

}  // namespace

int call_verb(const std::vector<std::string>& args) {
  UriAndPayload call;
  ClientOptions options;
  CallOptions call_options;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::chrono::milliseconds> cancel_after;
  std::optional<CancelMode> cancel_mode;
  bool progress = false;
  const VerbCommandLine line{"call",
                             usage,
                             {kwargs_option("call", call.kwargs),
                              milliseconds_option("call", "--timeout", timeout),
                              flag_option("--progress", progress),
                              milliseconds_option("call", "--cancel-after", cancel_after),
                              {{"--cancel-mode"},
                               VerbOption::Takes::value,
                               [&](std::vector<std::string> values) {
                                 cancel_mode = choose(
                                     "call", "--cancel-mode", values[0], parse_cancel_mode,
                                     {CancelMode::skip, CancelMode::kill, CancelMode::killnowait});
                                 return cancel_mode.has_value();
                               }},
                              flag_option("--disclose-me", call_options.disclose_me)},
                             uri_then_json_arguments("call", call)};
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!call.uri) {
    usage_error("call", "which PROCEDURE to call?");
    return exit_usage;
  }
  if (cancel_mode && !cancel_after) {
    usage_error("call", "--cancel-mode needs --cancel-after MS");
    return exit_usage;
  }
  const CancelMode mode = cancel_mode.value_or(CancelMode::kill);
  const std::string mode_name(wamp_name(mode));
  call_options.timeout = timeout;

  SessionRun session("call");
  bool cancel_sent = false;
  if (progress) {
    call_options.on_progress = [&](const CallResult& partial) {
      if (session.finishing()) return;
      Value line = payload_json(partial.args, partial.kwargs);
      (*line.if_object())["progress"] = true;
      if (!session.print(line)) session.finish(exit_invalid_input);
    };
  }
  auto on_result = [&](WampResult<CallResult> result) {
    if (session.finishing()) return;
    if (result) {
      const bool printed = session.print(payload_json(result->args, result->kwargs));
      session.finish(printed ? 0 : exit_invalid_input);
      return;
    }
    const WampError& error = result.error();
    const int status = SessionRun::status_for(error);
    // Say in plain words what the options asked for; anything else (a callee that answered
    // wamp.error.canceled on its own, say) is reported as it came.
    if (status == exit_timed_out && timeout) {
      std::fprintf(stderr, "uvwamp call: the call timed out: %s gave no result within %lld ms\n",
                   call.uri->c_str(), static_cast<long long>(timeout->count()));
      return session.finish(status);
    }
    if (status == exit_canceled && cancel_sent) {
      std::fprintf(stderr,
                   "uvwamp call: the call was canceled: %s gave no result within %lld ms "
                   "(--cancel-after, mode %s)\n",
                   call.uri->c_str(), static_cast<long long>(cancel_after->count()),
                   mode_name.c_str());
      return session.finish(status);
    }
    session.fail("the call failed", error);
  };
  return session.run(std::move(options), [&] {
    const CallRequest request =
        session.client().call(*call.uri, std::move(call.args), std::move(call.kwargs),
                              std::move(call_options), on_result);
    if (cancel_after) {
      session.after(*cancel_after, [&session, &cancel_sent, request, mode] {
        // A call that completed meanwhile is not in flight: nothing to cancel.
        cancel_sent = session.client().cancel(request, mode).ok();
      });
    }
  });
}

}  // namespace uvwamp::cli
