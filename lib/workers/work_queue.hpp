// WorkQueue: the threads of a WorkerPool and the jobs that wait for them, first come first
// served. It knows nothing of WAMP or libuv: a job runs, or is abandoned when the queue stops
// before a thread took it.
// Internal to the library (not installed).
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace uvwamp::detail {

class WorkerJob {
 public:
  virtual ~WorkerJob() = default;
  // On one of the queue's threads.
  virtual void run() = 0;
  // The queue stopped before any thread took the job; on the thread that stopped it.
  virtual void abandon() = 0;
};

class WorkQueue {
 public:
  // Starts `threads` threads (at least one); throws std::system_error when one cannot start,
  // after stopping those that did.
  explicit WorkQueue(unsigned threads);
  // stop(), then waits for the threads. A thread of the queue that ends it (a job that held
  // the last owner of its pool) is detached instead: it cannot wait for itself.
  ~WorkQueue();

  unsigned threads() const noexcept { return static_cast<unsigned>(threads_.size()); }
  void push(std::shared_ptr<WorkerJob> job);

 private:
  // What the threads share; each holds it, so that a detached one outlives the queue safely.
  struct Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::shared_ptr<WorkerJob>> jobs;
    bool stopping = false;
  };

  static void work(const std::shared_ptr<Shared>& shared);
  // No more jobs run; those waiting are abandoned.
  void stop();

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::vector<std::thread> threads_;
};

}  // namespace uvwamp::detail
