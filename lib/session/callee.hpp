// Callee: the part of the session that registers procedures and answers their invocations. One
// record per registration, one per REGISTER or UNREGISTER in flight, and one per live
// invocation (detail::InvocationRecord, shared with its Invocation), which carries what the
// Advanced Profile adds: progressive results and input, interruption, the forwarded timeout.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "message/message.hpp"
#include "session/deadlines.hpp"
#include "session/invocation_record.hpp"
#include "session/recent_ids.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Callee final : public SessionRole {
 public:
  explicit Callee(SessionCore& core) : core_(core) {}
  // Invocations may outlive the session; they find it gone.
  ~Callee();

  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler handler);
  void unregister(const Registration& registration, DoneHandler handler);

  void on(msg::Registered& registered);
  void on(msg::Unregistered& unregistered);
  void on(msg::Invocation& invocation);
  void on(msg::Interrupt& interrupt);
  void on_error(msg::Error& error);

  std::optional<TimePoint> next_deadline() const;
  void expire(TimePoint now);

  void end_epoch(const WampError& why, Callbacks& completions) override;

  // What an Invocation does through its record, while the record is live (see rpc.hpp).
  using RecordPtr = std::shared_ptr<detail::InvocationRecord>;
  bool yield(const RecordPtr& record, Value::Array args, Value::Object kwargs);
  bool error(const RecordPtr& record, std::string uri, Value::Array args, Value::Object kwargs);
  WampStatus progress(const RecordPtr& record, Value::Array args, Value::Object kwargs);
  // The Invocation was destroyed unanswered.
  void dropped(const RecordPtr& record);

 private:
  struct RegistrationRecord {
    std::string procedure;
    MatchPolicy match = MatchPolicy::exact;
    std::shared_ptr<const InvocationHandler> handler;
    RevokedHandler on_revoked;
    bool times_invocations = false;  // RegisterOptions::forward_timeout
    bool unregistering = false;      // UNREGISTER went out, UNREGISTERED has not come yet
  };
  struct PendingRegister {
    RegistrationRecord registration;
    RegisterHandler handler;
  };
  struct PendingUnregister {
    std::string procedure;
    DoneHandler handler;
    Id registration = 0;
  };

  // This session registered (or is registering) `procedure` with `match` already.
  bool holds(const std::string& procedure, MatchPolicy match) const;
  // Sends the final answer of a live invocation; it is live no more.
  bool finish(const RecordPtr& record, const msg::Message& answer);
  // It is no longer live: no deadline, no more input, and nothing answers through it.
  void retire(const RecordPtr& record);
  void interrupt(const RecordPtr& record, Interrupt what);
  void take_input(const RecordPtr& record, msg::Invocation& chunk);
  // The handler of `record` threw; unless it answered first, the caller learns why.
  void answer_thrown(const RecordPtr& record, const std::string& what);

  SessionCore& core_;
  std::map<Id, PendingRegister> registering_;
  std::map<Id, PendingUnregister> unregistering_;
  std::map<Id, RegistrationRecord> registrations_;
  // The live invocations by request id, and the deadlines of those timed here.
  std::map<Id, RecordPtr> invocations_;
  Deadlines deadlines_;
  // Invocations answered while their input went on: the rest of the input is dropped.
  RecentIds finished_inputs_{1024};
  // The invocation whose handler runs now, and how many exceptions were in flight when it
  // started: an Invocation destroyed by an exception leaving that handler is answered with the
  // exception's text by the dispatcher, not as dropped.
  const detail::InvocationRecord* dispatching_ = nullptr;
  int uncaught_at_dispatch_ = 0;
};

}  // namespace uvwamp
