#include "client/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace uvwamp {
namespace detail {

Backoff::Backoff(const ReconnectOptions& options)
    : initial_ms_(static_cast<double>(options.initial_delay.count())),
      max_ms_(static_cast<double>(options.max_delay.count())),
      multiplier_(options.multiplier),
      jitter_(options.jitter) {
  if (initial_ms_ < 0 || max_ms_ < initial_ms_) {
    throw std::invalid_argument(
        "ReconnectOptions: the delays must be zero or more, and max_delay at least "
        "initial_delay");
  }
  if (!(multiplier_ >= 1.0) || !std::isfinite(multiplier_)) {
    throw std::invalid_argument("ReconnectOptions: multiplier must be a finite number >= 1");
  }
  if (!(jitter_ >= 0.0 && jitter_ <= 1.0)) {
    throw std::invalid_argument("ReconnectOptions: jitter must be between 0 and 1");
  }
}

std::chrono::milliseconds Backoff::delay(unsigned attempt, double unit) const {
  // A long outage makes the power infinite, which the cap turns into max_delay.
  const double growth = std::pow(multiplier_, attempt > 0 ? attempt - 1.0 : 0.0);
  const double nominal = std::min(initial_ms_ * growth, max_ms_);
  const double spread = nominal * jitter_ * (2.0 * std::clamp(unit, 0.0, 1.0) - 1.0);
  return std::chrono::milliseconds(static_cast<long long>(std::llround(nominal + spread)));
}

}  // namespace detail
}  // namespace uvwamp
