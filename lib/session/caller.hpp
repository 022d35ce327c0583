// Caller: the part of the session that calls procedures. One record per call in flight, keyed
// by its request id, until the RESULT or ERROR that answers it.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <map>
#include <string>

#include "message/message.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Caller final : public SessionRole {
 public:
  explicit Caller(SessionCore& core) : core_(core) {}

  void call(std::string procedure, Value::Array args, Value::Object kwargs, CallOptions options,
            CallHandler handler);

  void on(msg::Result& result);
  void on_error(msg::Error& error);

  void end_epoch(const WampError& why, Callbacks& completions) override;

 private:
  struct CallRecord {
    std::string procedure;
    CallHandler handler;
  };

  SessionCore& core_;
  std::map<Id, CallRecord> calls_;
};

}  // namespace uvwamp
