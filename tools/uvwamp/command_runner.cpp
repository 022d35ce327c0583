#include "command_runner.hpp"

#include <csignal>
#include <utility>

namespace uvwamp::cli {

struct CommandRunner::Run {
  CommandRunner* runner = nullptr;
  RunId id = 0;
  uv_process_t process;
  uv_pipe_t in;
  uv_pipe_t out;
  uv_pipe_t err;
  uv_write_t write;
  uv_timer_t kill_grace;  // initialized by stop(), closed once the command exited
  bool stopping = false;
  std::string input;
  CommandOutcome outcome;
  std::function<void(CommandOutcome)> on_done;
  int open_handles = 0;
  bool running = false;
  // Reads from both pipes go here in turn: libuv hands each read to on_read before the next
  // on_alloc.
  char buffer[64 * 1024];
};

CommandRunner::CommandRunner(uv_loop_t* loop, std::vector<std::string> argv,
                             std::size_t max_output_bytes)
    : loop_(loop), argv_(std::move(argv)), max_output_bytes_(max_output_bytes) {}

CommandRunner::~CommandRunner() = default;

CommandRunner::RunId CommandRunner::start(std::string input,
                                          std::function<void(CommandOutcome)> on_done) {
  auto owned = std::make_unique<Run>();
  Run& run = *owned;
  const RunId id = ++last_id_;
  runs_.emplace(id, std::move(owned));
  run.runner = this;
  run.id = id;
  run.input = std::move(input);
  run.on_done = std::move(on_done);

  for (uv_pipe_t* pipe : {&run.in, &run.out, &run.err}) {
    uv_pipe_init(loop_, pipe, 0);
    pipe->data = &run;
    ++run.open_handles;
  }
  uv_stdio_container_t stdio[3];
  stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
  stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&run.in);
  stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&run.out);
  stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
  stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(&run.err);

  std::vector<char*> args;
  for (std::string& arg : argv_)
    args.push_back(arg.data());
  args.push_back(nullptr);
  uv_process_options_t options{};
  options.exit_cb = on_exit;
  options.file = args[0];
  options.args = args.data();
  options.stdio_count = 3;
  options.stdio = stdio;

  run.process.data = &run;
  const int spawned = uv_spawn(loop_, &run.process, &options);
  // uv_spawn initializes the process handle even when it fails, so it is closed either way.
  ++run.open_handles;
  if (spawned != 0) {
    run.outcome.spawn_error = spawned;
    for (uv_handle_t* handle :
         {reinterpret_cast<uv_handle_t*>(&run.process), reinterpret_cast<uv_handle_t*>(&run.in),
          reinterpret_cast<uv_handle_t*>(&run.out), reinterpret_cast<uv_handle_t*>(&run.err)}) {
      close_handle(handle);
    }
    return id;
  }
  run.running = true;

  uv_buf_t buf = uv_buf_init(run.input.data(), static_cast<unsigned int>(run.input.size()));
  run.write.data = &run;
  if (uv_write(&run.write, reinterpret_cast<uv_stream_t*>(&run.in), &buf, 1, on_input_written) !=
      0) {
    close_handle(reinterpret_cast<uv_handle_t*>(&run.in));
  }
  for (uv_pipe_t* pipe : {&run.out, &run.err}) {
    if (uv_read_start(reinterpret_cast<uv_stream_t*>(pipe), on_alloc, on_read) != 0) {
      close_handle(reinterpret_cast<uv_handle_t*>(pipe));
    }
  }
  return id;
}

void CommandRunner::stop(RunId id) {
  auto found = runs_.find(id);
  if (found == runs_.end()) return;
  Run& run = *found->second;
  if (!run.running || run.stopping) return;
  run.stopping = true;
  uv_process_kill(&run.process, SIGTERM);
  // A command that ignores SIGTERM gets SIGKILL; the timer is one more handle of the run.
  uv_timer_init(loop_, &run.kill_grace);
  run.kill_grace.data = &run;
  ++run.open_handles;
  uv_timer_start(&run.kill_grace, on_kill_grace_over, kill_grace_ms, 0);
}

void CommandRunner::on_kill_grace_over(uv_timer_t* timer) {
  Run& run = *static_cast<Run*>(timer->data);
  if (run.running) uv_process_kill(&run.process, SIGKILL);
  close_handle(reinterpret_cast<uv_handle_t*>(timer));
}

void CommandRunner::kill_all(int signum) {
  for (auto& [id, run] : runs_) {
    if (run->running) uv_process_kill(&run->process, signum);
  }
}

void CommandRunner::on_exit(uv_process_t* process, std::int64_t exit_status, int term_signal) {
  Run& run = *static_cast<Run*>(process->data);
  run.running = false;
  run.outcome.exit_status = exit_status;
  run.outcome.term_signal = term_signal;
  close_handle(reinterpret_cast<uv_handle_t*>(process));
  if (run.stopping) close_handle(reinterpret_cast<uv_handle_t*>(&run.kill_grace));
}

void CommandRunner::on_input_written(uv_write_t* request, int) {
  // A command that exits without reading its input fails the write with EPIPE: its exit status
  // tells the rest.
  Run& run = *static_cast<Run*>(request->data);
  close_handle(reinterpret_cast<uv_handle_t*>(&run.in));
}

void CommandRunner::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  Run& run = *static_cast<Run*>(handle->data);
  *buf = uv_buf_init(run.buffer, sizeof run.buffer);
}

void CommandRunner::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  Run& run = *static_cast<Run*>(stream->data);
  if (nread < 0) {
    close_handle(reinterpret_cast<uv_handle_t*>(stream));
    return;
  }
  const auto size = static_cast<std::size_t>(nread);
  if (stream == reinterpret_cast<uv_stream_t*>(&run.err)) {
    keep_error_output(run.outcome, buf->base, size);
    return;
  }
  if (!keep_output(run.outcome, buf->base, size, run.runner->max_output_bytes_)) {
    if (run.running) uv_process_kill(&run.process, SIGKILL);
    close_handle(reinterpret_cast<uv_handle_t*>(stream));
  }
}

void CommandRunner::close_handle(uv_handle_t* handle) {
  if (!uv_is_closing(handle)) uv_close(handle, on_closed);
}

void CommandRunner::on_closed(uv_handle_t* handle) {
  Run& run = *static_cast<Run*>(handle->data);
  if (--run.open_handles > 0) return;
  CommandRunner& runner = *run.runner;
  auto found = runner.runs_.find(run.id);
  std::unique_ptr<Run> finished = std::move(found->second);
  runner.runs_.erase(found);
  finished->on_done(std::move(finished->outcome));
}

}  // namespace uvwamp::cli
