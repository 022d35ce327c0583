#include "session/callee.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <utility>

#include "session/uri.hpp"

namespace uvwamp {
namespace {

constexpr const char* runtime_error_uri = "wamp.error.runtime_error";
constexpr const char* canceled_uri = "wamp.error.canceled";
constexpr const char* timeout_uri = "wamp.error.timeout";

UriPattern uri_pattern(MatchPolicy match) {
  switch (match) {
    case MatchPolicy::exact:
      return UriPattern::none;
    case MatchPolicy::prefix:
      return UriPattern::prefix;
    case MatchPolicy::wildcard:
      return UriPattern::wildcard;
  }
  return UriPattern::none;
}

bool flag(const Value::Object& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) return false;
  auto value = found->second.to_bool();
  return value.ok() && value.value();
}

std::string text(const Value::Object& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) return {};
  const std::string* value = found->second.if_string();
  return value ? *value : std::string();
}

std::optional<Id> revoked_id(const Value::Object& details) {
  auto found = details.find("registration");
  if (found == details.end()) return std::nullopt;
  auto id = found->second.to_uint64();
  if (!id) return std::nullopt;
  return id.value();
}

std::chrono::milliseconds positive_milliseconds(const Value::Object& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end()) return std::chrono::milliseconds::zero();
  auto count = found->second.to_int64();
  if (!count.ok() || count.value() <= 0) return std::chrono::milliseconds::zero();
  return std::chrono::milliseconds(count.value());
}

// INTERRUPT.Options: a mode of kill or killnowait (both routers read a CANCEL without one as
// killnowait), and a reason when the router gives one.
Interrupt interrupt_of(const Value::Object& options) {
  Interrupt what;
  if (parse_cancel_mode(text(options, "mode")) == CancelMode::kill) what.mode = CancelMode::kill;
  what.reason = text(options, "reason");
  return what;
}

std::string invocation_of(const std::string& procedure) {
  return "the invocation of '" + procedure + "'";
}

}  // namespace

Callee::~Callee() {
  for (auto& [id, record] : invocations_) {
    record->callee = nullptr;
  }
}

void Callee::register_procedure(std::string procedure, RegisterOptions options,
                                InvocationHandler on_invocation, RegisterHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  if (!is_valid_uri(procedure, uri_pattern(options.match))) {
    return core_.complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
  }
  // A router gives a session that registers a shared procedure twice the one registration id
  // twice, and its invocations could not tell the two handlers apart. The refusal carries the URI
  // a router refuses a taken procedure with, whatever the invocation policy.
  if (holds(procedure, options.match)) {
    WampError taken = local_error(client_errc::invalid_argument,
                                  "this session registered '" + procedure +
                                      "' already; a second callee of a shared registration needs "
                                      "a session of its own");
    taken.uri = "wamp.error.procedure_already_exists";
    return core_.complete_later(std::move(handler), std::move(taken));
  }
  Value::Object message_options = std::move(options.extra);
  for (const char* typed :
       {"match", "invoke", "concurrency", "disclose_caller", "forward_timeout"}) {
    message_options.erase(typed);
  }
  if (options.match != MatchPolicy::exact)
    message_options["match"] = std::string(wamp_name(options.match));
  if (options.invoke != InvokePolicy::single) {
    message_options["invoke"] = std::string(wamp_name(options.invoke));
  }
  if (options.concurrency > 0) {
    message_options["concurrency"] = static_cast<std::int64_t>(options.concurrency);
  }
  if (options.disclose_caller) message_options["disclose_caller"] = true;
  if (options.forward_timeout) message_options["forward_timeout"] = true;
  PendingRegister request;
  request.registration.local_id = next_local_id_;
  request.registration.procedure = std::move(procedure);
  request.registration.match = options.match;
  request.registration.options = std::move(message_options);
  request.registration.timeout = options.timeout.value_or(std::chrono::milliseconds{0});
  request.registration.handler =
      std::make_shared<const InvocationHandler>(std::move(on_invocation));
  request.registration.on_revoked = std::move(options.on_revoked);
  request.registration.times_invocations = options.forward_timeout;
  request.handler = std::move(handler);
  if (auto failed = send_register(request)) {
    return core_.complete_later(std::move(request.handler), std::move(*failed));
  }
  ++next_local_id_;
}

std::optional<WampError> Callee::send_register(PendingRegister& request) {
  const RegistrationRecord& registration = request.registration;
  auto sent = core_.send_request([&](Id id) {
    return msg::Register{id, registration.options, registration.procedure};
  });
  if (!sent) return sent.error();
  request_deadlines_.arm(*sent, core_.now(), registration.timeout);
  registering_.emplace(*sent, std::move(request));
  return std::nullopt;
}

void Callee::restore() {
  for (RegistrationRecord& record : std::exchange(kept_, {})) {
    PendingRegister request;
    request.registration = std::move(record);
    request.restoring = true;
    auto failed = send_register(request);
    if (!failed) {
      core_.restore_sent();
    } else if (failed->code == client_errc::transport_lost) {
      // The connection went under the restore; the next one tries again.
      kept_.push_back(std::move(request.registration));
    } else {
      const RegistrationRecord& lost = request.registration;
      core_.restore_failed(
          RestoreFailure{Registration{0, lost.procedure, lost.local_id}, std::move(*failed)});
    }
  }
}

bool Callee::holds(const std::string& procedure, MatchPolicy match) const {
  auto same = [&](const RegistrationRecord& record) {
    return record.procedure == procedure && record.match == match && !record.unregistering;
  };
  for (const auto& [id, record] : registrations_) {
    if (same(record)) return true;
  }
  for (const auto& [id, request] : registering_) {
    if (!request.abandoned && same(request.registration)) return true;
  }
  return false;
}

bool Callee::drop_kept(std::uint64_t local_id) {
  auto kept = std::find_if(kept_.begin(), kept_.end(), [&](const RegistrationRecord& record) {
    return record.local_id == local_id;
  });
  if (kept == kept_.end()) return false;
  kept_.erase(kept);
  return true;
}

bool Callee::withdraw_restore(std::uint64_t local_id) {
  for (auto& [id, request] : registering_) {
    if (!request.restoring || request.registration.local_id != local_id) continue;
    request.restoring = false;
    request.abandoned = true;
    core_.restore_settled();
    return true;
  }
  return false;
}

void Callee::unregister(const Registration& registration, DoneHandler handler,
                        std::chrono::milliseconds timeout) {
  // A registration kept for the next epoch, or whose restore is under way, goes without a word
  // to the router, which holds nothing of it (or unregisters it once it answers).
  if (drop_kept(registration.local_id) ||
      (core_.established() && withdraw_restore(registration.local_id))) {
    return core_.complete_later(std::move(handler), WampStatus{});
  }
  if (!core_.refuse_unless_joined(handler)) return;
  auto record = std::find_if(registrations_.begin(), registrations_.end(), [&](const auto& held) {
    return held.second.local_id == registration.local_id;
  });
  if (registration.local_id == 0 || record == registrations_.end() ||
      record->second.unregistering) {
    return core_.complete_later(
        std::move(handler),
        local_error(client_errc::invalid_argument,
                    "the registration of '" + registration.procedure +
                        "' is not active (unregistered, revoked, not restored, or from a session "
                        "that ended)"));
  }
  const Id router_id = record->first;
  auto sent = core_.send_request([&](Id id) { return msg::Unregister{id, router_id}; });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  request_deadlines_.arm(*sent, core_.now(), timeout);
  unregistering_.emplace(
      *sent, PendingUnregister{record->second.procedure, std::move(handler), router_id, timeout});
  // Dropped only now, so that a failed UNREGISTER leaves the registration as it was.
  record->second.handler.reset();
  record->second.on_revoked = nullptr;
  record->second.unregistering = true;
}

void Callee::unregister_abandoned(Id id, RegistrationRecord& record) {
  record.handler.reset();
  record.on_revoked = nullptr;
  record.unregistering = true;
  auto sent = core_.send_request([&](Id request) { return msg::Unregister{request, id}; });
  // Unsent, the record stays as it is: its invocations are refused until the session ends.
  if (sent) unregistering_.emplace(*sent, PendingUnregister{record.procedure, nullptr, id, {}});
}

void Callee::on(msg::Registered& registered) {
  // Checked first, so that the request is still pending and fails with the session.
  if (registrations_.count(registered.registration)) {
    return core_.violation("REGISTERED gives registration " +
                           std::to_string(registered.registration) + ", which is already in use");
  }
  auto request = take_pending(registering_, registered.request);
  if (!request) {
    return core_.violation(
        no_pending(msg::Type::registered, registered.request, msg::Type::register_));
  }
  request_deadlines_.disarm(registered.request);
  RegistrationRecord& record =
      registrations_.emplace(registered.registration, std::move(request->registration))
          .first->second;
  if (request->abandoned) return unregister_abandoned(registered.registration, record);
  const Registration handle{registered.registration, record.procedure, record.local_id};
  if (request->restoring) {
    core_.restored(handle);
    return core_.restore_settled();
  }
  core_.complete(request->handler, handle);
}

void Callee::on(msg::Unregistered& unregistered) {
  if (unregistered.request == 0) {
    // Revoked: the registration is gone, and its callee told why, unless it was going anyway.
    // Invocations already under way may still be answered.
    auto id = revoked_id(unregistered.details);
    if (!id) return;
    auto found = registrations_.find(*id);
    if (found == registrations_.end()) return;
    RegistrationRecord revoked = std::move(found->second);
    registrations_.erase(found);
    if (!revoked.on_revoked) return;
    const Registration registration{*id, revoked.procedure, revoked.local_id};
    const std::string reason = text(unregistered.details, "reason");
    core_.guarded([&] { revoked.on_revoked(registration, reason); });
    return;
  }
  auto request = take_pending(unregistering_, unregistered.request);
  if (!request) {
    return core_.violation(
        no_pending(msg::Type::unregistered, unregistered.request, msg::Type::unregister));
  }
  request_deadlines_.disarm(unregistered.request);
  registrations_.erase(request->registration);
  core_.complete(request->handler, WampStatus{});
}

void Callee::on_error(msg::Error& error) {
  if (error.request_type == msg::Type::register_) {
    auto request = take_pending(registering_, error.request);
    if (!request) {
      return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::register_));
    }
    request_deadlines_.disarm(error.request);
    if (request->abandoned) return;
    const RegistrationRecord& registration = request->registration;
    WampError failed =
        remote_error(describe_request(msg::Type::register_, registration.procedure) + " failed",
                     std::move(error.error), std::move(error.args), std::move(error.kwargs),
                     std::move(error.details));
    if (request->restoring) {
      core_.restore_failed(RestoreFailure{
          Registration{0, registration.procedure, registration.local_id}, std::move(failed)});
      return core_.restore_settled();
    }
    return core_.complete(request->handler, std::move(failed));
  }
  auto request = take_pending(unregistering_, error.request);
  if (!request) {
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::unregister));
  }
  request_deadlines_.disarm(error.request);
  // The router refused to unregister: the registration is gone for us all the same.
  registrations_.erase(request->registration);
  core_.complete(
      request->handler,
      remote_error(describe_request(msg::Type::unregister, request->procedure) + " failed",
                   std::move(error.error), std::move(error.args), std::move(error.kwargs),
                   std::move(error.details)));
}

void Callee::on(msg::Invocation& invocation) {
  if (auto live = invocations_.find(invocation.request); live != invocations_.end()) {
    RecordPtr record = live->second;
    if (!record->input_open) {
      return core_.violation("INVOCATION with request " + std::to_string(invocation.request) +
                             ", which names an unanswered invocation");
    }
    return take_input(record, invocation);
  }
  // Progressive input the router sent on after the invocation was answered.
  if (finished_inputs_.contains(invocation.request)) return;
  auto registration = registrations_.find(invocation.registration);
  if (registration == registrations_.end()) {
    return core_.violation("INVOCATION for registration " +
                           std::to_string(invocation.registration) +
                           ", which this session does not have");
  }
  if (registration->second.unregistering) {
    (void)core_.send(msg::Error{
        msg::Type::invocation, invocation.request, {}, "wamp.error.no_such_registration", {}, {}});
    return;
  }
  auto record = std::make_shared<detail::InvocationRecord>();
  record->callee = this;
  record->request = invocation.request;
  record->registered_procedure = registration->second.procedure;
  record->receive_progress = flag(invocation.details, "receive_progress");
  record->input_open = flag(invocation.details, "progress");
  if (registration->second.times_invocations) {
    record->timeout = positive_milliseconds(invocation.details, "timeout");
  }
  invocations_.emplace(invocation.request, record);
  deadlines_.arm(record->request, core_.now(), record->timeout);
  std::shared_ptr<const InvocationHandler> handler = registration->second.handler;
  Invocation call = detail::InvocationRecord::make_invocation(record, invocation);

  const detail::InvocationRecord* outer_dispatching = std::exchange(dispatching_, record.get());
  const int outer_uncaught = std::exchange(uncaught_at_dispatch_, std::uncaught_exceptions());
  auto restore = [&] {
    dispatching_ = outer_dispatching;
    uncaught_at_dispatch_ = outer_uncaught;
  };
  try {
    (*handler)(std::move(call));
  } catch (const std::exception& e) {
    restore();
    answer_thrown(record, e.what());
    return;
  } catch (...) {
    restore();
    answer_thrown(record, "the invocation handler threw an exception that is not a std::exception");
    core_.report(std::current_exception());
    return;
  }
  restore();
}

void Callee::take_input(const RecordPtr& record, msg::Invocation& chunk) {
  InvocationInput input{std::move(chunk.args), std::move(chunk.kwargs),
                        flag(chunk.details, "progress")};
  record->input_open = input.more;
  if (!record->on_input) {
    record->input.push_back(std::move(input));
    return;
  }
  InputHandler handler = record->on_input;
  core_.guarded([&] { handler(std::move(input)); });
}

void Callee::on(msg::Interrupt& interrupt_message) {
  auto live = invocations_.find(interrupt_message.request);
  // An INTERRUPT crossing the answer, or for no invocation of ours: nothing to stop.
  if (live == invocations_.end()) return;
  RecordPtr record = live->second;
  interrupt(record, interrupt_of(interrupt_message.options));
}

void Callee::interrupt(const RecordPtr& record, Interrupt what) {
  if (record->interrupt) return;
  record->interrupt = what;
  record->canceled->store(true, std::memory_order_release);
  if (InterruptHandler handler = record->on_interrupt) core_.guarded([&] { handler(what); });
  // The handler answered, or ended the session.
  if (record->callee != this) return;
  const bool timed_out = what.reason == timeout_uri;
  const std::string sentence =
      invocation_of(record->registered_procedure) +
      (timed_out ? " timed out" : " was interrupted: the call was canceled");
  (void)finish(record, msg::Error{msg::Type::invocation,
                                  record->request,
                                  {},
                                  timed_out ? timeout_uri : canceled_uri,
                                  {sentence},
                                  {}});
}

bool Callee::finish(const RecordPtr& record, const msg::Message& answer) {
  if (record->callee != this || !core_.established()) return false;
  if (core_.send(answer)) return false;
  record->answered = true;
  retire(record);
  return true;
}

void Callee::retire(const RecordPtr& record) {
  const RecordPtr keep = record;
  deadlines_.disarm(keep->request);
  invocations_.erase(keep->request);
  if (keep->input_open) finished_inputs_.add(keep->request);
  keep->callee = nullptr;
  // Last: the handlers may hold the Invocation, which finds nothing to answer through by now.
  keep->on_interrupt = nullptr;
  keep->on_input = nullptr;
  keep->input.clear();
}

bool Callee::yield(const RecordPtr& record, Value::Array args, Value::Object kwargs) {
  return finish(record, msg::Yield{record->request, {}, std::move(args), std::move(kwargs)});
}

bool Callee::error(const RecordPtr& record, std::string uri, Value::Array args,
                   Value::Object kwargs) {
  if (!is_valid_uri(uri)) return false;
  return finish(record, msg::Error{msg::Type::invocation,
                                   record->request,
                                   {},
                                   std::move(uri),
                                   std::move(args),
                                   std::move(kwargs)});
}

WampStatus Callee::progress(const RecordPtr& record, Value::Array args, Value::Object kwargs) {
  if (!record->receive_progress) {
    return local_error(client_errc::invalid_argument,
                       "the caller of '" + record->registered_procedure +
                           "' did not ask for progressive results (receive_progress)");
  }
  if (!core_.established()) {
    return local_error(client_errc::session_ended, "the session of the invocation is over");
  }
  if (auto failed = core_.send(
          msg::Yield{record->request, {{"progress", true}}, std::move(args), std::move(kwargs)})) {
    return std::move(*failed);
  }
  // With progressive results the timeout counts from the last one.
  deadlines_.arm(record->request, core_.now(), record->timeout);
  return {};
}

void Callee::dropped(const RecordPtr& record) {
  if (record.get() == dispatching_ && std::uncaught_exceptions() > uncaught_at_dispatch_) {
    return;
  }
  // Dropped by its interrupt handler: the interruption answers it once the handler returned.
  if (record->interrupt) return;
  (void)error(record, runtime_error_uri,
              {invocation_of(record->registered_procedure) + " was dropped unanswered"}, {});
}

void Callee::answer_thrown(const RecordPtr& record, const std::string& what) {
  if (record->callee != this) return;
  if (error(record, runtime_error_uri, {what}, {})) return;
  // The exception's text may be what cannot be sent (not UTF-8, say).
  (void)error(record, runtime_error_uri,
              {"the invocation handler threw an exception whose text cannot be sent"}, {});
}

std::optional<TimePoint> Callee::next_deadline() const {
  std::optional<TimePoint> invocation = deadlines_.next();
  std::optional<TimePoint> request = request_deadlines_.next();
  if (!invocation) return request;
  if (!request) return invocation;
  return std::min(*invocation, *request);
}

void Callee::expire(TimePoint now) {
  while (std::optional<Id> due = deadlines_.take_due(now)) {
    RecordPtr record = invocations_.at(*due);
    interrupt(record, Interrupt{CancelMode::killnowait, timeout_uri});
  }
  Callbacks completions;
  while (std::optional<Id> due = request_deadlines_.take_due(now)) {
    expire_request(*due, completions);
  }
  core_.run(completions);
}

void Callee::expire_request(Id request, Callbacks& completions) {
  if (auto registering = registering_.find(request); registering != registering_.end()) {
    PendingRegister& pending = registering->second;
    const RegistrationRecord& registration = pending.registration;
    WampError timed_out = timed_out_error(
        describe_request(msg::Type::register_, registration.procedure), registration.timeout);
    if (pending.restoring) {
      pending.restoring = false;
      core_.restore_failed(RestoreFailure{
          Registration{0, registration.procedure, registration.local_id}, std::move(timed_out)});
      core_.restore_settled();
    } else {
      completions.push_back(
          SessionCore::completion(std::exchange(pending.handler, nullptr), std::move(timed_out)));
    }
    pending.abandoned = true;
    return;
  }
  PendingUnregister& pending = unregistering_.at(request);
  completions.push_back(SessionCore::completion(
      std::exchange(pending.handler, nullptr),
      timed_out_error(describe_request(msg::Type::unregister, pending.procedure),
                      pending.timeout)));
}

void Callee::end_epoch(const WampError& why, bool keep, Callbacks& completions) {
  deadlines_.clear();
  request_deadlines_.clear();
  finished_inputs_.clear();
  // A live invocation can be answered no more: its handler, which may still be working (on a
  // worker thread, say), is told as if the router had interrupted it, with the session's end as
  // the reason.
  for (auto& [id, record] : std::exchange(invocations_, {})) {
    record->callee = nullptr;
    record->session_ended = true;
    record->on_input = nullptr;
    record->input.clear();
    if (record->interrupt) {
      record->on_interrupt = nullptr;
      continue;
    }
    const Interrupt what{CancelMode::killnowait, why.uri};
    record->interrupt = what;
    record->canceled->store(true, std::memory_order_release);
    if (InterruptHandler handler = std::exchange(record->on_interrupt, nullptr)) {
      completions.push_back(SessionCore::completion(std::move(handler), what));
    }
  }
  if (!keep) kept_.clear();
  for (auto& [id, request] : std::exchange(registering_, {})) {
    // A restore cut short is kept for the next one; its report fails with the epoch.
    if (request.restoring) {
      if (keep) kept_.push_back(std::move(request.registration));
      continue;
    }
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, request] : std::exchange(unregistering_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, record] : std::exchange(registrations_, {})) {
    if (keep && !record.unregistering) kept_.push_back(std::move(record));
  }
}

}  // namespace uvwamp
