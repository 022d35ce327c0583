// BlockingCommand: runs one command line, again and again, as child processes, each run blocking
// the thread that makes it (for `uvwamp register --exec --workers N`, on a WorkerPool's threads;
// CommandRunner is the loop's way). Each run gets its input on stdin and reports what it wrote
// and how it ended in a CommandOutcome, with the limits CommandRunner keeps; any number of threads
// may run the command at once.
//
// A run reads the command's outputs while it writes its input, so that neither side can block
// the other, and returns only once the command has exited and was reaped: it leaves no zombie.
// Another thread stops a run through its CommandStop: SIGTERM, then SIGKILL when the command has
// not exited command_kill_grace_ms later; a stopped run returns once the command has exited,
// without waiting for whatever it left holding its outputs.
//
// POSIX only. The process must ignore SIGPIPE (SessionRun::run does), so that writing to a
// command that exited without reading its input fails with EPIPE instead of killing the process.
// The command gets the default action for every signal and no blocked signal, whatever the
// process and the calling thread set.
#pragma once

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

#include "command_outcome.hpp"

namespace uvwamp::cli {

// A request to stop one run, made on any thread, waking the run at once: a self-pipe that the run
// polls beside the command's pipes. Make one per run, before the run starts, and keep it until the
// run returned and no thread may request() any more (share it with std::shared_ptr).
class CommandStop {
 public:
  CommandStop();
  ~CommandStop();
  CommandStop(const CommandStop&) = delete;
  CommandStop& operator=(const CommandStop&) = delete;

  // Any thread, any number of times; async-signal-safe.
  void request() noexcept;
  bool requested() const noexcept { return requested_.load(std::memory_order_acquire); }

 private:
  friend class BlockingCommand;
  int open_error_ = 0;  // a uv error code when the self-pipe could not be made
  int read_fd_ = -1;
  int write_fd_ = -1;
  std::atomic<bool> requested_{false};
};

class BlockingCommand {
 public:
  // argv[0] is looked up on PATH. What the command prints beyond `max_output_bytes` kills it
  // (CommandOutcome::out_too_large).
  BlockingCommand(std::vector<std::string> argv, std::size_t max_output_bytes);

  // Runs the command with `input` on its stdin, which is closed after it; returns once the
  // command exited and closed both outputs, or, once `stop` was requested, once it exited. When it
  // cannot be started, or `stop` was requested before it started (UV_ECANCELED), says so in
  // spawn_error, having run nothing.
  CommandOutcome run(const std::string& input, CommandStop& stop) const;

  const std::vector<std::string>& argv() const noexcept { return argv_; }

 private:
  std::vector<std::string> argv_;
  std::size_t max_output_bytes_;
};

}  // namespace uvwamp::cli
