#include "session/subscriber.hpp"

#include <utility>

#include "session/uri.hpp"

namespace uvwamp {
namespace {

bool is_wildcard_pattern(const Value::Object& options) {
  auto match = options.find("match");
  if (match == options.end()) return false;
  const std::string* policy = match->second.if_string();
  return policy != nullptr && *policy == "wildcard";
}

std::optional<Id> revoked_id(const Value::Object& details) {
  auto found = details.find("subscription");
  if (found == details.end()) return std::nullopt;
  auto id = found->second.to_uint64();
  if (!id) return std::nullopt;
  return id.value();
}

}  // namespace

void Subscriber::subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                           SubscribeHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  const UriPattern pattern =
      is_wildcard_pattern(options.extra) ? UriPattern::wildcard : UriPattern::none;
  if (!is_valid_uri(topic, pattern)) {
    return core_.complete_later(std::move(handler), invalid_uri("topic URI", topic));
  }
  PendingSubscribe request{topic, handler, std::move(options.extra),
                           std::make_shared<const EventHandler>(std::move(on_event)),
                           next_local_subscription_};
  if (auto failed = send_subscribe(std::move(request))) {
    return core_.complete_later(std::move(handler), std::move(*failed));
  }
  ++next_local_subscription_;
}

std::optional<WampError> Subscriber::send_subscribe(PendingSubscribe request) {
  auto sent = core_.send_request([&](Id id) {
    return msg::Subscribe{id, request.options, request.topic};
  });
  if (!sent) return sent.error();
  subscribing_.emplace(*sent, std::move(request));
  return std::nullopt;
}

void Subscriber::unsubscribe(const Subscription& subscription, DoneHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  auto record = subscriptions_.end();
  if (subscription.session_epoch == core_.epoch()) record = subscriptions_.find(subscription.id);
  if (record == subscriptions_.end() || !record->second.locals.count(subscription.local_id)) {
    return core_.complete_later(
        std::move(handler),
        local_error(client_errc::invalid_argument,
                    "the subscription to '" + subscription.topic +
                        "' is not active in this session (unsubscribed, or from another)"));
  }
  auto& locals = record->second.locals;
  if (locals.size() > 1) {
    locals.erase(subscription.local_id);
    return core_.complete_later(std::move(handler), WampStatus{});
  }
  auto sent = core_.send_request([&](Id id) { return msg::Unsubscribe{id, subscription.id}; });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  unsubscribing_.emplace(
      *sent, PendingUnsubscribe{record->second.topic, std::move(handler), subscription.id});
  // Dropped only now, so that a failed UNSUBSCRIBE leaves the subscription as it was.
  locals.clear();
  record->second.unsubscribing = true;
}

void Subscriber::on(msg::Subscribed& subscribed) {
  auto request = take_pending(subscribing_, subscribed.request);
  if (!request) {
    return core_.violation(
        no_pending(msg::Type::subscribed, subscribed.request, msg::Type::subscribe));
  }
  auto record = subscriptions_.find(subscribed.subscription);
  if (record == subscriptions_.end()) {
    record = subscriptions_.emplace(subscribed.subscription, SubscriptionRecord{}).first;
    record->second.topic = request->topic;
  } else if (record->second.unsubscribing) {
    record->second.parked.push_back(std::move(*request));
    return;
  }
  record->second.locals.emplace(request->local_id, request->on_event);
  core_.complete(request->handler, Subscription{subscribed.subscription, request->topic,
                                                request->local_id, core_.epoch()});
}

Callbacks Subscriber::retire_subscription(Id id) {
  Callbacks callbacks;
  auto record = subscriptions_.find(id);
  if (record == subscriptions_.end()) return callbacks;
  std::vector<PendingSubscribe> parked = std::move(record->second.parked);
  subscriptions_.erase(record);
  for (auto& request : parked) {
    SubscribeHandler handler = request.handler;
    if (auto failed = send_subscribe(std::move(request))) {
      callbacks.push_back(SessionCore::completion(std::move(handler), std::move(*failed)));
    }
  }
  return callbacks;
}

void Subscriber::on(msg::Unsubscribed& unsubscribed) {
  if (unsubscribed.request == 0) {
    // The router revoked a subscription; nobody asked, so nobody is told.
    if (auto id = revoked_id(unsubscribed.details)) {
      Callbacks callbacks = retire_subscription(*id);
      core_.run(callbacks);
    }
    return;
  }
  auto request = take_pending(unsubscribing_, unsubscribed.request);
  if (!request) {
    return core_.violation(
        no_pending(msg::Type::unsubscribed, unsubscribed.request, msg::Type::unsubscribe));
  }
  Callbacks callbacks = retire_subscription(request->subscription);
  core_.complete(request->handler, WampStatus{});
  core_.run(callbacks);
}

void Subscriber::on(msg::Event& event) {
  auto record = subscriptions_.find(event.subscription);
  if (record == subscriptions_.end()) {
    return core_.violation("EVENT for subscription " + std::to_string(event.subscription) +
                           ", which this session does not have");
  }
  std::vector<std::uint64_t> locals;
  for (const auto& local : record->second.locals)
    locals.push_back(local.first);
  const Event delivered{event.subscription,    event.publication,       record->second.topic,
                        std::move(event.args), std::move(event.kwargs), std::move(event.details)};
  const std::uint64_t epoch = core_.epoch();
  // A handler may unsubscribe others, leave or end the session: look everything up again.
  for (std::uint64_t local_id : locals) {
    if (!core_.established() || core_.epoch() != epoch) return;
    auto current = subscriptions_.find(event.subscription);
    if (current == subscriptions_.end()) return;
    auto local = current->second.locals.find(local_id);
    if (local == current->second.locals.end()) continue;
    std::shared_ptr<const EventHandler> handler = local->second;
    if (*handler) core_.guarded([&] { (*handler)(delivered); });
  }
}

void Subscriber::on_error(msg::Error& error) {
  if (error.request_type == msg::Type::subscribe) {
    auto request = take_pending(subscribing_, error.request);
    if (!request) {
      return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::subscribe));
    }
    return core_.complete(
        request->handler,
        remote_error(describe_request(msg::Type::subscribe, request->topic) + " failed",
                     std::move(error.error), std::move(error.args), std::move(error.kwargs),
                     std::move(error.details)));
  }
  auto request = take_pending(unsubscribing_, error.request);
  if (!request) {
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::unsubscribe));
  }
  // The router refused to unsubscribe: the subscription is gone for us all the same.
  Callbacks callbacks = retire_subscription(request->subscription);
  core_.complete(request->handler,
                 remote_error(describe_request(msg::Type::unsubscribe, request->topic) + " failed",
                              std::move(error.error), std::move(error.args),
                              std::move(error.kwargs), std::move(error.details)));
  core_.run(callbacks);
}

void Subscriber::end_epoch(const WampError& why, Callbacks& completions) {
  for (auto& [id, request] : std::exchange(subscribing_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, request] : std::exchange(unsubscribing_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, record] : std::exchange(subscriptions_, {})) {
    for (auto& parked : record.parked) {
      completions.push_back(SessionCore::completion(std::move(parked.handler), why));
    }
  }
}

}  // namespace uvwamp
