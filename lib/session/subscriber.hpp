// Subscriber: the part of the session that subscribes. One record per router subscription,
// shared by the local subscriptions to it, and one per SUBSCRIBE or UNSUBSCRIBE in flight. A
// local subscription is named by its local id, which outlives the router's subscription when
// the epoch's subscriptions are kept and restored (see SessionCore's restoring).
// Internal to the library (not installed).
#pragma once

#include <uvwamp/pubsub.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "message/message.hpp"
#include "session/deadlines.hpp"
#include "session/session_core.hpp"

namespace uvwamp {

class Subscriber final : public SessionRole {
 public:
  explicit Subscriber(SessionCore& core) : core_(core) {}

  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler handler);
  void unsubscribe(const Subscription& subscription, DoneHandler handler,
                   std::chrono::milliseconds timeout);
  // Subscribes again what the last epoch kept.
  void restore();

  void on(msg::Subscribed& subscribed);
  void on(msg::Unsubscribed& unsubscribed);
  void on(msg::Event& event);
  void on_error(msg::Error& error);

  std::optional<TimePoint> next_deadline() const { return deadlines_.next(); }
  void expire(TimePoint now);

  void end_epoch(const WampError& why, bool keep, Callbacks& completions) override;
  void forget_kept() override { kept_.clear(); }

 private:
  // Local subscriptions by local id. Handlers are held by shared_ptr so that one unsubscribed
  // while it runs stays alive until it returns.
  using Locals = std::map<std::uint64_t, std::shared_ptr<const EventHandler>>;

  // A SUBSCRIBE in flight, for one new local subscription or, from a restore, for every local
  // subscription a router subscription of the last epoch had. One that timed out, or whose
  // restore the application withdrew, is `abandoned`: it stays here without a handler, and a
  // subscription the router makes for it after all is unsubscribed at once.
  struct PendingSubscribe {
    std::string topic;
    Value::Object options;  // SUBSCRIBE.Options as sent, to send them again
    std::chrono::milliseconds timeout{0};
    Locals locals;
    SubscribeHandler handler;  // a new subscription's; none for a restore
    bool restoring = false;
    bool abandoned = false;
  };
  // An UNSUBSCRIBE in flight; without a handler once it timed out, or when the session drops an
  // abandoned subscription of its own.
  struct PendingUnsubscribe {
    std::string topic;
    DoneHandler handler;
    Id subscription = 0;
    std::chrono::milliseconds timeout{0};
  };
  // One router subscription and the local subscriptions that share it.
  struct SubscriptionRecord {
    std::string topic;
    Value::Object options;
    std::chrono::milliseconds timeout{0};
    Locals locals;
    // UNSUBSCRIBE went out (so `locals` is empty) and UNSUBSCRIBED has not come yet. A
    // SUBSCRIBED arriving now names a subscription the router is about to drop, so its request
    // is parked here and sent again once the router has dropped it.
    bool unsubscribing = false;
    std::vector<PendingSubscribe> parked;
  };

  // Sends SUBSCRIBE; moves `request` into the table only when it went out.
  std::optional<WampError> send_subscribe(PendingSubscribe& request);
  // The restore of `request` failed with `why`, for each of its local subscriptions.
  void restore_failed(const PendingSubscribe& request, const WampError& why);
  // Forgets the router's subscription `id` and subscribes again for the requests parked on it;
  // returns the completions of those that could not be sent.
  Callbacks retire_subscription(Id id);
  // Drops the kept local subscription `local_id`; false when none is kept.
  bool drop_kept(std::uint64_t local_id);
  // Takes `local_id` out of the restore in flight; false when no restore holds it.
  bool withdraw_restore(std::uint64_t local_id);
  void expire_request(Id request, Callbacks& completions);
  void keep(std::string topic, Value::Object options, std::chrono::milliseconds timeout,
            Locals locals);

  SessionCore& core_;
  std::uint64_t next_local_id_ = 1;
  std::map<Id, PendingSubscribe> subscribing_;
  std::map<Id, PendingUnsubscribe> unsubscribing_;
  Deadlines deadlines_;
  std::map<Id, SubscriptionRecord> subscriptions_;
  // What the last epoch held, to subscribe again.
  std::vector<SubscriptionRecord> kept_;
};

}  // namespace uvwamp
