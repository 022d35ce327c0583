// The reconnect delays: growth by the multiplier up to the cap, the jitter's bounds at both ends
// of the random draw, and options that cannot work.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>

#include "client/backoff.hpp"

namespace uvwamp {
namespace {

using detail::Backoff;
using std::chrono::milliseconds;

ReconnectOptions options(milliseconds initial, milliseconds max, double multiplier, double jitter) {
  ReconnectOptions made;
  made.initial_delay = initial;
  made.max_delay = max;
  made.multiplier = multiplier;
  made.jitter = jitter;
  return made;
}

TEST(BackoffTest, GrowsByTheMultiplierUpToTheCap) {
  const Backoff backoff(options(milliseconds(100), milliseconds(1000), 2.0, 0.0));
  EXPECT_EQ(backoff.delay(1, 0.3), milliseconds(100));
  EXPECT_EQ(backoff.delay(2, 0.3), milliseconds(200));
  EXPECT_EQ(backoff.delay(3, 0.3), milliseconds(400));
  EXPECT_EQ(backoff.delay(4, 0.3), milliseconds(800));
  EXPECT_EQ(backoff.delay(5, 0.3), milliseconds(1000));
  EXPECT_EQ(backoff.delay(4'000'000'000u, 0.3), milliseconds(1000));
}

TEST(BackoffTest, JitterSpreadsEachDelayWithinItsBounds) {
  const Backoff backoff(options(milliseconds(1000), milliseconds(8000), 2.0, 0.25));
  EXPECT_EQ(backoff.delay(1, 0.0), milliseconds(750));
  EXPECT_EQ(backoff.delay(1, 0.5), milliseconds(1000));
  EXPECT_EQ(backoff.delay(1, 0.999999), milliseconds(1250));
  // At the cap the spread is the cap's: it may go above max_delay by the jitter.
  EXPECT_EQ(backoff.delay(10, 0.0), milliseconds(6000));
  EXPECT_EQ(backoff.delay(10, 0.999999), milliseconds(10000));
  for (double unit = 0.0; unit < 1.0; unit += 0.01) {
    const milliseconds delay = backoff.delay(2, unit);
    EXPECT_GE(delay, milliseconds(1500));
    EXPECT_LE(delay, milliseconds(2500));
  }
}

TEST(BackoffTest, FullJitterCanReachZero) {
  const Backoff backoff(options(milliseconds(400), milliseconds(400), 1.0, 1.0));
  EXPECT_EQ(backoff.delay(7, 0.0), milliseconds(0));
  EXPECT_EQ(backoff.delay(7, 0.5), milliseconds(400));
}

TEST(BackoffTest, OptionsThatCannotWorkAreRefused) {
  EXPECT_THROW(Backoff(options(milliseconds(-1), milliseconds(10), 2.0, 0.1)),
               std::invalid_argument);
  EXPECT_THROW(Backoff(options(milliseconds(100), milliseconds(10), 2.0, 0.1)),
               std::invalid_argument);
  EXPECT_THROW(Backoff(options(milliseconds(1), milliseconds(10), 0.5, 0.1)),
               std::invalid_argument);
  EXPECT_THROW(Backoff(options(milliseconds(1), milliseconds(10), 2.0, 1.5)),
               std::invalid_argument);
  EXPECT_THROW(Backoff(options(milliseconds(1), milliseconds(10), 2.0, -0.1)),
               std::invalid_argument);
  EXPECT_NO_THROW(Backoff(ReconnectOptions{}));
}

}  // namespace
}  // namespace uvwamp
