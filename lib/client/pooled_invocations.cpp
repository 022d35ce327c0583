#include "client/pooled_invocations.hpp"

#include <utility>

namespace uvwamp::detail {

PooledInvocations::PooledInvocations(uv_loop_t* loop, LoopMailbox::Reporter report)
    : mailbox_(LoopMailbox::open(loop, std::move(report))) {}

InvocationHandler PooledInvocations::handler_for(std::shared_ptr<WorkerPool> pool,
                                                 WorkerInvocationHandler handler) {
  auto shared_handler = std::make_shared<const WorkerInvocationHandler>(std::move(handler));
  return [this, pool = std::move(pool), shared_handler](Invocation invocation) {
    start(std::move(invocation), pool, shared_handler);
  };
}

void PooledInvocations::start(Invocation invocation, const std::shared_ptr<WorkerPool>& pool,
                              const std::shared_ptr<const WorkerInvocationHandler>& handler) {
  auto call = std::make_shared<WorkerCall>();
  call->id = ++last_id_;
  call->handler = handler;
  call->mailbox = mailbox_;
  call->owner = this;
  call->receive_progress = invocation.receive_progress();
  call->procedure = invocation.procedure();
  call->data.emplace(std::move(static_cast<InvocationData&>(invocation)));
  invocation.on_interrupt([call](const Interrupt& what) { call->interrupted_by(what); });
  live_.emplace(call->id, Live{std::move(invocation), call->procedure, pool});
  // The loop runs on while a worker may still answer.
  if (live_.size() == 1) mailbox_->hold(true);
  pool->queue_->push(std::move(call));
}

void PooledInvocations::deliver(std::uint64_t id, WorkerAnswer answer) {
  auto found = live_.find(id);
  if (found == live_.end()) return;
  Invocation& invocation = found->second.invocation;
  bool sent = true;
  switch (answer.kind) {
    case WorkerAnswer::Kind::progress:
      (void)invocation.progress(std::move(answer.args), std::move(answer.kwargs));
      return;
    case WorkerAnswer::Kind::yield:
      sent = invocation.yield(std::move(answer.args), std::move(answer.kwargs));
      break;
    case WorkerAnswer::Kind::error:
      sent =
          invocation.error(std::move(answer.uri), std::move(answer.args), std::move(answer.kwargs));
      break;
    case WorkerAnswer::Kind::none:
      break;
  }
  // The worker was told its answer was taken: one that cannot go (a payload the serializer
  // cannot write, say) still must not leave the caller waiting.
  if (!sent && !invocation.answered() && !invocation.interrupted()) {
    (void)invocation.error(
        "wamp.error.runtime_error",
        {"the answer of the invocation of '" + found->second.procedure + "' could not be sent"});
  }
  Live done = std::move(found->second);
  live_.erase(found);
  if (live_.empty()) mailbox_->hold(false);
}

void PooledInvocations::close(std::function<void()> closed) {
  mailbox_->close(std::move(closed));
}

}  // namespace uvwamp::detail
