// uvwamp: the Publisher and Subscriber roles' vocabulary: options, events, publications and
// subscription handles, and the handlers that receive them.
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace uvwamp {

// Extra options, for router features uvwamp has no typed field for yet, are sent as given.
struct PublishOptions {
  // Ask the router to confirm the publication (PUBLISHED) or refuse it (ERROR).
  bool acknowledge = false;
  Value::Object extra;
};
struct SubscribeOptions {
  Value::Object extra;
};

struct Event {
  Id subscription = 0;
  Id publication = 0;
  std::string topic;  // the topic subscribed to
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

// What an acknowledged publish() gives; an unacknowledged one completes with id 0 once the
// message is queued for the router.
struct Publication {
  Id id = 0;
};

// The handle for unsubscribe(). A plain value: dropping one changes nothing, and it may outlive
// the client. A handle from an earlier session (before a leave() or a lost connection) no longer
// names anything; unsubscribe() refuses it.
struct Subscription {
  Id id = 0;
  std::string topic;
  std::uint64_t local_id = 0;  // several local subscriptions may share one router subscription
  std::uint64_t session_epoch = 0;
};

using PublishHandler = std::function<void(WampResult<Publication>)>;
using SubscribeHandler = std::function<void(WampResult<Subscription>)>;
using EventHandler = std::function<void(const Event&)>;

}  // namespace uvwamp
