// RecentIds: the last `capacity` ids added, for answers that may still come after a request
// ended here (a call canceled or timed out, an invocation answered while its input went on).
// Such an answer is dropped instead of breaking the protocol; the bound keeps a session that
// cancels forever from growing forever, at the price of a very late answer, after `capacity`
// newer ones, counting as unexpected.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/wamp_error.hpp>

#include <cstddef>
#include <deque>
#include <unordered_set>

namespace uvwamp {

class RecentIds {
 public:
  explicit RecentIds(std::size_t capacity) : capacity_(capacity) {}

  void add(Id id) {
    if (!ids_.insert(id).second) return;
    order_.push_back(id);
    if (order_.size() > capacity_) {
      ids_.erase(order_.front());
      order_.pop_front();
    }
  }
  bool contains(Id id) const { return ids_.count(id) != 0; }
  void clear() {
    ids_.clear();
    order_.clear();
  }

 private:
  std::size_t capacity_;
  std::unordered_set<Id> ids_;
  std::deque<Id> order_;
};

}  // namespace uvwamp
