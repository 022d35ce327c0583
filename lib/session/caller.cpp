#include "session/caller.hpp"

#include <utility>

#include "session/uri.hpp"

namespace uvwamp {

void Caller::call(std::string procedure, Value::Array args, Value::Object kwargs,
                  CallOptions options, CallHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  if (!is_valid_uri(procedure)) {
    return core_.complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
  }
  auto sent = core_.send_request([&](Id id) {
    return msg::Call{id, std::move(options.extra), procedure, std::move(args), std::move(kwargs)};
  });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  calls_.emplace(*sent, CallRecord{std::move(procedure), std::move(handler)});
}

void Caller::on(msg::Result& result) {
  auto call = take_pending(calls_, result.request);
  if (!call) {
    return core_.violation(no_pending(msg::Type::result, result.request, msg::Type::call));
  }
  SessionCore::complete(call->handler, CallResult{std::move(result.args), std::move(result.kwargs),
                                                  std::move(result.details)});
}

void Caller::on_error(msg::Error& error) {
  auto call = take_pending(calls_, error.request);
  if (!call) return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::call));
  SessionCore::complete(call->handler,
                        remote_error(describe_request(msg::Type::call, call->procedure) + " failed",
                                     std::move(error.error), std::move(error.args),
                                     std::move(error.kwargs), std::move(error.details)));
}

void Caller::end_epoch(const WampError& why, Callbacks& completions) {
  for (auto& [id, call] : std::exchange(calls_, {})) {
    completions.push_back(SessionCore::completion(std::move(call.handler), why));
  }
}

}  // namespace uvwamp
