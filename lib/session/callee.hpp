// Callee: the part of the session that registers procedures and answers their invocations. One
// record per registration, one per REGISTER or UNREGISTER in flight, and the set of invocations
// not yet answered.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "message/message.hpp"
#include "session/invocation_answerer.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Callee final : public SessionRole {
 public:
  explicit Callee(SessionCore& core) : core_(core) {}
  // Dropping the records destroys handlers, which may hold Invocations: they must find no
  // answerer by then.
  ~Callee() { answerer_.reset(); }

  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler handler);
  void unregister(const Registration& registration, DoneHandler handler);

  void on(msg::Registered& registered);
  void on(msg::Unregistered& unregistered);
  void on(msg::Invocation& invocation);
  void on_error(msg::Error& error);

  void end_epoch(const WampError& why, Callbacks& completions) override;

 private:
  class Answerer;
  struct PendingRegister {
    std::string procedure;
    RegisterHandler handler;
    std::shared_ptr<const InvocationHandler> on_invocation;
  };
  struct PendingUnregister {
    std::string procedure;
    DoneHandler handler;
    Id registration = 0;
  };
  struct RegistrationRecord {
    std::string procedure;
    std::shared_ptr<const InvocationHandler> handler;
    bool unregistering = false;  // UNREGISTER went out, UNREGISTERED has not come yet
  };

  bool answer(Id request, const msg::Message& message);
  bool answer_error(Id request, std::string uri, Value::Array args, Value::Object kwargs);
  void dropped(Id request, const std::string& procedure);
  // The handler of `request` threw; unless it answered first, the caller learns why.
  void answer_thrown(std::uint64_t epoch, Id request, const std::string& what);

  SessionCore& core_;
  std::map<Id, PendingRegister> registering_;
  std::map<Id, PendingUnregister> unregistering_;
  std::map<Id, RegistrationRecord> registrations_;
  std::set<Id> unanswered_invocations_;
  // Made for the epoch's first invocation, dropped when it ends.
  std::shared_ptr<Answerer> answerer_;
  // The invocation whose handler runs now, and how many exceptions were in flight when it
  // started: an Invocation destroyed by an exception leaving that handler is answered with the
  // exception's text by the dispatcher, not as dropped.
  Id dispatching_invocation_ = 0;
  int uncaught_at_dispatch_ = 0;
};

}  // namespace uvwamp
