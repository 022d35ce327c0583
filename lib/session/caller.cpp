#include "session/caller.hpp"

#include <algorithm>
#include <utility>

#include "session/uri.hpp"

namespace uvwamp {
namespace {

bool is_progressive(const Value::Object& details) {
  auto progress = details.find("progress");
  if (progress == details.end()) return false;
  auto flag = progress->second.to_bool();
  return flag.ok() && flag.value();
}

std::string quoted(const std::string& procedure) {
  return "the call of '" + procedure + "'";
}

}  // namespace

CallRequest Caller::call(std::string procedure, Value::Array args, Value::Object kwargs,
                         CallOptions options, CallHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return {};
  if (!is_valid_uri(procedure)) {
    core_.complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
    return {};
  }
  if (options.progress && !core_.dealer().progressive_call_invocations) {
    core_.complete_later(
        std::move(handler),
        local_error(client_errc::not_supported,
                    quoted(procedure) +
                        " cannot send its input in chunks: the router does not announce "
                        "progressive_call_invocations"));
    return {};
  }
  const std::chrono::milliseconds timeout =
      std::max(options.timeout.value_or(std::chrono::milliseconds::zero()),
               std::chrono::milliseconds::zero());
  Value::Object message_options = std::move(options.extra);
  for (const char* typed : {"receive_progress", "progress", "disclose_me", "timeout"}) {
    message_options.erase(typed);
  }
  if (options.on_progress) message_options["receive_progress"] = true;
  if (options.progress) message_options["progress"] = true;
  if (options.disclose_me) message_options["disclose_me"] = true;
  // Only a dealer that announces call_timeout gets the option: Crossbar announces none and
  // reads it as seconds. The timer here keeps the time on every router.
  if (timeout.count() > 0 && core_.dealer().call_timeout) {
    message_options["timeout"] = static_cast<std::int64_t>(timeout.count());
  }
  auto sent = core_.send_request([&](Id id) {
    return msg::Call{id, std::move(message_options), procedure, std::move(args), std::move(kwargs)};
  });
  if (!sent) {
    core_.complete_later(std::move(handler), sent.error());
    return {};
  }
  CallRecord& record = calls_[*sent];
  record.procedure = std::move(procedure);
  record.handler = std::move(handler);
  if (options.on_progress) {
    record.on_progress = std::make_shared<const ProgressHandler>(std::move(options.on_progress));
  }
  record.timeout = timeout;
  record.input_open = options.progress;
  deadlines_.arm(*sent, core_.now(), timeout);
  return CallRequest{*sent, core_.epoch()};
}

Caller::CallRecord* Caller::find(const CallRequest& call) {
  if (call.session_epoch != core_.epoch()) return nullptr;
  auto found = calls_.find(call.request_id);
  return found == calls_.end() ? nullptr : &found->second;
}

CallHandler Caller::abandon(Id request) {
  auto found = calls_.find(request);
  deadlines_.disarm(request);
  CallHandler handler = std::move(found->second.handler);
  calls_.erase(found);
  abandoned_.add(request);
  return handler;
}

WampStatus Caller::cancel(const CallRequest& call, CancelMode mode) {
  CallRecord* record = find(call);
  if (record == nullptr) {
    return local_error(client_errc::invalid_argument,
                       "the call is not in flight: it completed, was canceled, or belongs to "
                       "another session");
  }
  std::string why =
      quoted(record->procedure) + " was canceled (" + std::string(wamp_name(mode)) + ")";
  if (core_.dealer().call_canceling) {
    const bool sent =
        !core_.send(msg::Cancel{call.request_id, {{"mode", std::string(wamp_name(mode))}}})
             .has_value();
    // The router answers kill once the callee did; it may also send a result that won the race.
    if (sent && mode == CancelMode::kill) return {};
  } else {
    why += "; the router does not announce call_canceling, so the callee was not told";
  }
  core_.complete_later(abandon(call.request_id), local_error(client_errc::canceled, why));
  return {};
}

WampStatus Caller::continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                                 bool progress) {
  CallRecord* record = find(call);
  if (record == nullptr) {
    return local_error(client_errc::invalid_argument,
                       "the call is not in flight: it completed, was canceled, or belongs to "
                       "another session");
  }
  if (!record->input_open) {
    return local_error(client_errc::invalid_argument,
                       quoted(record->procedure) +
                           " takes no more input: it was not made with CallOptions::progress, "
                           "or its last chunk went");
  }
  Value::Object options;
  if (progress) options["progress"] = true;
  if (auto failed = core_.send(msg::Call{call.request_id, std::move(options), record->procedure,
                                         std::move(args), std::move(kwargs)})) {
    return std::move(*failed);
  }
  record->input_open = progress;
  return {};
}

void Caller::on(msg::Result& result) {
  auto found = calls_.find(result.request);
  if (found == calls_.end()) {
    if (abandoned_.contains(result.request)) return;
    return core_.violation(no_pending(msg::Type::result, result.request, msg::Type::call));
  }
  CallRecord& record = found->second;
  if (is_progressive(result.details)) {
    // A router may send progressive results to a call that did not ask (Crossbar and nexus
    // forward whatever the callee yields); they are not the final one, so they are dropped.
    if (!record.on_progress) return;
    deadlines_.arm(result.request, core_.now(), record.timeout);
    std::shared_ptr<const ProgressHandler> handler = record.on_progress;
    const CallResult progress{std::move(result.args), std::move(result.kwargs),
                              std::move(result.details)};
    core_.guarded([&] { (*handler)(progress); });
    return;
  }
  deadlines_.disarm(result.request);
  CallHandler handler = std::move(record.handler);
  calls_.erase(found);
  core_.complete(handler, CallResult{std::move(result.args), std::move(result.kwargs),
                                     std::move(result.details)});
}

void Caller::on_error(msg::Error& error) {
  auto found = calls_.find(error.request);
  if (found == calls_.end()) {
    if (abandoned_.contains(error.request)) return;
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::call));
  }
  deadlines_.disarm(error.request);
  CallRecord record = std::move(found->second);
  calls_.erase(found);
  WampError failed = remote_error(describe_request(msg::Type::call, record.procedure) + " failed",
                                  std::move(error.error), std::move(error.args),
                                  std::move(error.kwargs), std::move(error.details));
  // Canceled and timed out read the same whoever ended the call: the router, the callee or
  // this session.
  if (failed.uri == "wamp.error.canceled") failed.code = client_errc::canceled;
  if (failed.uri == "wamp.error.timeout") failed.code = client_errc::timed_out;
  core_.complete(record.handler, std::move(failed));
}

std::optional<TimePoint> Caller::next_deadline() const {
  return deadlines_.next();
}

void Caller::expire(TimePoint now) {
  Callbacks completions;
  while (std::optional<Id> due = deadlines_.take_due(now)) {
    const Id request = *due;
    const CallRecord& record = calls_.at(request);
    WampError timed_out =
        local_error(client_errc::timed_out, quoted(record.procedure) + " did not complete within " +
                                                std::to_string(record.timeout.count()) + " ms");
    timed_out.uri = "wamp.error.timeout";
    if (core_.dealer().call_canceling) {
      (void)core_.send(
          msg::Cancel{request, {{"mode", std::string(wamp_name(CancelMode::killnowait))}}});
    }
    completions.push_back(SessionCore::completion(abandon(request), std::move(timed_out)));
  }
  core_.run(completions);
}

void Caller::end_epoch(const WampError& why, bool /*keep*/, Callbacks& completions) {
  deadlines_.clear();
  abandoned_.clear();
  for (auto& [id, call] : std::exchange(calls_, {})) {
    completions.push_back(SessionCore::completion(std::move(call.handler), why));
  }
}

}  // namespace uvwamp
