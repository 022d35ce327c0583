// PeerProcess: test/interop/peer.py, an autobahn-python peer, as a child process on a test's
// loop: its stdin a pipe the test only ever closes (EOF tells it to leave and exit), its stdout a
// pipe the test reads lines from, its stderr the test's.
#pragma once

#include <uv.h>
#include <uvwamp/wamp_error.hpp>

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// Set by test/meson.build.
#ifndef UVWAMP_TEST_PEER_PYTHON
#error "UVWAMP_TEST_PEER_PYTHON must name the venv's python, which has autobahn"
#endif
#ifndef UVWAMP_TEST_PEER
#error "UVWAMP_TEST_PEER must name test/interop/peer.py"
#endif

namespace uvwamp::test {

class PeerProcess {
 public:
  explicit PeerProcess(uv_loop_t* loop) : loop_(loop) {}
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;

  // 0, or the uv error of uv_spawn. `more_args` go to peer.py as they are ("--reconnect").
  int spawn(const std::string& url, const std::string& realm, const std::string& serializer,
            const std::string& prefix, const std::vector<std::string>& more_args = {}) {
    uv_pipe_init(loop_, &stdin_, 0);
    uv_pipe_init(loop_, &stdout_, 0);
    pipes_open_ = true;
    stdin_.data = stdout_.data = process_.data = this;
    const std::string parent = std::to_string(getpid());
    std::vector<std::string> words = {
        UVWAMP_TEST_PEER_PYTHON, UVWAMP_TEST_PEER, "--url",    url,    "--realm",  realm,
        "--serializer",          serializer,       "--prefix", prefix, "--parent", parent};
    words.insert(words.end(), more_args.begin(), more_args.end());
    std::vector<char*> argv;
    for (std::string& word : words)
      argv.push_back(word.data());
    argv.push_back(nullptr);
    uv_stdio_container_t stdio[3];
    stdio[0].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_READABLE_PIPE);
    stdio[0].data.stream = reinterpret_cast<uv_stream_t*>(&stdin_);
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(&stdout_);
    stdio[2].flags = UV_INHERIT_FD;
    stdio[2].data.fd = 2;
    uv_process_options_t options{};
    options.file = argv[0];
    options.args = argv.data();
    options.stdio = stdio;
    options.stdio_count = 3;
    options.exit_cb = [](uv_process_t* process, int64_t status, int signal) {
      auto* self = static_cast<PeerProcess*>(process->data);
      self->exited_ = true;
      self->exit_status_ = status;
      self->term_signal_ = signal;
    };
    const int status = uv_spawn(loop_, &process_, &options);
    process_open_ = true;  // a failed uv_spawn leaves the handle to close all the same
    if (status != 0) return status;
    started_ = true;
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(&stdout_),
        [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
          auto* self = static_cast<PeerProcess*>(handle->data);
          *buf = uv_buf_init(self->buffer_, sizeof self->buffer_);
        },
        [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
          auto* self = static_cast<PeerProcess*>(stream->data);
          if (nread > 0) self->output_.append(buf->base, static_cast<std::size_t>(nread));
          if (nread < 0) uv_read_stop(stream);
        });
    return 0;
  }

  // The session id from the peer's "ready" line, once it came.
  std::optional<Id> ready() const {
    const std::string prefix = "ready ";
    if (output_.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const auto newline = output_.find('\n');
    if (newline == std::string::npos) return std::nullopt;
    return std::stoull(output_.substr(prefix.size(), newline - prefix.size()));
  }

  // How many "ready" lines came: with --reconnect, one for each session the peer opened.
  std::size_t ready_count() const {
    std::size_t count = 0;
    for (std::size_t line = 0; line < output_.size();) {
      const auto newline = output_.find('\n', line);
      if (newline == std::string::npos) break;
      if (output_.compare(line, 6, "ready ") == 0) ++count;
      line = newline + 1;
    }
    return count;
  }

  bool started() const { return started_; }
  bool exited() const { return exited_; }
  std::string exit_description() const {
    return "peer.py exited with status " + std::to_string(exit_status_) + ", signal " +
           std::to_string(term_signal_) + "; its stdout: \"" + output_ + "\"";
  }
  std::int64_t exit_status() const { return exit_status_; }
  int term_signal() const { return term_signal_; }

  // EOF on the peer's stdin, which tells it to leave and exit.
  void close_stdin() {
    if (stdin_open_) uv_close(reinterpret_cast<uv_handle_t*>(&stdin_), nullptr);
    stdin_open_ = false;
  }

  void kill() {
    if (started_ && !exited_) uv_process_kill(&process_, SIGKILL);
  }

  // Closes every handle; the loop must run once more before it can close.
  void close_handles() {
    close_stdin();
    if (pipes_open_) uv_close(reinterpret_cast<uv_handle_t*>(&stdout_), nullptr);
    pipes_open_ = false;
    if (process_open_) uv_close(reinterpret_cast<uv_handle_t*>(&process_), nullptr);
    process_open_ = false;
  }

 private:
  uv_loop_t* loop_;
  uv_process_t process_{};
  uv_pipe_t stdin_{};
  uv_pipe_t stdout_{};
  bool pipes_open_ = false;
  bool stdin_open_ = true;
  bool process_open_ = false;
  bool started_ = false;
  bool exited_ = false;
  std::int64_t exit_status_ = 0;
  int term_signal_ = 0;
  std::string output_;
  char buffer_[4096];
};

}  // namespace uvwamp::test
