#include "client/worker_call.hpp"

#include <stdexcept>
#include <utility>

#include "client/pooled_invocations.hpp"
#include "session/session_errors.hpp"
#include "session/uri.hpp"

namespace uvwamp {
namespace detail {
namespace {

constexpr char runtime_error_uri[] = "wamp.error.runtime_error";

WorkerAnswer error_answer(std::string uri, std::string text) {
  return WorkerAnswer{WorkerAnswer::Kind::error, std::move(uri), {Value(std::move(text))}, {}};
}

}  // namespace

bool WorkerCall::post_final_locked(WorkerAnswer answer) {
  if (finished) return false;
  finished = true;
  if (interrupt) answer = WorkerAnswer{};  // the interruption answered it
  return mailbox->post([owner = owner, id = id, answer = std::move(answer)]() mutable {
    owner->deliver(id, std::move(answer));
  });
}

void WorkerCall::run() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    // Interrupted while queued: it never runs.
    if (interrupt) {
      post_final_locked(WorkerAnswer{});
      return;
    }
    runner = std::this_thread::get_id();
  }
  WorkerInvocation invocation(shared_from_this());
  static_cast<InvocationData&>(invocation) = std::move(*data);
  data.reset();
  std::optional<std::string> thrown;
  try {
    (*handler)(std::move(invocation));
  } catch (const std::exception& e) {
    thrown = e.what();
  } catch (...) {
    thrown = "the invocation handler threw an exception that is not a std::exception";
  }
  std::lock_guard<std::mutex> lock(mutex);
  runner = std::thread::id();
  // Answered, or the WorkerInvocation lives on elsewhere to answer later.
  if (finished || !dropped_while_running) return;
  post_final_locked(error_answer(
      runtime_error_uri,
      thrown ? *thrown : "the invocation of '" + procedure + "' was dropped unanswered"));
}

void WorkerCall::abandon() {
  std::lock_guard<std::mutex> lock(mutex);
  post_final_locked(
      error_answer("wamp.error.canceled",
                   "the worker pool stopped before the invocation of '" + procedure + "' ran"));
}

void WorkerCall::dropped() {
  std::lock_guard<std::mutex> lock(mutex);
  if (finished) return;
  if (runner == std::this_thread::get_id()) {
    dropped_while_running = true;
    return;
  }
  post_final_locked(error_answer(runtime_error_uri,
                                 "the invocation of '" + procedure + "' was dropped unanswered"));
}

void WorkerCall::interrupted_by(const Interrupt& what) {
  InterruptHandler handler;
  bool interrupts = false;
  {
    std::lock_guard<std::mutex> lock(mutex);
    // Answered before: the answer wins, as it would have had it reached the loop first.
    if (!interrupt && !finished) {
      interrupts = true;
      interrupt = what;
      canceled->store(true, std::memory_order_release);
      handler = std::move(on_interrupt);
      on_interrupt = nullptr;
    }
  }
  if (interrupts) interrupted_cv.notify_all();
  // An answer posted before the interruption goes now, before the session answers the
  // interruption itself (which it does only when nothing answered).
  mailbox->drain();
  if (handler) handler(what);
}

}  // namespace detail

WorkerInvocation::WorkerInvocation(std::shared_ptr<detail::WorkerCall> call)
    : call_(std::move(call)) {}

WorkerInvocation& WorkerInvocation::operator=(WorkerInvocation&& other) noexcept {
  if (this == &other) return *this;
  WorkerInvocation previous(std::move(*this));
  call_ = std::move(other.call_);
  InvocationData::operator=(std::move(other));
  return *this;
}

WorkerInvocation::~WorkerInvocation() {
  if (call_) call_->dropped();
}

bool WorkerInvocation::yield(Value::Array result_args, Value::Object result_kwargs) {
  if (!call_) return false;
  std::lock_guard<std::mutex> lock(call_->mutex);
  if (call_->interrupt) return false;
  return call_->post_final_locked(detail::WorkerAnswer{
      detail::WorkerAnswer::Kind::yield, {}, std::move(result_args), std::move(result_kwargs)});
}

bool WorkerInvocation::error(std::string uri, Value::Array error_args, Value::Object error_kwargs) {
  if (!call_ || !is_valid_uri(uri)) return false;
  std::lock_guard<std::mutex> lock(call_->mutex);
  if (call_->interrupt) return false;
  return call_->post_final_locked(detail::WorkerAnswer{detail::WorkerAnswer::Kind::error,
                                                       std::move(uri), std::move(error_args),
                                                       std::move(error_kwargs)});
}

WampStatus WorkerInvocation::progress(Value::Array result_args, Value::Object result_kwargs) {
  if (!call_) return local_error(client_errc::invalid_argument, "the invocation was moved from");
  if (!call_->receive_progress) {
    return local_error(client_errc::invalid_argument,
                       "the caller of '" + call_->procedure +
                           "' did not ask for progressive results (receive_progress)");
  }
  std::lock_guard<std::mutex> lock(call_->mutex);
  if (call_->interrupt) {
    return local_error(client_errc::canceled,
                       "the invocation of '" + call_->procedure + "' was interrupted");
  }
  if (call_->finished) {
    return local_error(client_errc::invalid_argument,
                       "the invocation of '" + call_->procedure + "' was answered already");
  }
  const bool posted =
      call_->mailbox->post([owner = call_->owner, id = call_->id,
                            answer = detail::WorkerAnswer{detail::WorkerAnswer::Kind::progress,
                                                          {},
                                                          std::move(result_args),
                                                          std::move(result_kwargs)}]() mutable {
        owner->deliver(id, std::move(answer));
      });
  if (!posted) return local_error(client_errc::closed, "the client of the invocation is gone");
  return {};
}

bool WorkerInvocation::answered() const noexcept {
  if (!call_) return true;
  std::lock_guard<std::mutex> lock(call_->mutex);
  return call_->finished && !call_->interrupt;
}

bool WorkerInvocation::interrupted() const noexcept {
  return call_ && call_->canceled->load(std::memory_order_acquire);
}

std::optional<Interrupt> WorkerInvocation::interruption() const {
  if (!call_) return std::nullopt;
  std::lock_guard<std::mutex> lock(call_->mutex);
  return call_->interrupt;
}

CancellationToken WorkerInvocation::cancellation() const {
  if (!call_) return CancellationToken();
  return CancellationToken(call_->canceled);
}

bool WorkerInvocation::wait_for_interrupt(std::chrono::milliseconds duration) const {
  if (!call_) return false;
  std::unique_lock<std::mutex> lock(call_->mutex);
  auto interrupted = [&] { return call_->interrupt.has_value(); };
  // A deadline this far away is no deadline, and adding it to now() could overflow.
  if (duration >= std::chrono::hours(24 * 365)) {
    call_->interrupted_cv.wait(lock, interrupted);
    return true;
  }
  return call_->interrupted_cv.wait_for(lock, duration, interrupted);
}

void WorkerInvocation::on_interrupt(InterruptHandler handler) {
  if (!call_) return;
  std::unique_lock<std::mutex> lock(call_->mutex);
  if (call_->interrupt) {
    const Interrupt what = *call_->interrupt;
    lock.unlock();
    if (handler) handler(what);
    return;
  }
  if (!call_->finished) call_->on_interrupt = std::move(handler);
}

WorkerPool::WorkerPool(unsigned threads) {
  if (threads == 0) throw std::invalid_argument("a WorkerPool needs at least one thread");
  queue_ = std::make_shared<detail::WorkQueue>(threads);
}

WorkerPool::~WorkerPool() = default;

unsigned WorkerPool::threads() const noexcept {
  return queue_->threads();
}

}  // namespace uvwamp
