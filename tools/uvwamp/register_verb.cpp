#include <uvwamp/worker_pool.hpp>

#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <system_error>

#include "blocking_command.hpp"
#include "client/loop_mailbox.hpp"
#include "command_runner.hpp"
#include "session_options.hpp"
#include "session_run.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp register PROCEDURE (--result JSON | [--workers N] --exec CMD [ARG...])\n"
    "                       [--count N] [--match MATCH] [--invoke POLICY] [--disclose-caller]\n"
    "                       --url URL --realm REALM [options]\n"
    "\n"
    "Registers PROCEDURE and answers each call of it. Once the registration stands it says so on\n"
    "stderr: \"uvwamp register: registered PROCEDURE\". Runs until N calls were answered, or\n"
    "until SIGINT or SIGTERM, and then leaves (exit status 0).\n"
    "\n"
    "  --result JSON       answer every call with this JSON value as the one result argument\n"
    "  --exec CMD [ARG...] answer each call by running CMD (looked up on PATH) with ARGs. It gets\n"
    "                      the call as one line of JSON on stdin, with \"args\", \"kwargs\",\n"
    "                      \"details\" (as the router sent them), \"procedure\" (the one\n"
    "                      called), \"receive_progress\" (true or false), and \"caller\",\n"
    "                      \"caller_authid\", \"caller_authrole\" and \"timeout\" (ms) when the\n"
    "                      router sent them. What it prints, one JSON value, is the one result\n"
    "                      argument (printing nothing answers with no arguments). When it\n"
    "                      cannot start, exits with a status other than 0, is killed by a\n"
    "                      signal, or prints no JSON, the caller gets the error\n"
    "                      uvwamp.error.command_failed with a message (its stderr, if any) as\n"
    "                      the argument and kwargs {\"exit_status\":N} or {\"signal\":N}. Calls\n"
    "                      run side by side. When the router interrupts a call (its caller\n"
    "                      canceled it, or timed out), the command gets SIGTERM, and SIGKILL\n"
    "                      2 s later, and the caller gets wamp.error.canceled at once\n"
    "                      (wamp.error.timeout when the router gave that as the reason).\n"
    "                      Everything after --exec is the command: give the other options first.\n"
    "  --workers N         with --exec, N from 1 to 1024: run the commands on N threads of their\n"
    "                      own instead of on the loop, each thread starting a command, feeding\n"
    "                      it and waiting for it. At most N commands run at once; further calls\n"
    "                      wait in turn for a free thread, and one interrupted while it waits\n"
    "                      never starts its command (nor counts for --count). Answers and\n"
    "                      interruptions are as above.\n"
    "  -n, --count N       stop after answering N calls\n"
    "  --match MATCH       exact (the default), prefix (every procedure that starts with\n"
    "                      PROCEDURE) or wildcard (an empty part of PROCEDURE, as in\n"
    "                      com.example..get, matches any one part)\n"
    "  --invoke POLICY     single (the default: no one else may register PROCEDURE), or share it\n"
    "                      with other callees that give the same policy, the router picking one\n"
    "                      for each call: roundrobin, random, first or last\n"
    "  --disclose-caller   ask the router to tell who calls (\"caller\" for "
    "--exec)\n" UVWAMP_CLI_RECONNECT_HELP;

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

// The most --workers threads.
constexpr std::uint64_t max_workers = 1024;

// Answers one invocation with what its command did, and says on stderr when it failed: an
// Invocation on the loop's thread (CommandRunner), or a WorkerInvocation on a worker's
// (BlockingCommand), which answer alike.
template <class AnyInvocation>
void answer_with_outcome(AnyInvocation& invocation, const std::string& command,
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

// What an --exec command reads: the call's payload and details as the router sent them, and
// what they say, typed, as top-level members.
Value command_input(const InvocationData& invocation) {
  Value call = payload_json(invocation.args, invocation.kwargs, invocation.details);
  Value::Object& members = *call.if_object();
  members["procedure"] = invocation.procedure();
  members["receive_progress"] = invocation.receive_progress();
  if (invocation.caller()) members["caller"] = *invocation.caller();
  if (!invocation.caller_authid().empty()) members["caller_authid"] = invocation.caller_authid();
  if (!invocation.caller_authrole().empty()) {
    members["caller_authrole"] = invocation.caller_authrole();
  }
  if (invocation.timeout().count() > 0) {
    members["timeout"] = static_cast<std::int64_t>(invocation.timeout().count());
  }
  return call;
}

// Says that a call was interrupted, and that its command is being stopped.
void say_interrupted(const std::string& called, const Interrupt& interrupt,
                     const std::string& command) {
  const std::string mode(wamp_name(interrupt.mode));
  std::fprintf(stderr, "uvwamp register: a call of %s was interrupted (mode %s%s%s): stopping %s\n",
               called.c_str(), mode.c_str(), interrupt.reason.empty() ? "" : ", ",
               interrupt.reason.c_str(), command.c_str());
}

// What the worker threads of `register --exec --workers N` share. The handler that runs on them
// holds it, so it lives as long as a worker may use it.
struct WorkerExec {
  WorkerExec(std::vector<std::string> argv, std::size_t max_output_bytes, std::uint64_t count)
      : command(std::move(argv), max_output_bytes),
        max_output_bytes(max_output_bytes),
        count(count) {}

  const BlockingCommand command;
  const std::size_t max_output_bytes;
  const std::uint64_t count;  // --count, or 0
  std::atomic<std::uint64_t> received{0};
  // The way back to the loop's thread, and what goes there once a call's command is over. Set
  // before the registration is made; read-only after that.
  std::shared_ptr<detail::LoopMailbox> loop;
  std::function<void()> on_done;
};

// Runs on a worker thread: one call, answered with what its command did, unless the call was
// interrupted (then the session answered it, and the command is stopped).
void exec_on_worker(WorkerExec& exec, WorkerInvocation invocation) {
  if (exec.count != 0 && exec.received.fetch_add(1) >= exec.count) {
    invocation.error(unavailable, {"uvwamp register is not taking more calls"});
    return;
  }
  const std::string& command = exec.command.argv()[0];
  Result<std::string> input = to_json_line(command_input(invocation));
  if (!input) {
    invocation.error("wamp.error.invalid_argument",
                     {"the call has no JSON form: " + input.error().message});
    exec.loop->post(exec.on_done);
    return;
  }
  // The interruption handler runs on the loop's thread and wakes the run; a call interrupted
  // before this line runs it at once, here, and the run starts no command.
  auto stop = std::make_shared<CommandStop>();
  invocation.on_interrupt(
      [stop, called = invocation.procedure(), command](const Interrupt& interrupt) {
        say_interrupted(called, interrupt, command);
        stop->request();
      });
  const CommandOutcome outcome = exec.command.run(input.value(), *stop);
  if (!invocation.interrupted()) {
    answer_with_outcome(invocation, command, outcome, exec.max_output_bytes);
  }
  exec.loop->post(exec.on_done);
}

}  // namespace

int register_verb(const std::vector<std::string>& args) {
  std::optional<std::string> procedure;
  std::optional<Value> fixed_result;
  std::vector<std::string> command;
  std::uint64_t count = 0;
  std::uint64_t workers = 0;
  RegisterOptions register_options;
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
       count_option("register", count),
       whole_number_option("register", {"--workers"}, max_workers, workers),
       {{"--match"},
        VerbOption::Takes::value,
        [&](std::vector<std::string> values) {
          auto chosen = choose("register", "--match", values[0], parse_match_policy,
                               {MatchPolicy::exact, MatchPolicy::prefix, MatchPolicy::wildcard});
          if (chosen) register_options.match = *chosen;
          return chosen.has_value();
        }},
       {{"--invoke"},
        VerbOption::Takes::value,
        [&](std::vector<std::string> values) {
          auto chosen = choose("register", "--invoke", values[0], parse_invoke_policy,
                               {InvokePolicy::single, InvokePolicy::roundrobin,
                                InvokePolicy::random, InvokePolicy::first, InvokePolicy::last});
          if (chosen) register_options.invoke = *chosen;
          return chosen.has_value();
        }},
       {{"--disclose-caller"},
        VerbOption::Takes::nothing,
        [&](std::vector<std::string>) {
          register_options.disclose_caller = true;
          return true;
        }},
       no_reconnect_option(options)},
      [&](const std::string& arg) {
        if (procedure) {
          return usage_error("register", "one PROCEDURE only, got '" + arg + "' as well");
        }
        procedure = arg;
        return true;
      }};
  reconnect_by_default(options);
  if (auto stop = parse_verb_command_line(line, args, options)) return *stop;
  if (!procedure) {
    usage_error("register", "which PROCEDURE to register?");
    return exit_usage;
  }
  if (workers != 0 && command.empty()) {
    usage_error("register", "--workers N runs --exec commands: give --exec CMD");
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
    Result<std::string> input = to_json_line(command_input(invocation));
    if (!input) {
      invocation.error("wamp.error.invalid_argument",
                       {"the call has no JSON form: " + input.error().message});
      return count_answer();
    }
    auto pending = std::make_shared<Invocation>(std::move(invocation));
    const CommandRunner::RunId run =
        runner.start(std::move(input).value(), [&, pending](CommandOutcome outcome) {
          // An interrupted call was answered (wamp.error.canceled) when the router interrupted
          // it; how its stopped command ended concerns nobody. It counts now, so that --count
          // never closes the session before that answer went.
          if (!pending->interrupted()) {
            answer_with_outcome(*pending, runner.argv()[0], outcome, max_output_bytes);
          }
          count_answer();
        });
    // The handler holds no Invocation: the invocation's record holds the handler. uvwamp
    // answers wamp.error.canceled once it returned.
    pending->on_interrupt(
        [&runner, run, called = pending->procedure()](const Interrupt& interrupt) {
          say_interrupted(called, interrupt, runner.argv()[0]);
          runner.stop(run);
        });
  };

  // --workers: the commands run on a pool, whose workers tell the loop's thread through a
  // mailbox of its own when a call's command is over.
  std::shared_ptr<WorkerExec> exec;
  std::shared_ptr<WorkerPool> pool;
  if (workers != 0) {
    try {
      pool = std::make_shared<WorkerPool>(static_cast<unsigned>(workers));
    } catch (const std::system_error& failed) {
      std::fprintf(stderr, "uvwamp register: cannot start %llu worker threads: %s\n",
                   static_cast<unsigned long long>(workers), failed.what());
      return exit_no_session;
    }
    exec = std::make_shared<WorkerExec>(command, max_output_bytes, count);
    exec->loop = detail::LoopMailbox::open(session.loop(), [](std::exception_ptr) {});
    exec->on_done = [&] {
      if (count == 0 || ++answered != count || session.finishing()) return;
      // The worker answered before it told us, but its answer reaches the loop's thread by the
      // client's own mailbox, which need not have been emptied yet; the answer is on its way,
      // though, so it goes before the router's reply to this UNREGISTER can come back.
      if (!registration) return session.finish(0);
      session.client().unregister(*registration, [&](WampStatus) { session.finish(0); });
    };
  }

  const int status = session.run(std::move(options), [&] {
    auto on_registered = [&](WampResult<Registration> registered) {
      if (!registered) return session.fail("cannot register " + *procedure, registered.error());
      registration = registered.value();
      std::fprintf(stderr, "uvwamp register: registered %s\n", procedure->c_str());
    };
    if (pool) {
      session.client().register_procedure(
          *procedure, register_options, pool,
          [exec](WorkerInvocation invocation) { exec_on_worker(*exec, std::move(invocation)); },
          on_registered);
    } else {
      session.client().register_procedure(*procedure, register_options, on_invocation,
                                          on_registered);
    }
  });
  // The session is over, and with it every call (its end interrupted those still running): what
  // the workers tell from here on concerns nobody. The pool stops once the client lets go of it,
  // when `session` goes, after its workers saw their commands exit.
  if (exec) exec->loop->close([] {});
  return status;
}

}  // namespace uvwamp::cli
