// detail::InvocationAnswerer: where an Invocation sends its answer. The session implements one
// per epoch and holds the only strong reference to it; Invocations hold weak ones, so an answer
// given after the epoch ended finds no answerer and does nothing.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>
#include <uvwamp/value.hpp>

#include <memory>
#include <string>

namespace uvwamp::detail {

class InvocationAnswerer {
 public:
  virtual ~InvocationAnswerer() = default;

  // Each returns true when the answer went to the router; on false the invocation is still
  // unanswered and may be answered otherwise.
  virtual bool yield(Id request, Value::Array args, Value::Object kwargs) = 0;
  virtual bool error(Id request, std::string uri, Value::Array args, Value::Object kwargs) = 0;
  // The Invocation for `request` was destroyed unanswered.
  virtual void dropped(Id request, const std::string& procedure) = 0;

  // Invocation's constructor is private to everything but this class.
  static Invocation make_invocation(std::weak_ptr<InvocationAnswerer> answerer, Id request,
                                    Id registration, std::string procedure);
};

}  // namespace uvwamp::detail
