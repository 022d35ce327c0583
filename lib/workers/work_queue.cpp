#include "workers/work_queue.hpp"

#include <utility>

namespace uvwamp::detail {

WorkQueue::WorkQueue(unsigned threads) {
  threads_.reserve(threads);
  try {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([shared = shared_] { work(shared); });
    }
  } catch (...) {
    stop();
    for (std::thread& thread : threads_)
      thread.join();
    throw;
  }
}

WorkQueue::~WorkQueue() {
  stop();
  for (std::thread& thread : threads_) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();
    } else {
      thread.join();
    }
  }
}

void WorkQueue::push(std::shared_ptr<WorkerJob> job) {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->jobs.push_back(std::move(job));
  }
  shared_->wake.notify_one();
}

void WorkQueue::stop() {
  std::deque<std::shared_ptr<WorkerJob>> abandoned;
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stopping = true;
    abandoned.swap(shared_->jobs);
  }
  shared_->wake.notify_all();
  for (const auto& job : abandoned)
    job->abandon();
}

void WorkQueue::work(const std::shared_ptr<Shared>& shared) {
  for (;;) {
    std::shared_ptr<WorkerJob> job;
    {
      std::unique_lock<std::mutex> lock(shared->mutex);
      shared->wake.wait(lock, [&] { return shared->stopping || !shared->jobs.empty(); });
      if (shared->stopping) return;
      job = std::move(shared->jobs.front());
      shared->jobs.pop_front();
    }
    job->run();
  }
}

}  // namespace uvwamp::detail
