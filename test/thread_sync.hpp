// What a test thread and worker threads meet at: a Gate the test opens, and a Counter of what
// the workers did, to wait on. Never a sleep standing in for either.
#pragma once

#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace uvwamp::test {

// A gate the test opens for the workers waiting at it.
class Gate {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// Counts what workers did, for a test thread to wait on.
class Counter {
 public:
  void add() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++count_;
    }
    changed_.notify_all();
  }
  bool wait_for(int count, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return count_ >= count; });
  }
  int value() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

// Runs `loop` until `counter` reached `count`, false after 10 s. Workers do not wake the loop,
// so it runs without blocking, between waits of up to a millisecond for the workers.
inline bool run_until_counted(uv_loop_t* loop, Counter& counter, int count) {
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!counter.wait_for(count, std::chrono::milliseconds(1))) {
    if (std::chrono::steady_clock::now() > limit) return false;
    uv_run(loop, UV_RUN_NOWAIT);
  }
  return true;
}

}  // namespace uvwamp::test
