// LoopMailbox: the one way into a loop's thread from other threads. post() may be called on any
// thread; the tasks run on the loop's thread, in the order they were posted, from a uv_async_t.
// Once closed (on the loop's thread), posts fail and drop their task, so a thread that outlives
// the mailbox's owner touches nothing of it.
// Internal to the library (not installed).
#pragma once

#include <uv.h>

#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>

namespace uvwamp::detail {

class LoopMailbox : public std::enable_shared_from_this<LoopMailbox> {
 public:
  using Reporter = std::function<void(std::exception_ptr)>;

  // A mailbox on `loop`, on the loop's thread. It does not keep the loop alive until hold().
  // What a task throws goes to `report`.
  static std::shared_ptr<LoopMailbox> open(uv_loop_t* loop, Reporter report);

  // Any thread. False, dropping `task` (destroyed on the calling thread), once closed.
  bool post(std::function<void()> task);

  // The loop's thread, from here on:
  // Runs the tasks posted so far (the uv_async_t's callback does the same).
  void drain();
  // While held, the mailbox keeps the loop running: while work elsewhere will post to it.
  void hold(bool keep_loop_alive);
  // No more posts; the tasks waiting are dropped, and `closed` runs once the handle is closed.
  void close(std::function<void()> closed);

 private:
  explicit LoopMailbox(Reporter report) : report_(std::move(report)) {}

  static void on_async(uv_async_t* async);
  static void on_closed(uv_handle_t* handle);

  Reporter report_;
  uv_async_t async_{};
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
  bool open_ = true;
  std::function<void()> on_closed_;
  // Itself, from open() until the handle closed.
  std::shared_ptr<LoopMailbox> self_;
};

}  // namespace uvwamp::detail
