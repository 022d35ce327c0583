#include <uvwamp/rpc.hpp>

#include <utility>

#include "session/invocation_answerer.hpp"

namespace uvwamp {

Invocation::Invocation(std::weak_ptr<detail::InvocationAnswerer> answerer, Id request,
                       Id registration, std::string procedure)
    : answerer_(std::move(answerer)),
      request_(request),
      registration_(registration),
      procedure_(std::move(procedure)) {}

// A moved-from Invocation counts as answered, so that only the moved-to one answers a drop.
Invocation::Invocation(Invocation&& other) noexcept
    : args(std::move(other.args)),
      kwargs(std::move(other.kwargs)),
      details(std::move(other.details)),
      answerer_(std::move(other.answerer_)),
      request_(other.request_),
      registration_(other.registration_),
      procedure_(std::move(other.procedure_)),
      answered_(other.answered_) {
  other.answerer_.reset();
  other.answered_ = true;
}

Invocation& Invocation::operator=(Invocation&& other) noexcept {
  if (this == &other) return *this;
  if (!answered_) {
    if (auto answerer = answerer_.lock()) answerer->dropped(request_, procedure_);
  }
  args = std::move(other.args);
  kwargs = std::move(other.kwargs);
  details = std::move(other.details);
  answerer_ = std::move(other.answerer_);
  request_ = other.request_;
  registration_ = other.registration_;
  procedure_ = std::move(other.procedure_);
  answered_ = other.answered_;
  other.answerer_.reset();
  other.answered_ = true;
  return *this;
}

Invocation::~Invocation() {
  if (answered_) return;
  if (auto answerer = answerer_.lock()) answerer->dropped(request_, procedure_);
}

bool Invocation::yield(Value::Array result_args, Value::Object result_kwargs) {
  if (answered_) return false;
  auto answerer = answerer_.lock();
  if (!answerer) return false;
  answered_ = answerer->yield(request_, std::move(result_args), std::move(result_kwargs));
  return answered_;
}

bool Invocation::error(std::string uri, Value::Array error_args, Value::Object error_kwargs) {
  if (answered_) return false;
  auto answerer = answerer_.lock();
  if (!answerer) return false;
  answered_ =
      answerer->error(request_, std::move(uri), std::move(error_args), std::move(error_kwargs));
  return answered_;
}

namespace detail {

Invocation InvocationAnswerer::make_invocation(std::weak_ptr<InvocationAnswerer> answerer,
                                               Id request, Id registration, std::string procedure) {
  return Invocation(std::move(answerer), request, registration, std::move(procedure));
}

}  // namespace detail
}  // namespace uvwamp
