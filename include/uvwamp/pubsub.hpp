// uvwamp: the Publisher and Subscriber roles' vocabulary: options, events, publications and
// subscription handles, and the handlers that receive them.
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace uvwamp {

// Extra options, for router features uvwamp has no typed field for yet, are sent as given.
struct PublishOptions {
  // Ask the router to confirm the publication (PUBLISHED) or refuse it (ERROR).
  bool acknowledge = false;
  Value::Object extra;
  // How long an acknowledged publication waits for PUBLISHED; then it fails with
  // client_errc::timed_out (the event may have gone out all the same). nullopt:
  // ClientOptions::request_timeout; zero: no limit.
  std::optional<std::chrono::milliseconds> timeout = std::nullopt;
};
struct SubscribeOptions {
  Value::Object extra;
  // How long to wait for SUBSCRIBED; then the request fails with client_errc::timed_out, and a
  // subscription the router makes after all is unsubscribed at once. nullopt:
  // ClientOptions::request_timeout; zero: no limit.
  std::optional<std::chrono::milliseconds> timeout = std::nullopt;
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
// the client. It names the subscription by `local_id`, which the client never gives another
// (several local subscriptions may share one router subscription), so it keeps naming it when a
// reconnect restores it under a new router id (ReconnectOptions); a handle whose subscription
// ended (unsubscribed, revoked, not restored, or dropped with its session by leave() or a
// connection lost without reconnect) names nothing, and unsubscribe() refuses it.
struct Subscription {
  Id id = 0;  // the router's id when the handle was made; a restore changes it
  std::string topic;
  std::uint64_t local_id = 0;
};

using PublishHandler = std::function<void(WampResult<Publication>)>;
using SubscribeHandler = std::function<void(WampResult<Subscription>)>;
using EventHandler = std::function<void(const Event&)>;

}  // namespace uvwamp
