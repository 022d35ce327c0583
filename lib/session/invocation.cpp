#include <uvwamp/rpc.hpp>

#include <utility>

#include "session/callee.hpp"
#include "session/invocation_record.hpp"
#include "session/session_errors.hpp"

namespace uvwamp {
namespace {

std::string string_detail(const Value::Object& details, const char* key) {
  auto found = details.find(key);
  if (found == details.end()) return {};
  const std::string* text = found->second.if_string();
  return text ? *text : std::string();
}

}  // namespace

Invocation::Invocation(std::shared_ptr<detail::InvocationRecord> record)
    : record_(std::move(record)) {}

// A moved-from Invocation holds no record: it counts as answered, so that only the moved-to one
// answers a drop.
Invocation::Invocation(Invocation&& other) noexcept = default;

Invocation& Invocation::operator=(Invocation&& other) noexcept {
  if (this == &other) return *this;
  // The invocation held so far is dropped (and answered as such) when `previous` goes.
  Invocation previous(std::move(*this));
  record_ = std::move(other.record_);
  InvocationData::operator=(std::move(other));
  return *this;
}

Invocation::~Invocation() {
  if (record_ && record_->callee) record_->callee->dropped(record_);
}

bool Invocation::yield(Value::Array result_args, Value::Object result_kwargs) {
  // The answer may drop the last hold on this Invocation (a handler holding it goes with the
  // record's), so nothing of `this` is used after it.
  auto record = record_;
  if (!record || !record->callee) return false;
  return record->callee->yield(record, std::move(result_args), std::move(result_kwargs));
}

bool Invocation::error(std::string uri, Value::Array error_args, Value::Object error_kwargs) {
  auto record = record_;
  if (!record || !record->callee) return false;
  return record->callee->error(record, std::move(uri), std::move(error_args),
                               std::move(error_kwargs));
}

WampStatus Invocation::progress(Value::Array result_args, Value::Object result_kwargs) {
  auto record = record_;
  if (!record) return local_error(client_errc::invalid_argument, "the invocation was moved from");
  if (!record->callee) {
    const std::string& procedure = record->registered_procedure;
    if (record->session_ended) {
      return local_error(client_errc::session_ended, "the session of the invocation is over");
    }
    if (record->interrupt) {
      return local_error(client_errc::canceled,
                         "the invocation of '" + procedure + "' was interrupted");
    }
    return local_error(client_errc::invalid_argument,
                       "the invocation of '" + procedure + "' was answered already");
  }
  return record->callee->progress(record, std::move(result_args), std::move(result_kwargs));
}

bool Invocation::answered() const noexcept {
  return !record_ || record_->answered;
}

bool Invocation::interrupted() const noexcept {
  return record_ && record_->interrupt.has_value();
}

CancellationToken Invocation::cancellation() const {
  if (!record_) return CancellationToken();
  return CancellationToken(record_->canceled);
}

void Invocation::on_interrupt(InterruptHandler handler) {
  auto record = record_;
  if (!record) return;
  if (record->interrupt) {
    if (handler) handler(*record->interrupt);
    return;
  }
  if (record->callee) record->on_interrupt = std::move(handler);
}

void Invocation::on_input(InputHandler handler) {
  auto record = record_;
  if (!record || !record->callee) return;
  record->on_input = std::move(handler);
  // What came before, in order; a handler may answer (and so drop the rest) or set another.
  while (record->callee && record->on_input && !record->input.empty()) {
    InvocationInput input = std::move(record->input.front());
    record->input.pop_front();
    InputHandler current = record->on_input;
    current(std::move(input));
  }
}

namespace detail {

Invocation InvocationRecord::make_invocation(const std::shared_ptr<InvocationRecord>& record,
                                             msg::Invocation& message) {
  Invocation call(record);
  const Value::Object& details = message.details;
  call.request_ = message.request;
  call.registration_ = message.registration;
  call.procedure_ = string_detail(details, "procedure");
  if (call.procedure_.empty()) call.procedure_ = record->registered_procedure;
  if (auto caller = details.find("caller"); caller != details.end()) {
    if (auto id = caller->second.to_uint64()) call.caller_ = id.value();
  }
  call.caller_authid_ = string_detail(details, "caller_authid");
  call.caller_authrole_ = string_detail(details, "caller_authrole");
  if (auto trustlevel = details.find("trustlevel"); trustlevel != details.end()) {
    if (auto level = trustlevel->second.to_int64()) call.trustlevel_ = level.value();
  }
  call.receive_progress_ = record->receive_progress;
  if (auto timeout = details.find("timeout"); timeout != details.end()) {
    auto count = timeout->second.to_int64();
    if (count.ok() && count.value() > 0) call.timeout_ = std::chrono::milliseconds(count.value());
  }
  call.more_input_ = record->input_open;
  call.args = std::move(message.args);
  call.kwargs = std::move(message.kwargs);
  call.details = std::move(message.details);
  return call;
}

}  // namespace detail
}  // namespace uvwamp
