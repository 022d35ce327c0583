// Establishing: the part of the session that opens it. HELLO with the roles, the features and
// the authentication methods offered; CHALLENGE answered by the Authenticator that offered the
// method the router picked; WELCOME (checked by that answer's check, as SCRAM's server proof)
// or ABORT.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/session_info.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "message/message.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Establishing final : public SessionRole {
 public:
  // `auth_context` serves the authenticators (see session.hpp).
  Establishing(SessionCore& core, AuthContext& auth_context)
      : core_(core), auth_context_(auth_context) {}

  // `timeout` bounds each wait for the router (for WELCOME, CHALLENGE or ABORT after HELLO, and
  // after AUTHENTICATE), not the time an answer to a CHALLENGE takes here; zero for none.
  void join(std::string realm, const AuthOptions& auth, Value::Object extra_details,
            std::chrono::milliseconds timeout, JoinHandler handler);

  void on(msg::Challenge& challenge);
  void on(msg::Welcome& welcome);

  std::optional<TimePoint> next_deadline() const { return deadline_; }
  void expire(TimePoint now);

  void end_epoch(const WampError& why, bool keep, Callbacks& completions) override;

 private:
  struct Authentication {
    std::vector<std::shared_ptr<Authenticator>> methods;
    Value::Object hello_details;
    // An answer is being computed; its reply finds this role through `alive` only while the
    // attempt lasts, and only in the epoch that asked.
    bool answering = false;
    std::function<Result<void, std::string>(const Value::Object&)> check_welcome;
    std::shared_ptr<Establishing*> alive;

    std::shared_ptr<Authenticator> find(const std::string& method) const;
  };

  WampResult<Value::Object> offer(const AuthOptions& auth, Value::Object details);
  void answered(Result<AuthAnswer, std::string> answer);
  // This side gives up authenticating: ABORT, and join() fails saying why.
  void refuse_to_authenticate(const std::string& why);
  // Starts a wait for the router.
  void await_router(const char* sent);

  SessionCore& core_;
  AuthContext& auth_context_;
  std::string realm_;
  JoinHandler on_joined_;
  Authentication authentication_;
  std::chrono::milliseconds timeout_{0};
  std::optional<TimePoint> deadline_;
  const char* awaited_answer_to_ = "";  // HELLO or AUTHENTICATE, for the timeout's message
};

}  // namespace uvwamp
