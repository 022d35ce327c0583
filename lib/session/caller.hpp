// Caller: the part of the session that calls procedures. One record per call in flight, keyed
// by its request id, until the final RESULT or ERROR that answers it, or until it ends here
// (canceled, timed out). Progressive results, the input of a progressive call invocation and
// the call's deadline hang on its record.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "message/message.hpp"
#include "session/deadlines.hpp"
#include "session/recent_ids.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Caller final : public SessionRole {
 public:
  explicit Caller(SessionCore& core) : core_(core) {}

  CallRequest call(std::string procedure, Value::Array args, Value::Object kwargs,
                   CallOptions options, CallHandler handler);
  WampStatus cancel(const CallRequest& call, CancelMode mode);
  WampStatus continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                           bool progress);

  void on(msg::Result& result);
  void on_error(msg::Error& error);

  std::optional<TimePoint> next_deadline() const;
  void expire(TimePoint now);

  void end_epoch(const WampError& why, bool keep, Callbacks& completions) override;

 private:
  struct CallRecord {
    std::string procedure;
    CallHandler handler;
    // Shared, so that a handler that ends the call while it runs stays alive until it returns.
    std::shared_ptr<const ProgressHandler> on_progress;
    std::chrono::milliseconds timeout{0};
    bool input_open = false;  // a progressive call invocation that takes more chunks
  };

  // The record of `call` while it is in flight in this epoch.
  CallRecord* find(const CallRequest& call);
  // Ends the call here: its record goes, and an answer the router may still send is dropped.
  // Returns its handler.
  CallHandler abandon(Id request);

  SessionCore& core_;
  std::map<Id, CallRecord> calls_;
  Deadlines deadlines_;
  RecentIds abandoned_{4096};
};

}  // namespace uvwamp
