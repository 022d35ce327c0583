// CommandOutcome: how one run of a `register --exec` command ended and what it wrote, as both
// ways of running it report it (CommandRunner on the loop, BlockingCommand on a worker thread),
// and the limits they share, so that a command behaves the same either way.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

namespace uvwamp::cli {

struct CommandOutcome {
  int spawn_error = 0;  // a uv error code when the command could not be started
  std::int64_t exit_status = 0;
  int term_signal = 0;         // the signal that ended it, or 0
  std::string out;             // its standard output
  std::string err;             // the start of its standard error (command_max_error_bytes)
  bool out_too_large = false;  // it wrote more than max_output_bytes and was killed for it
};

// How much of a command's standard error is kept for the error message.
constexpr std::size_t command_max_error_bytes = 4096;
// How long a stopped command has after SIGTERM before it gets SIGKILL.
constexpr std::uint64_t command_kill_grace_ms = 2000;

// Keeps the start of what the command wrote on stderr. The rest is dropped, but the caller still
// reads it, so that the command never blocks on a full pipe.
inline void keep_error_output(CommandOutcome& outcome, const char* data, std::size_t size) {
  const std::size_t room =
      command_max_error_bytes - std::min(command_max_error_bytes, outcome.err.size());
  outcome.err.append(data, std::min(room, size));
}

// Adds what the command wrote on stdout. False, marking out_too_large and keeping nothing more,
// when that would make more than `max_output_bytes`: the caller then kills the command and stops
// reading its stdout.
inline bool keep_output(CommandOutcome& outcome, const char* data, std::size_t size,
                        std::size_t max_output_bytes) {
  if (outcome.out.size() + size > max_output_bytes) {
    outcome.out_too_large = true;
    return false;
  }
  outcome.out.append(data, size);
  return true;
}

}  // namespace uvwamp::cli
