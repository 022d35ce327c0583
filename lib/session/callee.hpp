// Callee: the part of the session that registers procedures and answers their invocations. One
// record per registration, one per REGISTER or UNREGISTER in flight, and one per live
// invocation (detail::InvocationRecord, shared with its Invocation), which carries what the
// Advanced Profile adds: progressive results and input, interruption, the forwarded timeout.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  void unregister(const Registration& registration, DoneHandler handler,
                  std::chrono::milliseconds timeout);
  // Registers again what the last epoch kept (see SessionCore's restoring).
  void restore();

  void on(msg::Registered& registered);
  void on(msg::Unregistered& unregistered);
  void on(msg::Invocation& invocation);
  void on(msg::Interrupt& interrupt);
  void on_error(msg::Error& error);

  std::optional<TimePoint> next_deadline() const;
  void expire(TimePoint now);

  void end_epoch(const WampError& why, bool keep, Callbacks& completions) override;
  void forget_kept() override { kept_.clear(); }

  // What an Invocation does through its record, while the record is live (see rpc.hpp).
  using RecordPtr = std::shared_ptr<detail::InvocationRecord>;
  bool yield(const RecordPtr& record, Value::Array args, Value::Object kwargs);
  bool error(const RecordPtr& record, std::string uri, Value::Array args, Value::Object kwargs);
  WampStatus progress(const RecordPtr& record, Value::Array args, Value::Object kwargs);
  // The Invocation was destroyed unanswered.
  void dropped(const RecordPtr& record);

 private:
  // A registration, durable across epochs when they are kept: `local_id` names it to the
  // application, the router's id is the key it is held under.
  struct RegistrationRecord {
    std::uint64_t local_id = 0;
    std::string procedure;
    MatchPolicy match = MatchPolicy::exact;
    Value::Object options;                 // REGISTER.Options as sent, to send them again
    std::chrono::milliseconds timeout{0};  // of REGISTER
    std::shared_ptr<const InvocationHandler> handler;
    RevokedHandler on_revoked;
    bool times_invocations = false;  // RegisterOptions::forward_timeout
    bool unregistering = false;      // UNREGISTER went out, UNREGISTERED has not come yet
  };
  // A REGISTER in flight. One that timed out, or whose restore the application withdrew, is
  // `abandoned`: it stays here without a handler, and a registration the router makes for it
  // after all is unregistered at once.
  struct PendingRegister {
    RegistrationRecord registration;
    RegisterHandler handler;
    bool restoring = false;  // sent by restore(): its outcome goes to the restore's report
    bool abandoned = false;
  };
  // An UNREGISTER in flight; without a handler once it timed out, or when the session unregisters
  // an abandoned registration of its own.
  struct PendingUnregister {
    std::string procedure;
    DoneHandler handler;
    Id registration = 0;
    std::chrono::milliseconds timeout{0};
  };

  // Sends REGISTER; moves `request` into the table only when it went out.
  std::optional<WampError> send_register(PendingRegister& request);
  // Unregisters the router's registration `id`, which nobody here wants any more.
  void unregister_abandoned(Id id, RegistrationRecord& record);
  // Drops the kept registration `local_id`; false when none is kept.
  bool drop_kept(std::uint64_t local_id);
  // Withdraws the restore in flight of registration `local_id`; false when none is.
  bool withdraw_restore(std::uint64_t local_id);
  void expire_request(Id request, Callbacks& completions);

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
  std::uint64_t next_local_id_ = 1;
  std::map<Id, PendingRegister> registering_;
  std::map<Id, PendingUnregister> unregistering_;
  Deadlines request_deadlines_;  // of REGISTER and UNREGISTER
  std::map<Id, RegistrationRecord> registrations_;
  // What the last epoch held, to register again (see SessionCore's restoring).
  std::vector<RegistrationRecord> kept_;
  // The live invocations by the router's request id, and the deadlines of those timed here.
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
