#include "blocking_command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include <uv.h>

extern char** environ;

namespace uvwamp::cli {
namespace {

using Clock = std::chrono::steady_clock;

// How often a run looks for the command's exit when no pipe can tell it: once the command closed
// its outputs without exiting yet, or once it was stopped (whatever it started may hold its
// outputs open after it exited). The first look comes soon, since exiting closes the outputs
// just before the command can be reaped.
constexpr std::chrono::milliseconds first_exit_check{1};
constexpr std::chrono::milliseconds longest_exit_check{100};

// One file descriptor, closed when it goes.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }

  int get() const noexcept { return fd_; }
  bool is_open() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// A pipe whose ends close on exec, from the start: another worker may start a command at any
// moment, and one that inherited this pipe's write end would keep its reader from ever seeing
// the end. Both ends are above 2, so that the child's dup2 onto 0, 1 or 2 always makes a new
// descriptor, one that stays open on exec. The parent's end (the read end when `parent_reads`)
// is non-blocking; the child's stays blocking, as commands expect (the two ends are separate
// open file descriptions). Returns 0 or a uv error code.
int make_pipe(Fd& parent_end, Fd& child_end, bool parent_reads) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return uv_translate_sys_error(errno);
  Fd ends[2] = {Fd(fds[0]), Fd(fds[1])};
  for (Fd& end : ends) {
    if (end.get() > 2) continue;
    const int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return uv_translate_sys_error(errno);
    end = Fd(moved);
  }
  Fd& parent = ends[parent_reads ? 0 : 1];
  const int flags = ::fcntl(parent.get(), F_GETFL);
  if (flags < 0 || ::fcntl(parent.get(), F_SETFL, flags | O_NONBLOCK) != 0) {
    return uv_translate_sys_error(errno);
  }
  parent_end = std::move(parent);
  child_end = std::move(ends[parent_reads ? 1 : 0]);
  return 0;
}

// posix_spawnp with the child's stdin, stdout and stderr on `in`, `out` and `err`, every signal
// at its default action and none blocked: the process ignores SIGPIPE, and a worker thread may
// block signals, and neither must reach the command (uv_spawn resets them the same way). Every
// other descriptor of the process closes on exec: libuv, the client and make_pipe make them so.
// Returns 0 or an errno value.
int spawn(const std::vector<std::string>& argv, int in, int out, int err, pid_t& pid) {
  std::vector<std::string> copies = argv;  // posix_spawnp takes char*, and changes nothing
  std::vector<char*> args;
  for (std::string& arg : copies)
    args.push_back(arg.data());
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  int failed = posix_spawn_file_actions_init(&actions);
  if (failed != 0) return failed;
  posix_spawnattr_t attributes;
  failed = posix_spawnattr_init(&attributes);
  if (failed != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return failed;
  }
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  if (failed == 0) failed = posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  if (failed == 0) failed = posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  if (failed == 0) failed = posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  if (failed == 0) failed = posix_spawnattr_setsigmask(&attributes, &none);
  if (failed == 0) failed = posix_spawnattr_setsigdefault(&attributes, &all);
  if (failed == 0) {
    failed = posix_spawnattr_setflags(
        &attributes, static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  }
  if (failed == 0) {
    failed = posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
  }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return failed;
}

// A run once its command started: feeds its stdin, reads its outputs, waits for its exit, and
// stops it when asked.
class Watch {
 public:
  Watch(pid_t pid, const std::string& input, Fd in, Fd out, Fd err, CommandStop& stop, int stop_fd,
        std::size_t max_output_bytes, CommandOutcome& outcome)
      : pid_(pid),
        input_(input),
        in_(std::move(in)),
        out_(std::move(out)),
        err_(std::move(err)),
        stop_(stop),
        stop_fd_(stop_fd),
        max_output_bytes_(max_output_bytes),
        outcome_(outcome) {
    if (input_.empty()) in_.reset();
  }

  void run() {
    for (;;) {
      if (!exited_) reap(WNOHANG);
      // A stopped command's answer concerns nobody: its exit is all that is waited for.
      if (exited_ && (stopping_ || (!out_.is_open() && !err_.is_open()))) return;
      if (!stopping_ && stop_.requested()) {
        stopping_ = true;
        signal_command(SIGTERM);
        kill_at_ = Clock::now() + std::chrono::milliseconds(command_kill_grace_ms);
        continue;
      }
      if (stopping_ && !killed_ && Clock::now() >= kill_at_) {
        signal_command(SIGKILL);
        killed_ = true;
      }
      if (!wait_and_transfer()) {
        // The command cannot be watched any more (poll failed: out of memory): end it rather
        // than leave it behind.
        signal_command(SIGKILL);
        while (!exited_)
          reap(0);
        return;
      }
    }
  }

  // How the command ended, once run() returned.
  void report_exit() const {
    if (WIFEXITED(status_)) {
      outcome_.exit_status = WEXITSTATUS(status_);
    } else if (WIFSIGNALED(status_)) {
      outcome_.term_signal = WTERMSIG(status_);
    }
  }

 private:
  // Polls once and moves what the pipes are ready for; false when poll fails.
  bool wait_and_transfer() {
    pollfd fds[4];
    nfds_t count = 0;
    auto watch = [&](int fd, short events) -> pollfd* {
      if (fd < 0) return nullptr;
      fds[count] = pollfd{fd, events, 0};
      return &fds[count++];
    };
    pollfd* in = watch(in_.get(), POLLOUT);
    pollfd* out = watch(out_.get(), POLLIN);
    pollfd* err = watch(err_.get(), POLLIN);
    if (!stopping_) watch(stop_fd_, POLLIN);

    const int ready = ::poll(fds, count, timeout_ms());
    if (ready < 0) return errno == EINTR;
    // The stop pipe needs no reading: run() looks at stop_.requested() next, and stops watching
    // the pipe once stopping.
    if (in != nullptr && in->revents != 0) write_input();
    if (out != nullptr && out->revents != 0) read_output(out_, true);
    if (err != nullptr && err->revents != 0) read_output(err_, false);
    return true;
  }

  // How long the next poll may wait: for ever when a pipe or the stop request will tell what
  // comes next, else until the next look for the exit, or the SIGKILL, is due.
  int timeout_ms() {
    const bool outputs_open = out_.is_open() || err_.is_open();
    if (exited_ || (!stopping_ && outputs_open)) return -1;
    auto wait = next_exit_check_;
    next_exit_check_ = std::min(next_exit_check_ * 2, longest_exit_check);
    if (stopping_ && !killed_) {
      const auto until_kill = std::chrono::ceil<std::chrono::milliseconds>(kill_at_ - Clock::now());
      wait = std::max(std::chrono::milliseconds(0), std::min(wait, until_kill));
    }
    return static_cast<int>(wait.count());
  }

  void write_input() {
    while (written_ < input_.size()) {
      const ssize_t n = ::write(in_.get(), input_.data() + written_, input_.size() - written_);
      if (n >= 0) {
        written_ += static_cast<std::size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      // EPIPE: the command exited, or closed its stdin, without reading all of it; its exit
      // status tells the rest.
      break;
    }
    in_.reset();
  }

  void read_output(Fd& fd, bool is_stdout) {
    // One read per poll, so that a chatty output does not starve the others.
    for (;;) {
      const ssize_t n = ::read(fd.get(), buffer_, sizeof buffer_);
      if (n > 0) {
        const auto size = static_cast<std::size_t>(n);
        if (!is_stdout) {
          keep_error_output(outcome_, buffer_, size);
        } else if (!keep_output(outcome_, buffer_, size, max_output_bytes_)) {
          signal_command(SIGKILL);
          fd.reset();
        }
        return;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      fd.reset();  // the end of the output, or an error: nothing more comes
      return;
    }
  }

  void reap(int options) {
    for (;;) {
      const pid_t done = ::waitpid(pid_, &status_, options);
      if (done == pid_) {
        exited_ = true;
        return;
      }
      if (done == 0) return;
      if (errno == EINTR) continue;
      // ECHILD: the process ignores SIGCHLD, so the system reaped the command and its status is
      // lost; it reads as 0, and what the command printed tells.
      status_ = 0;
      exited_ = true;
      return;
    }
  }

  // Never after the command was reaped: its pid may belong to another process by then.
  void signal_command(int signum) {
    if (!exited_) ::kill(pid_, signum);
  }

  const pid_t pid_;
  const std::string& input_;
  std::size_t written_ = 0;
  Fd in_;
  Fd out_;
  Fd err_;
  CommandStop& stop_;
  const int stop_fd_;
  const std::size_t max_output_bytes_;
  CommandOutcome& outcome_;  // what it wrote, as it comes
  bool exited_ = false;
  int status_ = 0;
  bool stopping_ = false;
  bool killed_ = false;  // SIGKILL went after the grace
  Clock::time_point kill_at_{};
  std::chrono::milliseconds next_exit_check_ = first_exit_check;
  char buffer_[64 * 1024];
};

}  // namespace

CommandStop::CommandStop() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    open_error_ = uv_translate_sys_error(errno);
    return;
  }
  read_fd_ = fds[0];
  write_fd_ = fds[1];
}

CommandStop::~CommandStop() {
  if (read_fd_ >= 0) ::close(read_fd_);
  if (write_fd_ >= 0) ::close(write_fd_);
}

void CommandStop::request() noexcept {
  requested_.store(true, std::memory_order_release);
  // A full pipe (EAGAIN) has woken the run already.
  if (write_fd_ >= 0) {
    const ssize_t written = ::write(write_fd_, "", 1);
    (void)written;
  }
}

BlockingCommand::BlockingCommand(std::vector<std::string> argv, std::size_t max_output_bytes)
    : argv_(std::move(argv)), max_output_bytes_(max_output_bytes) {}

CommandOutcome BlockingCommand::run(const std::string& input, CommandStop& stop) const {
  CommandOutcome outcome;
  if (stop.open_error_ != 0) {
    outcome.spawn_error = stop.open_error_;
    return outcome;
  }
  if (stop.requested()) {
    outcome.spawn_error = UV_ECANCELED;
    return outcome;
  }
  Fd in_parent, in_child, out_parent, out_child, err_parent, err_child;
  int failed = make_pipe(in_parent, in_child, false);
  if (failed == 0) failed = make_pipe(out_parent, out_child, true);
  if (failed == 0) failed = make_pipe(err_parent, err_child, true);
  if (failed != 0) {
    outcome.spawn_error = failed;
    return outcome;
  }
  pid_t pid = 0;
  const int spawned = spawn(argv_, in_child.get(), out_child.get(), err_child.get(), pid);
  // Only the command holds its ends now, so that its exit ends the outputs.
  in_child.reset();
  out_child.reset();
  err_child.reset();
  if (spawned != 0) {
    outcome.spawn_error = uv_translate_sys_error(spawned);
    return outcome;
  }
  Watch watch(pid, input, std::move(in_parent), std::move(out_parent), std::move(err_parent), stop,
              stop.read_fd_, max_output_bytes_, outcome);
  watch.run();
  watch.report_exit();
  return outcome;
}

}  // namespace uvwamp::cli
