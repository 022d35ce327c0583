// Publisher: the part of the session that publishes. An acknowledged publication is a pending
// request until PUBLISHED or ERROR; an unacknowledged one completes once it is queued.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/pubsub.hpp>

#include <map>
#include <string>

#include "message/message.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Publisher final : public SessionRole {
 public:
  explicit Publisher(SessionCore& core) : core_(core) {}

  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler handler);

  void on(msg::Published& published);
  void on_error(msg::Error& error);

  void end_epoch(const WampError& why, Callbacks& completions) override;

 private:
  struct PublishRecord {
    std::string topic;
    PublishHandler handler;
  };

  SessionCore& core_;
  std::map<Id, PublishRecord> publications_;
};

}  // namespace uvwamp
