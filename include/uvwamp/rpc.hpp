// uvwamp: the Caller and Callee roles' vocabulary: call and registration options, results,
// registration handles, the invocations a callee answers, and the handlers that receive them.
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace uvwamp {

// Extra options, for router features uvwamp has no typed field for yet, are sent as given.
struct CallOptions {
  Value::Object extra;
};
struct RegisterOptions {
  Value::Object extra;
};

struct CallResult {
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

// The handle for unregister(). A plain value: dropping one changes nothing, and it may outlive
// the client. A handle from an earlier session (before a leave() or a lost connection) no longer
// names anything; unregister() refuses it.
struct Registration {
  Id id = 0;
  std::string procedure;
  std::uint64_t session_epoch = 0;  // which join() it belongs to
};

namespace detail {
class InvocationAnswerer;
}

// One call of a registered procedure, handed to its handler. Answer it once, with yield() or
// error(), now or later (move it somewhere to answer later), on the loop's thread. An invocation
// destroyed unanswered answers the caller with wamp.error.runtime_error, so no caller waits
// forever. Answering after the session ended does nothing and returns false.
class Invocation {
 public:
  Invocation(Invocation&&) noexcept;
  Invocation& operator=(Invocation&&) noexcept;
  ~Invocation();

  Id request_id() const noexcept { return request_; }
  Id registration_id() const noexcept { return registration_; }
  const std::string& procedure() const noexcept { return procedure_; }
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;

  // True when the answer went to the router.
  bool yield(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool error(std::string uri, Value::Array error_args = {}, Value::Object error_kwargs = {});
  bool answered() const noexcept { return answered_; }

 private:
  friend class detail::InvocationAnswerer;
  Invocation(std::weak_ptr<detail::InvocationAnswerer> answerer, Id request, Id registration,
             std::string procedure);

  std::weak_ptr<detail::InvocationAnswerer> answerer_;
  Id request_ = 0;
  Id registration_ = 0;
  std::string procedure_;
  bool answered_ = false;
};

using CallHandler = std::function<void(WampResult<CallResult>)>;
using RegisterHandler = std::function<void(WampResult<Registration>)>;
// A handler that throws answers the caller with wamp.error.runtime_error and the exception's
// what(), unless it answered first.
using InvocationHandler = std::function<void(Invocation)>;

}  // namespace uvwamp
