// Publisher: the part of the session that publishes. An acknowledged publication is a pending
// request until PUBLISHED or ERROR; an unacknowledged one completes once it is queued. One that
// timed out stays pending without its handler, so that its late answer is taken as usual and
// tells nobody.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/pubsub.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "message/message.hpp"
#include "session/deadlines.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Publisher final : public SessionRole {
 public:
  explicit Publisher(SessionCore& core) : core_(core) {}

  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler handler);

  void on(msg::Published& published);
  void on_error(msg::Error& error);

  std::optional<TimePoint> next_deadline() const { return deadlines_.next(); }
  void expire(TimePoint now);

  void end_epoch(const WampError& why, bool keep, Callbacks& completions) override;

 private:
  struct PublishRecord {
    std::string topic;
    PublishHandler handler;
    std::chrono::milliseconds timeout{0};
  };

  SessionCore& core_;
  std::map<Id, PublishRecord> publications_;
  Deadlines deadlines_;
};

}  // namespace uvwamp
