#include "session/publisher.hpp"

#include <utility>

#include "session/uri.hpp"

namespace uvwamp {

void Publisher::publish(std::string topic, Value::Array args, Value::Object kwargs,
                        PublishOptions options, PublishHandler handler) {
  if (!core_.refuse_unless_joined(handler)) return;
  if (!is_valid_uri(topic)) {
    return core_.complete_later(std::move(handler), invalid_uri("topic URI", topic));
  }
  // The flag decides whether PUBLISHED is awaited, so it, not `extra`, says what goes out.
  Value::Object message_options = std::move(options.extra);
  if (options.acknowledge) {
    message_options["acknowledge"] = true;
  } else {
    message_options.erase("acknowledge");
  }
  auto sent = core_.send_request([&](Id id) {
    return msg::Publish{id, std::move(message_options), topic, std::move(args), std::move(kwargs)};
  });
  if (!sent) return core_.complete_later(std::move(handler), sent.error());
  if (!options.acknowledge) return core_.complete_later(std::move(handler), Publication{0});
  const std::chrono::milliseconds timeout = options.timeout.value_or(std::chrono::milliseconds{0});
  publications_.emplace(*sent, PublishRecord{std::move(topic), std::move(handler), timeout});
  deadlines_.arm(*sent, core_.now(), timeout);
}

void Publisher::on(msg::Published& published) {
  auto publication = take_pending(publications_, published.request);
  if (!publication) {
    return core_.violation(no_pending(msg::Type::published, published.request, msg::Type::publish));
  }
  deadlines_.disarm(published.request);
  core_.complete(publication->handler, Publication{published.publication});
}

void Publisher::on_error(msg::Error& error) {
  auto publication = take_pending(publications_, error.request);
  if (!publication) {
    return core_.violation(no_pending(msg::Type::error, error.request, msg::Type::publish));
  }
  deadlines_.disarm(error.request);
  core_.complete(publication->handler,
                 remote_error(describe_request(msg::Type::publish, publication->topic) + " failed",
                              std::move(error.error), std::move(error.args),
                              std::move(error.kwargs), std::move(error.details)));
}

void Publisher::expire(TimePoint now) {
  Callbacks completions;
  while (std::optional<Id> due = deadlines_.take_due(now)) {
    PublishRecord& publication = publications_.at(*due);
    completions.push_back(SessionCore::completion(
        std::exchange(publication.handler, nullptr),
        timed_out_error(describe_request(msg::Type::publish, publication.topic),
                        publication.timeout)));
  }
  core_.run(completions);
}

void Publisher::end_epoch(const WampError& why, bool /*keep*/, Callbacks& completions) {
  deadlines_.clear();
  for (auto& [id, publication] : std::exchange(publications_, {})) {
    completions.push_back(SessionCore::completion(std::move(publication.handler), why));
  }
}

}  // namespace uvwamp
