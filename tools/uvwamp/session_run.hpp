// SessionRun: one verb's WAMP session, from join to exit status. It owns a uv loop and the
// client on it, watches SIGINT and SIGTERM, and turns how the session went into the exit status
// (verbs.hpp) and one-line messages on stderr.
//
//   SessionRun session("call");
//   return session.run(options, [&] { session.client().call(..., [&](auto result) {
//     if (!result) return session.fail("the call failed", result.error());
//     session.print(...);
//     session.finish(0);
//   }); });
//
// finish() closes the client and the signal watchers; run() returns once every handle on the
// loop is closed, so whatever else a verb started on the loop (child processes) must end too.
#pragma once

#include <uvwamp/client.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <uv.h>

namespace uvwamp::cli {

class SessionRun {
 public:
  explicit SessionRun(const char* verb);
  ~SessionRun();
  SessionRun(const SessionRun&) = delete;
  SessionRun& operator=(const SessionRun&) = delete;

  // Joins and calls `on_joined`; runs the loop until finish() and everything on it closed.
  // Returns the exit status: finish()'s, exit_usage for options the client refuses,
  // exit_no_session when joining fails or the session ends before finish().
  int run(ClientOptions options, std::function<void()> on_joined);

  // How SIGINT and SIGTERM end the run. By default with status 128+signal, as a shell reports
  // a killed command; a verb that runs until stopped (subscribe, register) sets 0 and its own
  // clean-up, which runs before the client closes.
  void end_on_signal_with(int status, std::function<void()> clean_up = {});

  // Closes the client and the signal watchers; the first status given is the exit status.
  void finish(int status);
  bool finishing() const noexcept { return finishing_; }

  // Prints why a request failed and finishes with the status that fits: the WAMP error's URI,
  // args and kwargs for an error the router or the callee sent, else what went wrong.
  void fail(const std::string& what, const WampError& error);
  // The exit status fail() gives for `error`.
  static int status_for(const WampError& error) noexcept;

  // Runs `action` once, `delay` from now, unless the run finished first: finish() stops it.
  // One such timer per run; a second call replaces the first.
  void after(std::chrono::milliseconds delay, std::function<void()> action);

  // Writes one line of JSON to stdout and flushes it. False, after printing why on stderr, when
  // the value has no JSON form (then the verb decides) or stdout cannot be written (then the run
  // finishes with exit_invalid_input).
  bool print(const Value& value);

  const char* verb() const noexcept { return verb_; }
  uv_loop_t* loop() noexcept { return &loop_; }
  Client& client() noexcept { return *client_; }

 private:
  // Tells each step of a reconnect on stderr; a registration or subscription that cannot be
  // restored ends the run as its failure would have.
  void report_reconnects(ReconnectOptions& events);
  static void on_signal(uv_signal_t* watcher, int signum);
  static void on_timer(uv_timer_t* timer);

  const char* verb_;
  uv_loop_t loop_;
  uv_signal_t interrupt_;
  uv_signal_t terminate_;
  uv_timer_t timer_;
  bool timer_initialized_ = false;
  std::function<void()> timer_action_;
  std::unique_ptr<Client> client_;
  std::optional<int> signal_status_;
  std::function<void()> signal_clean_up_;
  bool finishing_ = false;
  bool joined_ = false;
  int status_ = 0;
};

}  // namespace uvwamp::cli
