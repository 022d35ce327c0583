// uvwamp: the Caller and Callee roles' vocabulary: call and registration options, results, the
// handles of calls and registrations, the invocations a callee answers, and the handlers that
// receive them. See docs/rpc.md for each feature and which router supports it.
#pragma once

#include <uvwamp/value.hpp>
#include <uvwamp/wamp_error.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace uvwamp {

// How a call is canceled: CANCEL.Options.mode, and the mode of the INTERRUPT a callee gets.
enum class CancelMode {
  skip,        // the callee is not told; the call ends at once
  kill,        // the callee is interrupted, and its answer (an error, or a result that won the
               // race) ends the call
  killnowait,  // the callee is interrupted; the call ends at once
};

struct CallResult {
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;
};

// One progressive result of a call (RESULT with Details.progress), before its final one.
using ProgressHandler = std::function<void(const CallResult&)>;

struct CallOptions {
  // The longest the call may take (CALL.Options.timeout, and a timer of the client's own): then
  // it ends with client_errc::timed_out and, where the router supports canceling, a CANCEL
  // (killnowait) tells the callee. With progressive results the time counts from the last
  // result. nullopt: ClientOptions::call_timeout; zero: no limit.
  std::optional<std::chrono::milliseconds> timeout;
  // Progressive call results: asks for them (receive_progress), and each one reaches this
  // handler, in order, before the call completes. Unset, a progressive result that a router
  // sends anyway is ignored.
  ProgressHandler on_progress;
  // Progressive call invocation: this call's input comes in chunks, this the first; send the
  // rest with continue_call(), the last with `progress` false. Needs a router that announces
  // progressive_call_invocations (nexus does, Crossbar does not): else the call fails with
  // client_errc::not_supported and nothing is sent.
  bool progress = false;
  // Caller identification: asks the router to tell the callee who calls (disclose_me).
  bool disclose_me = false;
  // Router-specific options, sent as given; the fields above win over members of the same name.
  Value::Object extra;
};

// The handle of a call in flight, for cancel() and continue_call(). A plain value; a handle of
// a completed call, or of another session, names nothing.
struct CallRequest {
  Id request_id = 0;  // 0: the call was refused before it went out
  std::uint64_t session_epoch = 0;
};

// The handle for unregister(). A plain value: dropping one changes nothing, and it may outlive
// the client. It names the registration by `local_id`, which the client never gives another, so
// it keeps naming it when a reconnect restores it under a new router id (ReconnectOptions); a
// handle whose registration ended (unregistered, revoked, not restored, or dropped with its
// session by leave() or a connection lost without reconnect) names nothing, and unregister()
// refuses it.
struct Registration {
  Id id = 0;  // the router's id when the handle was made; a restore changes it
  std::string procedure;
  std::uint64_t local_id = 0;
};

// Pattern-based registration (REGISTER.Options.match): which calls the procedure URI matches.
enum class MatchPolicy {
  exact,
  prefix,    // every procedure that starts with the URI
  wildcard,  // empty components of the URI match any component ("com.example..get")
};

// Shared registration (REGISTER.Options.invoke): whether other callees may register the same
// procedure, and which of them a call goes to.
enum class InvokePolicy { single, roundrobin, random, first, last };

// The spec's names of the modes and policies ("killnowait", "prefix", "roundrobin"), and back;
// nullopt for a name that names none.
std::string_view wamp_name(CancelMode mode) noexcept;
std::string_view wamp_name(MatchPolicy match) noexcept;
std::string_view wamp_name(InvokePolicy invoke) noexcept;
std::optional<CancelMode> parse_cancel_mode(std::string_view name) noexcept;
std::optional<MatchPolicy> parse_match_policy(std::string_view name) noexcept;
std::optional<InvokePolicy> parse_invoke_policy(std::string_view name) noexcept;

// The router revoked a registration (UNREGISTERED with request 0): it gets no more invocations.
// `reason` is the router's, empty when it gave none.
using RevokedHandler = std::function<void(const Registration&, const std::string& reason)>;

struct RegisterOptions {
  MatchPolicy match = MatchPolicy::exact;
  InvokePolicy invoke = InvokePolicy::single;
  // The most invocations the router runs at once on this callee's registration; 0, no limit.
  // Crossbar honours it; nexus ignores it.
  unsigned concurrency = 0;
  // Asks the router to disclose every caller to this callee (disclose_caller).
  bool disclose_caller = false;
  // The callee, not the router, times the calls: the router forwards each caller's timeout
  // (INVOCATION.Details.timeout, Invocation::timeout()) and the session interrupts the
  // invocation when it passes, answering wamp.error.timeout.
  bool forward_timeout = false;
  // Registration revocation; see RevokedHandler.
  RevokedHandler on_revoked;
  // How long to wait for REGISTERED; then the request fails with client_errc::timed_out, and a
  // registration the router makes after all is unregistered at once. nullopt:
  // ClientOptions::request_timeout; zero: no limit.
  std::optional<std::chrono::milliseconds> timeout;
  // Router-specific options, sent as given; the fields above win over members of the same name.
  Value::Object extra;
};

// What interrupted an invocation: the router's INTERRUPT (the caller canceled, or the router's
// timer ran out) or the invocation's own timeout (RegisterOptions::forward_timeout).
struct Interrupt {
  CancelMode mode = CancelMode::killnowait;  // kill or killnowait; killnowait when none was given
  std::string reason;  // INTERRUPT.Options.reason ("wamp.error.canceled"), empty when none was
                       // given; wamp.error.timeout for the invocation's own timeout
};
using InterruptHandler = std::function<void(const Interrupt&)>;

// The next chunk of a progressive call invocation's input.
struct InvocationInput {
  Value::Array args;
  Value::Object kwargs;
  bool more = false;  // more chunks follow
};
using InputHandler = std::function<void(InvocationInput)>;

// Whether an invocation was interrupted, readable from any thread: hand it to work that runs
// elsewhere so that it can stop early. A default-made token is never canceled.
class CancellationToken {
 public:
  CancellationToken() = default;
  explicit CancellationToken(std::shared_ptr<const std::atomic<bool>> flag) noexcept
      : flag_(std::move(flag)) {}

  bool canceled() const noexcept { return flag_ && flag_->load(std::memory_order_acquire); }

 private:
  std::shared_ptr<const std::atomic<bool>> flag_;
};

namespace detail {
struct InvocationRecord;
}

// What the router sent for one call of a registered procedure: the payload, the details, and
// what the details say, typed. Plain data, safe to read on any thread that holds it.
class InvocationData {
 public:
  Id request_id() const noexcept { return request_; }
  Id registration_id() const noexcept { return registration_; }
  // The procedure called: for a pattern-based registration the one the router names
  // (Details.procedure), else the one registered.
  const std::string& procedure() const noexcept { return procedure_; }
  Value::Array args;
  Value::Object kwargs;
  Value::Object details;  // INVOCATION.Details as the router sent them

  // What the details say, typed; a member the router left out, or sent with another type,
  // reads as absent.
  // Caller identification: who calls, when the router disclosed it.
  std::optional<Id> caller() const noexcept { return caller_; }
  const std::string& caller_authid() const noexcept { return caller_authid_; }
  const std::string& caller_authrole() const noexcept { return caller_authrole_; }
  std::optional<std::int64_t> trustlevel() const noexcept { return trustlevel_; }
  // The caller takes progressive results, so progress() may be used.
  bool receive_progress() const noexcept { return receive_progress_; }
  // The caller's timeout, when the router forwarded it; zero when none.
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }
  // Progressive call invocation: more input follows this one.
  bool more_input() const noexcept { return more_input_; }

 protected:
  InvocationData() = default;

 private:
  friend struct detail::InvocationRecord;

  Id request_ = 0;
  Id registration_ = 0;
  std::string procedure_;
  std::optional<Id> caller_;
  std::string caller_authid_;
  std::string caller_authrole_;
  std::optional<std::int64_t> trustlevel_;
  bool receive_progress_ = false;
  std::chrono::milliseconds timeout_{0};
  bool more_input_ = false;
};

// One call of a registered procedure, handed to its handler. Answer it once, with yield() or
// error(), now or later (move it somewhere to answer later), on the loop's thread; progress()
// may send progressive results first. An invocation destroyed unanswered answers the caller
// with wamp.error.runtime_error, so no caller waits forever. Answering after the session ended
// does nothing and returns false.
//
// Interruption: when the caller cancels (kill or killnowait), the router's timer runs out or
// the invocation's own timeout passes, the invocation is interrupted: interrupted() and its
// CancellationToken turn true, the on_interrupt() handler runs, and unless that handler
// answered, the session answers wamp.error.canceled (wamp.error.timeout for a timeout) at once.
// Later answers do nothing and return false (a router that interrupted with killnowait ignores
// them anyway). An invocation still unanswered when its session ends (left, lost, the client
// closed) is interrupted too, with the reason the session ended for (Interrupt::reason
// "uvwamp.error.closed", say), so that work done for it can stop; nothing answers it then.
class Invocation : public InvocationData {
 public:
  Invocation(Invocation&&) noexcept;
  Invocation& operator=(Invocation&&) noexcept;
  ~Invocation();

  // True when the answer went to the router.
  bool yield(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool error(std::string uri, Value::Array error_args = {}, Value::Object error_kwargs = {});
  // A progressive result, before the final answer. Fails, sending nothing, when the caller did
  // not ask for progressive results (invalid_argument), when the invocation was answered or
  // interrupted (invalid_argument, canceled) or its session is over (session_ended), and when
  // the message cannot be sent.
  WampStatus progress(Value::Array result_args = {}, Value::Object result_kwargs = {});
  bool answered() const noexcept;

  bool interrupted() const noexcept;
  CancellationToken cancellation() const;
  // Runs `handler` when the invocation is interrupted: at once, inside this call, if it
  // already was; never after it was answered. One handler; a second replaces the first.
  void on_interrupt(InterruptHandler handler);
  // Progressive call invocation: hands each further chunk of input to `handler`, in order; the
  // chunks that came before this call at once, inside it. The last chunk has `more` false.
  // Chunks that come after the invocation was answered are dropped.
  void on_input(InputHandler handler);

 private:
  friend struct detail::InvocationRecord;
  explicit Invocation(std::shared_ptr<detail::InvocationRecord> record);

  std::shared_ptr<detail::InvocationRecord> record_;
};

using CallHandler = std::function<void(WampResult<CallResult>)>;
using RegisterHandler = std::function<void(WampResult<Registration>)>;
// A handler that throws answers the caller with wamp.error.runtime_error and the exception's
// what(), unless it answered first.
using InvocationHandler = std::function<void(Invocation)>;

}  // namespace uvwamp
