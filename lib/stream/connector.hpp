// Connector: makes one connected Stream to an endpoint, on the caller's uv loop.
//
// start() begins connecting. Its callback runs exactly once, on the loop and never inside
// start(), with the connected stream (the owner then start_reading()s it) or an Error. The
// callback is the connector's last act, so the owner may destroy the connector inside it.
//
// cancel() stops a connect that is under way: once it returns the callback never runs, and
// `on_canceled` runs on the loop when every uv handle the connector made is closed; from then on
// the connector may be destroyed. A connector that was never started may be destroyed at once.
#pragma once

#include "stream/stream.hpp"

#include <functional>
#include <memory>

namespace uvwamp {

class Connector {
 public:
  using Callback = std::function<void(Result<std::unique_ptr<Stream>>)>;

  virtual ~Connector() = default;

  // Call once.
  virtual void start(Callback on_done) = 0;

  // False, and `on_canceled` never runs, when no connect is under way: before start(), after
  // the callback ran, or after an earlier cancel().
  virtual bool cancel(std::function<void()> on_canceled) = 0;
};

}  // namespace uvwamp
