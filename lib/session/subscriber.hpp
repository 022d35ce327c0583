// Subscriber: the part of the session that subscribes. One record per router subscription,
// shared by the local subscriptions to its topic, and one per SUBSCRIBE or UNSUBSCRIBE in
// flight.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/pubsub.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "message/message.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Subscriber final : public SessionRole {
 public:
  explicit Subscriber(SessionCore& core) : core_(core) {}

  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler handler);
  void unsubscribe(const Subscription& subscription, DoneHandler handler);

  void on(msg::Subscribed& subscribed);
  void on(msg::Unsubscribed& unsubscribed);
  void on(msg::Event& event);
  void on_error(msg::Error& error);

  void end_epoch(const WampError& why, Callbacks& completions) override;

 private:
  struct PendingSubscribe {
    std::string topic;
    SubscribeHandler handler;
    Value::Object options;  // kept to subscribe again; see SubscriptionRecord::parked
    std::shared_ptr<const EventHandler> on_event;
    std::uint64_t local_id = 0;
  };
  struct PendingUnsubscribe {
    std::string topic;
    DoneHandler handler;
    Id subscription = 0;
  };
  // One router subscription, shared by the local subscriptions to it. Handlers are held by
  // shared_ptr so that one unsubscribed while it runs stays alive until it returns.
  struct SubscriptionRecord {
    std::string topic;
    std::map<std::uint64_t, std::shared_ptr<const EventHandler>> locals;
    // UNSUBSCRIBE went out (so `locals` is empty) and UNSUBSCRIBED has not come yet. A
    // SUBSCRIBED arriving now names a subscription the router is about to drop, so its request
    // is parked here and sent again once the router has dropped it.
    bool unsubscribing = false;
    std::vector<PendingSubscribe> parked;
  };

  std::optional<WampError> send_subscribe(PendingSubscribe request);
  // Forgets the router's subscription `id` and subscribes again for the requests parked on it;
  // returns the completions of those that could not be sent.
  Callbacks retire_subscription(Id id);

  SessionCore& core_;
  std::uint64_t next_local_subscription_ = 1;
  std::map<Id, PendingSubscribe> subscribing_;
  std::map<Id, PendingUnsubscribe> unsubscribing_;
  std::map<Id, SubscriptionRecord> subscriptions_;
};

}  // namespace uvwamp
