// Deadlines: when each of a role's timed requests is due, by request id, earliest first. A role
// arms one when a request goes out (or its timer restarts, as with a progressive result),
// disarms it when the answer comes, and takes out what is due when the owner calls expire().
// Internal to the library (not installed).
#pragma once

#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "session/session.hpp"

namespace uvwamp {

class Deadlines {
 public:
  // Arms (or moves) the deadline of `id` to `now + timeout`; nothing when `timeout` is not
  // positive, which means no limit.
  void arm(Id id, TimePoint now, std::chrono::milliseconds timeout) {
    if (timeout.count() <= 0) return;
    disarm(id);
    const TimePoint due = now + timeout;
    due_.emplace(id, due);
    order_.emplace(due, id);
  }

  void disarm(Id id) {
    auto found = due_.find(id);
    if (found == due_.end()) return;
    order_.erase({found->second, id});
    due_.erase(found);
  }

  std::optional<TimePoint> next() const {
    if (order_.empty()) return std::nullopt;
    return order_.begin()->first;
  }

  // The earliest request due at `now`, disarmed; nullopt when none is due.
  std::optional<Id> take_due(TimePoint now) {
    if (order_.empty() || order_.begin()->first > now) return std::nullopt;
    const Id id = order_.begin()->second;
    order_.erase(order_.begin());
    due_.erase(id);
    return id;
  }

  void clear() {
    order_.clear();
    due_.clear();
  }

 private:
  std::set<std::pair<TimePoint, Id>> order_;
  std::unordered_map<Id, TimePoint> due_;
};

}  // namespace uvwamp
