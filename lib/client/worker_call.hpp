// detail::WorkerCall: one invocation of a procedure registered on a WorkerPool, as the worker
// thread that runs its handler and the loop's thread that holds its Invocation share it. The
// worker side answers by posting to the client's LoopMailbox; the loop side hands each answer to
// the Invocation (PooledInvocations::deliver) and tells the worker side of an interruption.
// Exactly one final message (an answer, or none after an interruption) goes to the loop for
// each call, so that the loop side knows when to let go of it.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>
#include <uvwamp/value.hpp>
#include <uvwamp/worker_pool.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client/loop_mailbox.hpp"
#include "workers/work_queue.hpp"

namespace uvwamp::detail {

class PooledInvocations;

// What the worker side asks the loop side to do with the Invocation.
struct WorkerAnswer {
  enum class Kind {
    yield,
    error,
    progress,
    none,  // final, with nothing to send: the invocation was interrupted
  };
  Kind kind = Kind::none;
  std::string uri;  // for error
  Value::Array args;
  Value::Object kwargs;
};

struct WorkerCall final : WorkerJob, std::enable_shared_from_this<WorkerCall> {
  // Set on the loop's thread before the call is queued; read-only after that.
  std::uint64_t id = 0;
  std::shared_ptr<const WorkerInvocationHandler> handler;
  std::shared_ptr<LoopMailbox> mailbox;
  PooledInvocations* owner = nullptr;  // only inside mailbox tasks, which run while it lives
  bool receive_progress = false;
  std::string procedure;  // for messages
  // The payload and details; the worker thread moves them into the WorkerInvocation.
  std::optional<InvocationData> data;

  std::shared_ptr<std::atomic<bool>> canceled = std::make_shared<std::atomic<bool>>(false);

  mutable std::mutex mutex;
  mutable std::condition_variable interrupted_cv;
  // Guarded by `mutex`:
  bool finished = false;  // the final message was posted (or could not be)
  std::optional<Interrupt> interrupt;
  InterruptHandler on_interrupt;
  // While the handler runs: its thread, and whether the WorkerInvocation was dropped on it
  // (then run() answers once the handler returned, with what it threw if it threw).
  std::thread::id runner;
  bool dropped_while_running = false;

  void run() override;
  void abandon() override;

  // The loop's thread: the Invocation was interrupted.
  void interrupted_by(const Interrupt& what);

  // Any thread, with `mutex` held: posts the final message, unless one went.
  bool post_final_locked(WorkerAnswer answer);
  // Any thread: the WorkerInvocation was destroyed unanswered.
  void dropped();
};

}  // namespace uvwamp::detail
