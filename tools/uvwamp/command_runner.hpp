// CommandRunner: runs one command line, again and again, as child processes on a uv loop (for
// `uvwamp register --exec`). Each run gets its input on stdin and reports what it wrote and how
// it ended; nothing blocks the loop, and several runs may overlap.
//
// Every run keeps handles open on the loop until it has been reported, so the loop must run
// until then; the runner must outlive its runs (destroy it only once the loop has nothing left).
// A run can be stopped on its own (stop(), for an interrupted call): SIGTERM, then SIGKILL when
// the command has not exited kill_grace later. BlockingCommand (blocking_command.hpp) runs the
// same commands on worker threads instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <uv.h>

#include "command_outcome.hpp"

namespace uvwamp::cli {

class CommandRunner {
 public:
  // How long stop() waits after SIGTERM before it sends SIGKILL.
  static constexpr std::uint64_t kill_grace_ms = command_kill_grace_ms;

  // Names one run, from start() until its on_done ran; never 0.
  using RunId = std::uint64_t;

  // argv[0] is looked up on PATH.
  CommandRunner(uv_loop_t* loop, std::vector<std::string> argv, std::size_t max_output_bytes);
  ~CommandRunner();
  CommandRunner(const CommandRunner&) = delete;
  CommandRunner& operator=(const CommandRunner&) = delete;

  // Starts a run with `input` on its stdin, which is closed after it. `on_done` runs once the
  // command has exited and closed both outputs, or at once (on a later turn of the loop) when it
  // could not be started.
  RunId start(std::string input, std::function<void(CommandOutcome)> on_done);

  // Stops one run: SIGTERM now, and SIGKILL if it still runs kill_grace_ms later. Its on_done
  // runs as usual, once it exited. Nothing happens for a run that is no longer running.
  void stop(RunId run);

  // Sends `signum` to every command that is still running.
  void kill_all(int signum);

  const std::vector<std::string>& argv() const noexcept { return argv_; }

 private:
  struct Run;
  static void on_exit(uv_process_t* process, std::int64_t exit_status, int term_signal);
  static void on_kill_grace_over(uv_timer_t* timer);
  static void on_input_written(uv_write_t* request, int status);
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_closed(uv_handle_t* handle);
  static void close_handle(uv_handle_t* handle);

  uv_loop_t* loop_;
  std::vector<std::string> argv_;
  std::size_t max_output_bytes_;
  RunId last_id_ = 0;
  std::map<RunId, std::unique_ptr<Run>> runs_;
};

}  // namespace uvwamp::cli
