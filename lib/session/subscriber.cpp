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
  PendingSubscribe request;
  request.topic = std::move(topic);
  request.options = std::move(options.extra);
  request.timeout = options.timeout.value_or(std::chrono::milliseconds{0});
  request.locals.emplace(next_local_id_, std::make_shared<const EventHandler>(std::move(on_event)));
  request.handler = std::move(handler);
  if (auto failed = send_subscribe(request)) {
    return core_.complete_later(std::move(request.handler), std::move(*failed));
  }
  ++next_local_id_;
}

std::optional<WampError> Subscriber::send_subscribe(PendingSubscribe& request) {
  auto sent = core_.send_request([&](Id id) {
    return msg::Subscribe{id, request.options, request.topic};
  });
  if (!sent) return sent.error();
  deadlines_.arm(*sent, core_.now(), request.timeout);
  subscribing_.emplace(*sent, std::move(request));
  return std::nullopt;
}

void Subscriber::restore() {
  for (SubscriptionRecord& record : std::exchange(kept_, {})) {
    PendingSubscribe request;
    request.topic = std::move(record.topic);
    request.options = std::move(record.options);
    request.timeout = record.timeout;
    request.locals = std::move(record.locals);
    request.restoring = true;
    auto failed = send_subscribe(request);
    if (!failed) {
      core_.restore_sent();
    } else if (failed->code == client_errc::transport_lost) {
      // The connection went under the restore; the next one tries again.
      keep(std::move(request.topic), std::move(request.options), request.timeout,
           std::move(request.locals));
    } else {
      restore_failed(request, *failed);
    }
  }
}

void Subscriber::restore_failed(const PendingSubscribe& request, const WampError& why) {
  for (const auto& local : request.locals) {
    core_.restore_failed(RestoreFailure{Subscription{0, request.topic, local.first}, why});
  }
}

void Subscriber::keep(std::string topic, Value::Object options, std::chrono::milliseconds timeout,
                      Locals locals) {
  SubscriptionRecord kept;
  kept.topic = std::move(topic);
  kept.options = std::move(options);
  kept.timeout = timeout;
  kept.locals = std::move(locals);
  kept_.push_back(std::move(kept));
}

bool Subscriber::drop_kept(std::uint64_t local_id) {
  for (auto kept = kept_.begin(); kept != kept_.end(); ++kept) {
    if (kept->locals.erase(local_id) == 0) continue;
    if (kept->locals.empty()) kept_.erase(kept);
    return true;
  }
  return false;
}

bool Subscriber::withdraw_restore(std::uint64_t local_id) {
  for (auto& [id, request] : subscribing_) {
    if (!request.restoring || request.locals.erase(local_id) == 0) continue;
    if (request.locals.empty()) {
      request.restoring = false;
      request.abandoned = true;
      core_.restore_settled();
    }
    return true;
  }
  return false;
}

void Subscriber::unsubscribe(const Subscription& subscription, DoneHandler handler,
                             std::chrono::milliseconds timeout) {
  // A subscription kept for the next epoch, or whose restore is under way, goes without a word
  // to the router, which holds nothing of it (or is unsubscribed once it answers).
  if (drop_kept(subscription.local_id) ||
      (core_.established() && withdraw_restore(subscription.local_id))) {
    return core_.complete_later(std::move(handler), WampStatus{});
  }
  if (!core_.refuse_unless_joined(handler)) return;
  auto record = subscriptions_.begin();
  while (record != subscriptions_.end() && !record->second.locals.count(subscription.local_id)) {
    ++record;
  }
  if (record == subscriptions_.end()) {
    return core_.complete_later(
        std::move(handler),
        local_error(client_errc::invalid_argument,
                    "the subscription to '" + subscription.topic +
                        "' is not active (unsubscribed, not restored, or from a session that "
                        "ended)"));
  }
  auto& locals = record->second.locals;
  if (locals.size() > 1) {
    locals.erase(subscription.local_id);
    return core_.complete_later(std::move(handler), WampStatus{});
  }
  const Id router_id = record->first;
  auto sent = core_.send_request([&](Id id) { return msg::Unsubscribe{id, router_id}; });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  deadlines_.arm(*sent, core_.now(), timeout);
  unsubscribing_.emplace(
      *sent, PendingUnsubscribe{record->second.topic, std::move(handler), router_id, timeout});
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
  deadlines_.disarm(subscribed.request);
  auto record = subscriptions_.find(subscribed.subscription);
  if (record == subscriptions_.end()) {
    SubscriptionRecord made;
    made.topic = request->topic;
    made.options = request->options;
    made.timeout = request->timeout;
    record = subscriptions_.emplace(subscribed.subscription, std::move(made)).first;
    if (request->abandoned) {
      // Nobody wants it any more. Unsent, the record stays without local subscriptions, and
      // its events reach nobody.
      auto sent = core_.send_request([&](Id id) {
        return msg::Unsubscribe{id, subscribed.subscription};
      });
      if (sent) {
        unsubscribing_.emplace(
            *sent, PendingUnsubscribe{request->topic, nullptr, subscribed.subscription, {}});
        record->second.unsubscribing = true;
      }
      return;
    }
  } else if (request->abandoned) {
    return;  // others share the router's subscription
  } else if (record->second.unsubscribing) {
    record->second.parked.push_back(std::move(*request));
    return;
  }
  for (const auto& local : request->locals) {
    record->second.locals.insert(local);
  }
  if (!request->restoring) {
    return core_.complete(request->handler, Subscription{subscribed.subscription, request->topic,
                                                         request->locals.begin()->first});
  }
  for (const auto& local : request->locals) {
    core_.restored(Subscription{subscribed.subscription, request->topic, local.first});
  }
  core_.restore_settled();
}

Callbacks Subscriber::retire_subscription(Id id) {
  Callbacks callbacks;
  auto record = subscriptions_.find(id);
  if (record == subscriptions_.end()) return callbacks;
  std::vector<PendingSubscribe> parked = std::move(record->second.parked);
  subscriptions_.erase(record);
  for (auto& request : parked) {
    if (auto failed = send_subscribe(request)) {
      if (request.restoring) {
        restore_failed(request, *failed);
        core_.restore_settled();
      } else {
        callbacks.push_back(
            SessionCore::completion(std::move(request.handler), std::move(*failed)));
      }
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
  deadlines_.disarm(unsubscribed.request);
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
    deadlines_.disarm(error.request);
    if (request->abandoned) return;
    WampError failed = remote_error(
        describe_request(msg::Type::subscribe, request->topic) + " failed", std::move(error.error),
        std::move(error.args), std::move(error.kwargs), std::move(error.details));
    if (request->restoring) {
      restore_failed(*request, failed);
      return core_.restore_settled();
    }
    return core_.complete(request->handler, std::move(failed));
  }
  auto request = take_pending(unsubscribing_, error.request);
  if (!request) {
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::unsubscribe));
  }
  deadlines_.disarm(error.request);
  // The router refused to unsubscribe: the subscription is gone for us all the same.
  Callbacks callbacks = retire_subscription(request->subscription);
  core_.complete(request->handler,
                 remote_error(describe_request(msg::Type::unsubscribe, request->topic) + " failed",
                              std::move(error.error), std::move(error.args),
                              std::move(error.kwargs), std::move(error.details)));
  core_.run(callbacks);
}

void Subscriber::expire(TimePoint now) {
  Callbacks completions;
  while (std::optional<Id> due = deadlines_.take_due(now)) {
    expire_request(*due, completions);
  }
  core_.run(completions);
}

void Subscriber::expire_request(Id request, Callbacks& completions) {
  if (auto subscribing = subscribing_.find(request); subscribing != subscribing_.end()) {
    PendingSubscribe& pending = subscribing->second;
    WampError timed_out =
        timed_out_error(describe_request(msg::Type::subscribe, pending.topic), pending.timeout);
    if (pending.restoring) {
      pending.restoring = false;
      restore_failed(pending, timed_out);
      core_.restore_settled();
    } else {
      completions.push_back(
          SessionCore::completion(std::exchange(pending.handler, nullptr), std::move(timed_out)));
    }
    pending.abandoned = true;
    return;
  }
  PendingUnsubscribe& pending = unsubscribing_.at(request);
  completions.push_back(SessionCore::completion(
      std::exchange(pending.handler, nullptr),
      timed_out_error(describe_request(msg::Type::unsubscribe, pending.topic), pending.timeout)));
}

void Subscriber::end_epoch(const WampError& why, bool keep_held, Callbacks& completions) {
  deadlines_.clear();
  if (!keep_held) kept_.clear();
  // A restore cut short is kept for the next one; its report fails with the epoch.
  auto end_request = [&](PendingSubscribe& request) {
    if (request.restoring) {
      if (keep_held) {
        keep(std::move(request.topic), std::move(request.options), request.timeout,
             std::move(request.locals));
      }
      return;
    }
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  };
  for (auto& [id, request] : std::exchange(subscribing_, {})) {
    end_request(request);
  }
  for (auto& [id, request] : std::exchange(unsubscribing_, {})) {
    completions.push_back(SessionCore::completion(std::move(request.handler), why));
  }
  for (auto& [id, record] : std::exchange(subscriptions_, {})) {
    for (auto& parked : record.parked) {
      end_request(parked);
    }
    if (keep_held && !record.unsubscribing && !record.locals.empty()) {
      keep(std::move(record.topic), std::move(record.options), record.timeout,
           std::move(record.locals));
    }
  }
}

}  // namespace uvwamp
