#include "client/loop_mailbox.hpp"

#include <utility>

namespace uvwamp::detail {

std::shared_ptr<LoopMailbox> LoopMailbox::open(uv_loop_t* loop, Reporter report) {
  std::shared_ptr<LoopMailbox> mailbox(new LoopMailbox(std::move(report)));
  // uv_async_init fails only for a null callback.
  (void)uv_async_init(loop, &mailbox->async_, on_async);
  mailbox->async_.data = mailbox.get();
  uv_unref(reinterpret_cast<uv_handle_t*>(&mailbox->async_));
  mailbox->self_ = mailbox;
  return mailbox;
}

bool LoopMailbox::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (open_) {
      tasks_.push_back(std::move(task));
      // Under the lock, so that close() cannot close the handle between the check and the send.
      uv_async_send(&async_);
      return true;
    }
  }
  return false;
}

void LoopMailbox::drain() {
  // One task at a time, so that a task that drains (or posts) finds the rest in order.
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (tasks_.empty()) return;
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    try {
      task();
    } catch (...) {
      report_(std::current_exception());
    }
  }
}

void LoopMailbox::hold(bool keep_loop_alive) {
  auto* handle = reinterpret_cast<uv_handle_t*>(&async_);
  if (uv_is_closing(handle)) return;
  if (keep_loop_alive) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void LoopMailbox::close(std::function<void()> closed) {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = false;
    dropped.swap(tasks_);
  }
  on_closed_ = std::move(closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), on_closed);
}

void LoopMailbox::on_async(uv_async_t* async) {
  static_cast<LoopMailbox*>(async->data)->drain();
}

void LoopMailbox::on_closed(uv_handle_t* handle) {
  auto* mailbox = static_cast<LoopMailbox*>(handle->data);
  std::shared_ptr<LoopMailbox> keep = std::move(mailbox->self_);
  std::function<void()> closed = std::move(mailbox->on_closed_);
  if (closed) closed();
}

}  // namespace uvwamp::detail
