// PooledInvocations: the loop's side of the registrations made on a WorkerPool. The session
// hands it each of their invocations on the loop's thread; it keeps the Invocation, queues a
// WorkerCall on the pool, and hands the Invocation what the worker answers, as it arrives
// through the client's LoopMailbox. An interruption of the Invocation reaches the WorkerCall.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>
#include <uvwamp/worker_pool.hpp>

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "client/loop_mailbox.hpp"
#include "client/worker_call.hpp"

namespace uvwamp::detail {

class PooledInvocations {
 public:
  // Takes a uv_async_t on `loop` (see close()); what a delivery throws goes to `report`.
  PooledInvocations(uv_loop_t* loop, LoopMailbox::Reporter report);
  PooledInvocations(const PooledInvocations&) = delete;
  PooledInvocations& operator=(const PooledInvocations&) = delete;

  // The invocation handler for a registration whose handler runs on `pool`.
  InvocationHandler handler_for(std::shared_ptr<WorkerPool> pool, WorkerInvocationHandler handler);

  // Hands the Invocation of call `id` what its worker posted.
  void deliver(std::uint64_t id, WorkerAnswer answer);

  // Closes the uv_async_t; `closed` runs once it is. Answers posted later are dropped: by then
  // the session is over, so nothing could send them.
  void close(std::function<void()> closed);

 private:
  struct Live {
    Invocation invocation;  // its payload and details went to the worker
    std::string procedure;  // for messages
    // The pool lives while a call of it does, and goes (waiting for its threads) only on the
    // loop's thread.
    std::shared_ptr<WorkerPool> pool;
  };

  void start(Invocation invocation, const std::shared_ptr<WorkerPool>& pool,
             const std::shared_ptr<const WorkerInvocationHandler>& handler);

  std::shared_ptr<LoopMailbox> mailbox_;
  std::map<std::uint64_t, Live> live_;
  std::uint64_t last_id_ = 0;
};

}  // namespace uvwamp::detail
