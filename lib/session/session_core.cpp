#include "session/session_core.hpp"

#include <uvwamp/transport_error.hpp>

#include "session/uri.hpp"

namespace uvwamp {

void SessionCore::start_epoch() {
  ++epoch_;
  state_ = State::establishing;
  dealer_ = {};
  next_request_ = 1;
}

std::optional<WampError> SessionCore::send(const msg::Message& message) {
  Status sent = link_.send(message);
  if (sent) return std::nullopt;
  const Error& error = sent.error();
  // Only a connection that is gone, or found gone, makes a message unsendable for a reason not
  // its own; too large, a payload the serializer cannot write, or no room in the write queue
  // (the message alone may exceed it) are the request's.
  const bool gone =
      error.code == transport_errc::not_open || error.code == transport_errc::connection_closed;
  const client_errc code = gone ? client_errc::transport_lost
                           : error.code == transport_errc::message_too_large
                               ? client_errc::payload_size_exceeded
                               : client_errc::invalid_argument;
  const std::string why = error.message.empty() ? error.code.message() : error.message;
  return local_error(code,
                     std::string(msg::type_name(msg::type_of(message))) + " not sent: " + why);
}

void SessionCore::report(std::exception_ptr exception) noexcept {
  try {
    listener_.on_handler_exception(std::move(exception));
  } catch (...) {
    // The owner's report failed too; there is nobody left to tell.
  }
}

void SessionCore::run(Callbacks& callbacks) noexcept {
  Run run{&callbacks, 0};
  runs_.push_back(&run);
  while (run.next < callbacks.size()) {
    std::function<void()> callback = std::move(callbacks[run.next++]);
    guarded(callback);
  }
  runs_.pop_back();
}

void SessionCore::run_remaining() noexcept {
  // Innermost first: its callbacks were due before the rest of the runs that enclose it. By
  // index, since a callback may start (and finish) a run of its own.
  for (std::size_t index = runs_.size(); index-- > 0;) {
    Run& run = *runs_[index];
    while (run.next < run.callbacks->size()) {
      std::function<void()> callback = std::move((*run.callbacks)[run.next++]);
      guarded(callback);
    }
  }
}

void SessionCore::restore_settled() {
  if (restore_awaited_ > 0) --restore_awaited_;
  if (restore_sending_ || restore_awaited_ > 0 || !on_restored_) return;
  RestoreHandler handler = std::exchange(on_restored_, nullptr);
  complete(handler, std::exchange(restore_report_, {}));
}

void SessionCore::end_restore_sending() {
  restore_sending_ = false;
  if (restore_awaited_ > 0 || !on_restored_) return;
  complete_later(std::exchange(on_restored_, nullptr), std::exchange(restore_report_, {}));
}

void SessionCore::forget_kept() {
  for (SessionRole* role : roles_) {
    role->forget_kept();
  }
}

void SessionCore::end_roles(const WampError& why, bool keep, Callbacks& callbacks) {
  for (SessionRole* role : roles_) {
    role->end_epoch(why, keep, callbacks);
  }
  if (!on_restored_) return;
  restore_sending_ = false;
  restore_awaited_ = 0;
  restore_report_ = {};
  callbacks.push_back(completion(std::exchange(on_restored_, nullptr), why));
}

Callbacks SessionCore::end_epoch(const WampError& why) {
  state_ = State::closed;
  Callbacks callbacks;
  end_roles(why, keep_for_restore_, callbacks);
  if (on_left_) callbacks.push_back(completion(std::exchange(on_left_, nullptr), why));
  return callbacks;
}

void SessionCore::run_ending(const WampError& why) {
  Callbacks callbacks = end_epoch(why);
  run(callbacks);
}

void SessionCore::violation(const std::string& what) {
  msg::Abort abort;
  abort.details["message"] = what;
  abort.reason = "wamp.error.protocol_violation";
  (void)send(abort);
  const WampError why =
      local_error(client_errc::protocol_violation, "the router broke the protocol: " + what);
  run_ending(why);
  listener_.on_session_ended(why);
}

void SessionCore::ended_by_router(const WampError& why) {
  run_ending(local_error(client_errc::session_ended,
                         "the session ended before the answer came: " + why.message));
  listener_.on_session_ended(why);
}

void SessionCore::leave(std::string reason, LeaveHandler handler) {
  if (!refuse_unless_joined(handler)) return;
  if (!is_valid_uri(reason)) {
    return complete_later(std::move(handler), invalid_uri("GOODBYE reason", reason));
  }
  if (auto failed = send(msg::Goodbye{{}, std::move(reason)})) {
    return complete_later(std::move(handler), std::move(*failed));
  }
  state_ = State::leaving;
  on_left_ = std::move(handler);
  const WampError why =
      local_error(client_errc::session_ended, "the session was left before the answer came");
  Callbacks callbacks;
  // Leaving is the application's choice: nothing is kept to restore.
  end_roles(why, false, callbacks);
  forget_kept();
  for (auto& callback : callbacks) {
    defer(std::move(callback));
  }
}

void SessionCore::on(msg::Goodbye& goodbye) {
  (void)send(msg::Goodbye{{}, "wamp.close.goodbye_and_out"});
  ended_by_router(remote_error("the router closed the session", std::move(goodbye.reason), {}, {},
                               std::move(goodbye.details)));
}

void SessionCore::on(msg::Abort& abort) {
  WampError why = remote_error("the router aborted the session", std::move(abort.reason), {}, {},
                               std::move(abort.details));
  if (state_ == State::establishing) return run_ending(why);
  ended_by_router(why);
}

void SessionCore::receive_while_leaving(msg::Message& message) {
  if (auto* goodbye = std::get_if<msg::Goodbye>(&message)) {
    // leave() already failed what was pending.
    state_ = State::closed;
    LeaveHandler handler = std::exchange(on_left_, nullptr);
    complete(handler, std::move(goodbye->reason));
  } else if (auto* abort = std::get_if<msg::Abort>(&message)) {
    run_ending(remote_error("the router aborted the session", std::move(abort->reason), {}, {},
                            std::move(abort->details)));
  }
}

std::string no_pending(msg::Type answer, Id request, msg::Type request_type) {
  const std::string type(msg::type_name(request_type));
  const std::string what = answer == msg::Type::error
                               ? "ERROR for " + type + " request"
                               : std::string(msg::type_name(answer)) + " for request";
  return what + " " + std::to_string(request) + ", which is no pending " + type;
}

}  // namespace uvwamp
