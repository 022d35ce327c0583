// detail::InvocationRecord: what the callee and an Invocation share about one invocation. The
// callee holds it while the invocation is live (unanswered, in the epoch it came in); the
// Invocation holds it to answer through, and finds the callee gone (`callee` null) once the
// invocation was answered or its epoch ended.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/rpc.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "message/message.hpp"

namespace uvwamp {

class Callee;

namespace detail {

struct InvocationRecord {
  Callee* callee = nullptr;
  Id request = 0;
  std::string registered_procedure;  // for messages
  bool receive_progress = false;
  bool answered = false;
  // Its session ended while it was live (which interrupted it).
  bool session_ended = false;
  // What interrupted it, once something did; its flag turns true at the same time.
  std::optional<Interrupt> interrupt;
  std::shared_ptr<std::atomic<bool>> canceled = std::make_shared<std::atomic<bool>>(false);
  InterruptHandler on_interrupt;
  // Progressive call invocation: more input may come; what came before on_input() was set
  // waits in `input`.
  bool input_open = false;
  InputHandler on_input;
  std::deque<InvocationInput> input;
  // The caller's timeout, when this session enforces it (RegisterOptions::forward_timeout).
  std::chrono::milliseconds timeout{0};

  // The Invocation a handler gets for `message`, which `record` was made for.
  static Invocation make_invocation(const std::shared_ptr<InvocationRecord>& record,
                                    msg::Invocation& message);
};

}  // namespace detail
}  // namespace uvwamp
