// uvwamp::WorkerPool: threads that run callee handlers off the loop's thread, so that a
// procedure doing real work (a query, a computation, a conversion) keeps the loop responsive
// and stops the moment its caller cancels.
//
//   auto pool = std::make_shared<uvwamp::WorkerPool>(4);
//   client.register_procedure("com.example.convert", {}, pool,
//       [](uvwamp::WorkerInvocation invocation) {        // on one of the pool's threads
//         while (!invocation.interrupted() && more_work()) step();
//         invocation.yield({result()});                  // from any thread
//       },
//       on_registered);
//
// Threading contract (docs/workers.md):
//  - The pool starts its threads when it is made, and no other: a client starts none.
//  - A registration made with a pool (Client::register_procedure) hands each invocation to the
//    pool's queue; the first free thread runs its handler. The loop's thread never waits for
//    the pool.
//  - A WorkerInvocation may be used on any thread, by one thread at a time: its answers post
//    to the loop's thread, which sends them in the order they were made. Nothing else of the
//    client may be touched off the loop's thread.
//  - An interruption (the caller canceled, a timeout, the session's end; see Invocation) flips
//    interrupted() and the cancellation token at once and wakes wait_for_interrupt(); the
//    on_interrupt() handler runs on the loop's thread, while the invocation's handler may still
//    run on its own. An invocation interrupted while it waits in the queue never runs; the
//    caller gets wamp.error.canceled (or wamp.error.timeout) at once either way.
//  - A pool may serve many clients, on one loop or several. Clients and their registrations
//    hold it (std::shared_ptr), so it lives as long as anything may queue work on it.
#pragma once

#include <uvwamp/rpc.hpp>
#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace uvwamp {

namespace detail {
class WorkQueue;
struct WorkerCall;
class PooledInvocations;
}  // namespace detail

class WorkerPool {
 public:
  // Starts `threads` threads. Throws std::invalid_argument for 0, and std::system_error when a
  // thread cannot start.
  explicit WorkerPool(unsigned threads);
  // Stops taking work; the invocations still queued are answered wamp.error.canceled without
  // running; then waits for the handlers that run to return. By the time the last owner lets
  // go of a pool, the clients that used it have interrupted what they queued on it (their
  // sessions ended), so this waits as long as those handlers take to notice.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned threads() const noexcept;

 private:
  friend class detail::PooledInvocations;
  std::shared_ptr<detail::WorkQueue> queue_;
};

// One call of a procedure registered on a pool, handed to its handler on a worker thread.
// Answer it once, with yield() or error(), from any thread; progress() may send progressive
// results first. The answers are queued for the loop's thread: true means the answer was
// taken, not that it reached the router (the session may end before it goes). One destroyed
// unanswered answers the caller with wamp.error.runtime_error; one whose handler throws, with
// the exception's what().
class WorkerInvocation : public InvocationData {
 public:
  WorkerInvocation(WorkerInvocation&&) noexcept = default;
  WorkerInvocation& operator=(WorkerInvocation&&) noexcept;
  ~WorkerInvocation();

  // True when the answer was taken; false when it was answered or interrupted before, the
  // error URI is invalid, or the client is gone.
  bool yield(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool error(std::string uri, Value::Array error_args = {}, Value::Object error_kwargs = {});
  // A progressive result, before the final answer. Fails, taking nothing, when the caller did
  // not ask for progressive results or the invocation was answered (invalid_argument), was
  // interrupted (canceled), or the client is gone (closed).
  WampStatus progress(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool answered() const noexcept;

  bool interrupted() const noexcept;
  // What interrupted it, once something did.
  std::optional<Interrupt> interruption() const;
  CancellationToken cancellation() const;
  // Blocks the calling thread until the invocation is interrupted or `duration` passed; true
  // when it was interrupted. A handler that works in steps can wait with it instead of
  // sleeping.
  bool wait_for_interrupt(std::chrono::milliseconds duration) const;
  // Runs `handler` when the invocation is interrupted, on the loop's thread (see the contract
  // above): it must be safe to run beside the invocation's handler. When the invocation was
  // interrupted already, it runs at once, inside this call, on the calling thread; never after
  // the invocation was answered. One handler; a second replaces the first.
  void on_interrupt(InterruptHandler handler);

 private:
  friend struct detail::WorkerCall;
  explicit WorkerInvocation(std::shared_ptr<detail::WorkerCall> call);

  std::shared_ptr<detail::WorkerCall> call_;
};

// Runs on a worker thread. A handler that throws answers the caller with
// wamp.error.runtime_error and the exception's what(), unless it answered first.
using WorkerInvocationHandler = std::function<void(WorkerInvocation)>;

}  // namespace uvwamp
