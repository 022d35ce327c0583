// Backoff: the delay before each reconnect attempt, by ReconnectOptions: initial_delay, times
// multiplier for each attempt after the first, at most max_delay, then spread by jitter. The
// randomness is the caller's, so that the rule is tested without it.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/reconnect.hpp>

#include <chrono>

namespace uvwamp {
namespace detail {

class Backoff {
 public:
  // Throws std::invalid_argument for options that cannot work: a negative delay, a max_delay
  // below initial_delay, a multiplier below 1, a jitter outside 0..1.
  explicit Backoff(const ReconnectOptions& options);

  // The delay before attempt `attempt` (1 for the first), for `unit` drawn uniformly from
  // [0, 1): the nominal delay d scaled into [d * (1 - jitter), d * (1 + jitter)].
  std::chrono::milliseconds delay(unsigned attempt, double unit) const;

 private:
  double initial_ms_;
  double max_ms_;
  double multiplier_;
  double jitter_;
};

}  // namespace detail
}  // namespace uvwamp
