#include "session_run.hpp"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <variant>

#include "session_options.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

std::string describe_local_error(const WampError& error) {
  if (error.message.empty()) return error.uri;
  if (error.uri.empty() || error.message.find(error.uri) != std::string::npos) {
    return error.message;
  }
  return error.message + " (" + error.uri + ")";
}

}  // namespace

SessionRun::SessionRun(const char* verb) : verb_(verb) {
  const int initialized = uv_loop_init(&loop_);
  if (initialized != 0) {
    std::fprintf(stderr, "uvwamp %s: cannot start a uv loop: %s\n", verb, uv_strerror(initialized));
    std::exit(exit_no_session);
  }
}

SessionRun::~SessionRun() {
  // The client's handles finish closing on the loop after it is gone.
  client_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

int SessionRun::run(ClientOptions options, std::function<void()> on_joined) {
  // The tool writes to pipes and sockets whose reader may be gone: that must be an EPIPE error
  // it can report, not a signal that kills it. Children get the default back from uv_spawn.
  std::signal(SIGPIPE, SIG_IGN);
  const std::string realm = options.realm;
  if (options.reconnect.enabled) report_reconnects(options.reconnect);
  try {
    client_ = std::make_unique<Client>(&loop_, std::move(options));
  } catch (const std::invalid_argument& refused) {
    usage_error(verb_, refused.what());
    return exit_usage;
  }
  for (uv_signal_t* watcher : {&interrupt_, &terminate_}) {
    uv_signal_init(&loop_, watcher);
    watcher->data = this;
  }
  uv_signal_start(&interrupt_, on_signal, SIGINT);
  uv_signal_start(&terminate_, on_signal, SIGTERM);

  client_->set_session_ended_handler([this](const WampError& why) {
    if (finishing_) return;
    std::fprintf(stderr, "uvwamp %s: the session ended: %s\n", verb_,
                 describe_local_error(why).c_str());
    finish(exit_no_session);
  });
  client_->join([this, realm, on_joined = std::move(on_joined)](WampResult<SessionInfo> joined) {
    if (finishing_) return;
    if (!joined) {
      const WampError& error = joined.error();
      std::fprintf(stderr, "uvwamp %s: cannot join realm '%s': %s\n", verb_, realm.c_str(),
                   describe_local_error(error).c_str());
      finish(error.code == client_errc::invalid_argument ? exit_usage : exit_no_session);
      return;
    }
    joined_ = true;
    on_joined();
  });
  uv_run(&loop_, UV_RUN_DEFAULT);
  return status_;
}

void SessionRun::report_reconnects(ReconnectOptions& events) {
  events.on_disconnected = [this](const WampError& why) {
    std::fprintf(stderr, "uvwamp %s: the session was lost: %s; reconnecting\n", verb_,
                 describe_local_error(why).c_str());
  };
  events.on_reconnecting = [this](unsigned attempt, std::chrono::milliseconds delay) {
    std::fprintf(stderr, "uvwamp %s: reconnecting in %lld ms (attempt %u)\n", verb_,
                 static_cast<long long>(delay.count()), attempt);
  };
  events.on_rejoined = [this](const SessionInfo& session, const RestoreReport&) {
    std::fprintf(stderr, "uvwamp %s: rejoined realm '%s' at %s\n", verb_, session.realm.c_str(),
                 session.url.c_str());
  };
  // What the verb registered or subscribed is all it does: without it, it is done.
  events.on_restore_failed = [this](const RestoreFailure& failure) {
    if (finishing_) return;
    const auto* registration = std::get_if<Registration>(&failure.what);
    const std::string what = registration
                                 ? "register " + registration->procedure
                                 : "subscribe to " + std::get<Subscription>(failure.what).topic;
    fail("cannot " + what + " again after reconnecting", failure.error);
  };
}

void SessionRun::end_on_signal_with(int status, std::function<void()> clean_up) {
  signal_status_ = status;
  signal_clean_up_ = std::move(clean_up);
}

void SessionRun::on_signal(uv_signal_t* watcher, int signum) {
  auto* self = static_cast<SessionRun*>(watcher->data);
  if (self->finishing_) return;
  // A verb that runs until a signal (register, subscribe) ends quietly once joined; anything
  // else was cut short, and says what it was still waiting for.
  if (!self->joined_ || !self->signal_status_) {
    std::fprintf(stderr, "uvwamp %s: stopped by %s %s\n", self->verb_,
                 signum == SIGINT ? "SIGINT" : "SIGTERM",
                 self->joined_ ? "before the router answered"
                               : "before the session was joined (the router has not answered)");
  }
  if (self->signal_clean_up_) self->signal_clean_up_();
  self->finish(self->joined_ && self->signal_status_ ? *self->signal_status_ : 128 + signum);
}

void SessionRun::finish(int status) {
  if (finishing_) return;
  finishing_ = true;
  status_ = status;
  uv_close(reinterpret_cast<uv_handle_t*>(&interrupt_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&terminate_), nullptr);
  if (timer_initialized_) uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  client_->close([] {});
}

void SessionRun::after(std::chrono::milliseconds delay, std::function<void()> action) {
  if (finishing_) return;
  if (!timer_initialized_) {
    uv_timer_init(&loop_, &timer_);
    timer_.data = this;
    timer_initialized_ = true;
  }
  timer_action_ = std::move(action);
  uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(delay.count()), 0);
}

void SessionRun::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<SessionRun*>(timer->data);
  if (self->finishing_) return;
  // The action may call after() again, which replaces it.
  std::function<void()> action = std::move(self->timer_action_);
  action();
}

int SessionRun::status_for(const WampError& error) noexcept {
  // Timed out and canceled read the same whoever ended the call: this client, the router or
  // the callee (caller.cpp turns their URIs into these codes).
  if (error.code == client_errc::timed_out && error.uri == "wamp.error.timeout") {
    return exit_timed_out;
  }
  if (error.code == client_errc::canceled) return exit_canceled;
  if (error.code == client_errc::wamp_error) return exit_wamp_error;
  if (error.code == client_errc::invalid_argument) return exit_usage;
  return exit_no_session;
}

void SessionRun::fail(const std::string& what, const WampError& error) {
  if (error.code == client_errc::wamp_error) {
    Result<std::string> payload = to_json_line(payload_json(error.args, error.kwargs));
    std::fprintf(stderr, "uvwamp %s: %s: %s %s", verb_, what.c_str(), error.uri.c_str(),
                 payload ? payload.value().c_str() : "(its payload has no JSON form)\n");
    finish(exit_wamp_error);
    return;
  }
  std::fprintf(stderr, "uvwamp %s: %s: %s\n", verb_, what.c_str(),
               describe_local_error(error).c_str());
  finish(status_for(error));
}

bool SessionRun::print(const Value& value) {
  Result<std::string> line = to_json_line(value);
  if (!line) {
    std::fprintf(stderr, "uvwamp %s: cannot print the answer as JSON: %s\n", verb_,
                 line.error().message.c_str());
    return false;
  }
  const std::string& text = line.value();
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    std::fprintf(stderr, "uvwamp %s: cannot write to standard output: %s\n", verb_,
                 std::strerror(errno));
    finish(exit_invalid_input);
    return false;
  }
  return true;
}

}  // namespace uvwamp::cli
