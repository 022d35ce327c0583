#include "session/callee.hpp"

#include <exception>
#include <optional>
#include <utility>

#include "session/uri.hpp"

namespace uvwamp {
namespace {

constexpr const char* runtime_error_uri = "wamp.error.runtime_error";

bool is_wildcard_pattern(const Value::Object& options) {
  auto match = options.find("match");
  if (match == options.end()) return false;
  const std::string* policy = match->second.if_string();
  return policy != nullptr && *policy == "wildcard";
}

std::optional<Id> revoked_id(const Value::Object& details) {
  auto found = details.find("registration");
  if (found == details.end()) return std::nullopt;
  auto id = found->second.to_uint64();
  if (!id) return std::nullopt;
  return id.value();
}

}  // namespace

class Callee::Answerer final : public detail::InvocationAnswerer {
 public:
  explicit Answerer(Callee& callee) : callee_(callee) {}

  bool yield(Id request, Value::Array args, Value::Object kwargs) override {
    return callee_.answer(request, msg::Yield{request, {}, std::move(args), std::move(kwargs)});
  }
  bool error(Id request, std::string uri, Value::Array args, Value::Object kwargs) override {
    return callee_.answer_error(request, std::move(uri), std::move(args), std::move(kwargs));
  }
  void dropped(Id request, const std::string& procedure) override {
    callee_.dropped(request, procedure);
  }

 private:
  Callee& callee_;
};

void Callee::register_procedure(std::string procedure, RegisterOptions options,
                                InvocationHandler on_invocation, RegisterHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  const UriPattern pattern =
      is_wildcard_pattern(options.extra) ? UriPattern::wildcard : UriPattern::none;
  if (!is_valid_uri(procedure, pattern)) {
    return core_.complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
  }
  auto sent = core_.send_request([&](Id id) {
    return msg::Register{id, std::move(options.extra), procedure};
  });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  registering_.emplace(
      *sent, PendingRegister{std::move(procedure), std::move(handler),
                             std::make_shared<const InvocationHandler>(std::move(on_invocation))});
}

void Callee::unregister(const Registration& registration, DoneHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  auto record = registrations_.end();
  if (registration.session_epoch == core_.epoch()) record = registrations_.find(registration.id);
  if (record == registrations_.end() || record->second.unregistering) {
    return core_.complete_later(
        std::move(handler),
        local_error(client_errc::invalid_argument,
                    "the registration of '" + registration.procedure +
                        "' is not active in this session (unregistered, or from another)"));
  }
  auto sent = core_.send_request([&](Id id) { return msg::Unregister{id, registration.id}; });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  unregistering_.emplace(
      *sent, PendingUnregister{record->second.procedure, std::move(handler), registration.id});
  // Dropped only now, so that a failed UNREGISTER leaves the registration as it was.
  record->second.handler.reset();
  record->second.unregistering = true;
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
  registrations_.emplace(registered.registration,
                         RegistrationRecord{request->procedure, request->on_invocation});
  SessionCore::complete(request->handler,
                        Registration{registered.registration, request->procedure, core_.epoch()});
}

void Callee::on(msg::Unregistered& unregistered) {
  if (unregistered.request == 0) {
    // The router revoked a registration; nobody asked, so nobody is told.
    if (auto id = revoked_id(unregistered.details)) registrations_.erase(*id);
    return;
  }
  auto request = take_pending(unregistering_, unregistered.request);
  if (!request) {
    return core_.violation(
        no_pending(msg::Type::unregistered, unregistered.request, msg::Type::unregister));
  }
  registrations_.erase(request->registration);
  SessionCore::complete(request->handler, WampStatus{});
}

void Callee::on_error(msg::Error& error) {
  if (error.request_type == msg::Type::register_) {
    auto request = take_pending(registering_, error.request);
    if (!request) {
      return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::register_));
    }
    return SessionCore::complete(
        request->handler,
        remote_error(describe_request(msg::Type::register_, request->procedure) + " failed",
                     std::move(error.error), std::move(error.args), std::move(error.kwargs),
                     std::move(error.details)));
  }
  auto request = take_pending(unregistering_, error.request);
  if (!request) {
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::unregister));
  }
  // The router refused to unregister: the registration is gone for us all the same.
  registrations_.erase(request->registration);
  SessionCore::complete(
      request->handler,
      remote_error(describe_request(msg::Type::unregister, request->procedure) + " failed",
                   std::move(error.error), std::move(error.args), std::move(error.kwargs),
                   std::move(error.details)));
}

void Callee::on(msg::Invocation& invocation) {
  auto record = registrations_.find(invocation.registration);
  if (record == registrations_.end()) {
    return core_.violation("INVOCATION for registration " +
                           std::to_string(invocation.registration) +
                           ", which this session does not have");
  }
  if (unanswered_invocations_.count(invocation.request)) {
    return core_.violation("INVOCATION with request " + std::to_string(invocation.request) +
                           ", which names an unanswered invocation");
  }
  if (record->second.unregistering) {
    (void)core_.send(msg::Error{
        msg::Type::invocation, invocation.request, {}, "wamp.error.no_such_registration", {}, {}});
    return;
  }
  unanswered_invocations_.insert(invocation.request);
  if (!answerer_) answerer_ = std::make_shared<Answerer>(*this);
  std::shared_ptr<const InvocationHandler> handler = record->second.handler;
  Invocation call = detail::InvocationAnswerer::make_invocation(
      answerer_, invocation.request, invocation.registration, record->second.procedure);
  call.args = std::move(invocation.args);
  call.kwargs = std::move(invocation.kwargs);
  call.details = std::move(invocation.details);

  const std::uint64_t epoch = core_.epoch();
  const Id outer_invocation = std::exchange(dispatching_invocation_, invocation.request);
  const int outer_uncaught = std::exchange(uncaught_at_dispatch_, std::uncaught_exceptions());
  auto restore = [&] {
    dispatching_invocation_ = outer_invocation;
    uncaught_at_dispatch_ = outer_uncaught;
  };
  try {
    (*handler)(std::move(call));
  } catch (const std::exception& e) {
    restore();
    answer_thrown(epoch, invocation.request, e.what());
    return;
  } catch (...) {
    // Not ours to swallow; the caller still gets an answer.
    restore();
    answer_thrown(epoch, invocation.request,
                  "the invocation handler threw an exception that is not a std::exception");
    throw;
  }
  restore();
}

bool Callee::answer(Id request, const msg::Message& message) {
  if (!core_.established() || !unanswered_invocations_.count(request)) return false;
  if (core_.send(message)) return false;
  unanswered_invocations_.erase(request);
  return true;
}

bool Callee::answer_error(Id request, std::string uri, Value::Array args, Value::Object kwargs) {
  if (!is_valid_uri(uri)) return false;
  return answer(
      request,
      msg::Error{
          msg::Type::invocation, request, {}, std::move(uri), std::move(args), std::move(kwargs)});
}

void Callee::dropped(Id request, const std::string& procedure) {
  if (request == dispatching_invocation_ && std::uncaught_exceptions() > uncaught_at_dispatch_) {
    return;
  }
  (void)answer_error(request, runtime_error_uri,
                     {"the invocation of '" + procedure + "' was dropped unanswered"}, {});
}

void Callee::answer_thrown(std::uint64_t epoch, Id request, const std::string& what) {
  if (core_.epoch() != epoch) return;
  if (answer_error(request, runtime_error_uri, {what}, {})) return;
  // The exception's text may be what cannot be sent (not UTF-8, say).
  (void)answer_error(request, runtime_error_uri,
                     {"the invocation handler threw an exception whose text cannot be sent"}, {});
}

void Callee::end_epoch(const WampError& why, Callbacks& completions) {
  answerer_.reset();
  unanswered_invocations_.clear();
  for (auto& [id, request] : std::exchange(registering_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, request] : std::exchange(unregistering_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  registrations_.clear();
}

}  // namespace uvwamp
