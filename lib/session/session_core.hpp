// SessionCore: what the parts of the session share. The state and the epoch, the request ids,
// sending, deferring, running handlers, and the ways an epoch ends: leave() and the router's
// GOODBYE, ABORT, a protocol violation, or the owner's end(). Each role (establishing, caller,
// callee, publisher, subscriber) is a SessionRole that keeps its own records and gives them up
// when the epoch ends.
// Internal to the library (not installed).
#pragma once

#include <uvwamp/reconnect.hpp>
#include <uvwamp/session_info.hpp>
#include <uvwamp/wamp_error.hpp>

#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "message/message.hpp"
#include "session/session.hpp"
#include "session/session_errors.hpp"

namespace uvwamp {

// Completions taken out of the tables, run once the tables are consistent again: a handler may
// call back into the session, so none runs while a table is half updated.
using Callbacks = std::vector<std::function<void()>>;

// What the router's dealer announced in WELCOME (roles.dealer.features) that the caller needs.
struct DealerFeatures {
  bool call_canceling = false;
  bool call_timeout = false;
  bool progressive_call_invocations = false;
};

// One role of the session. What it holds belongs to one epoch.
class SessionRole {
 public:
  // The epoch ended, or the session was left: drop every record, so that nothing of the epoch
  // can be answered any more, and add the completions of what was pending, failed with `why`.
  // With `keep`, the registrations and subscriptions held are kept, to be sent again by the next
  // epoch's restore (Session::restore()).
  virtual void end_epoch(const WampError& why, bool keep, Callbacks& completions) = 0;
  // Drops what end_epoch() kept.
  virtual void forget_kept() {}

 protected:
  ~SessionRole() = default;
};

class SessionCore {
 public:
  using State = Session::State;

  SessionCore(Session::Link& link, Session::Listener& listener)
      : link_(link), listener_(listener) {}

  // The roles, whose records end with each epoch, in the order their completions run.
  void add_role(SessionRole& role) { roles_.push_back(&role); }

  State state() const noexcept { return state_; }
  std::uint64_t epoch() const noexcept { return epoch_; }
  bool established() const noexcept { return state_ == State::established; }

  // A new epoch, establishing, with request ids from 1 again.
  void start_epoch();
  void establish(DealerFeatures dealer) {
    state_ = State::established;
    dealer_ = dealer;
  }
  const DealerFeatures& dealer() const noexcept { return dealer_; }

  TimePoint now() const { return link_.now(); }

  // -- sending

  // Queues one message; the error, for the request that sent it, when it cannot go out.
  std::optional<WampError> send(const msg::Message& message);

  // Sends the request `build(id)` makes for the next request id. The id is used up, and
  // returned, only when the request went out.
  template <class Build>
  WampResult<Id> send_request(Build&& build) {
    const Id id = next_request_;
    if (auto failed = send(build(id))) return std::move(*failed);
    next_request_ = next_request_ == msg::max_id ? 1 : next_request_ + 1;
    return id;
  }

  // -- completing

  void defer(std::function<void()> task) { link_.defer(std::move(task)); }

  // Runs a handler; what it throws goes to the Listener, and the session goes on.
  template <class Body>
  void guarded(Body&& body) noexcept {
    try {
      body();
    } catch (...) {
      report(std::current_exception());
    }
  }
  void report(std::exception_ptr exception) noexcept;

  template <class Handler, class Outcome>
  void complete(Handler& handler, Outcome&& outcome) noexcept {
    if (handler) guarded([&] { handler(std::forward<Outcome>(outcome)); });
  }

  // A completion to run later, from Link::defer() or run(); it runs the handler unguarded.
  template <class Handler, class Outcome>
  static std::function<void()> completion(Handler handler, Outcome outcome) {
    return [handler = std::move(handler), outcome = std::move(outcome)]() mutable {
      if (handler) handler(std::move(outcome));
    };
  }

  template <class Handler, class Outcome>
  void complete_later(Handler handler, Outcome outcome) {
    defer(completion(std::move(handler), std::move(outcome)));
  }

  // Runs each callback, guarded.
  void run(Callbacks& callbacks) noexcept;
  // Runs what is left of every run() in progress (see Session::complete_pending()).
  void run_remaining() noexcept;

  // True when established; else `handler` fails later with not_joined.
  template <class Handler>
  bool refuse_unless_joined(Handler& handler) {
    if (established()) return true;
    complete_later(std::move(handler),
                   local_error(client_errc::not_joined, "no session is established"));
    return false;
  }

  // -- restoring what an earlier epoch held (Session::restore())

  // Whether an ending other than leave() keeps the registrations and subscriptions.
  void keep_for_restore(bool keep) noexcept { keep_for_restore_ = keep; }
  bool restoring() const noexcept { return static_cast<bool>(on_restored_); }
  void begin_restore(RestoreHandler handler) {
    on_restored_ = std::move(handler);
    restore_report_ = {};
    restore_awaited_ = 0;
    restore_sending_ = true;
  }
  // One more REGISTER or SUBSCRIBE of the restore went out.
  void restore_sent() { ++restore_awaited_; }
  // What the restore brought back, and what it could not, for its report.
  void restored(Registration registration) {
    restore_report_.registrations.push_back(std::move(registration));
  }
  void restored(Subscription subscription) {
    restore_report_.subscriptions.push_back(std::move(subscription));
  }
  void restore_failed(RestoreFailure failure) {
    restore_report_.failed.push_back(std::move(failure));
  }
  // One request of the restore is settled: answered, timed out, or given up by the application
  // (unregistered or unsubscribed meanwhile). The restore completes with the last.
  void restore_settled();
  // Every request of the restore went out; it completes once all are answered.
  void end_restore_sending();
  // Drops what the roles kept to restore.
  void forget_kept();

  // -- ending

  // Ends the epoch: the state is closed, no role holds anything of it any more, and the
  // returned completions fail what was pending (join() first, leave() last) with `why`.
  Callbacks end_epoch(const WampError& why);
  // Ends the epoch with `why` for whatever was pending, telling nobody else.
  void run_ending(const WampError& why);
  // The router broke the protocol: ABORT saying `what`, and the epoch ends; the Listener is
  // told.
  void violation(const std::string& what);
  // The router ended an established session with GOODBYE or ABORT.
  void ended_by_router(const WampError& why);

  void leave(std::string reason, LeaveHandler handler);
  void on(msg::Goodbye& goodbye);
  void on(msg::Abort& abort);
  // While leaving only GOODBYE and ABORT count.
  void receive_while_leaving(msg::Message& message);

 private:
  Session::Link& link_;
  Session::Listener& listener_;
  std::vector<SessionRole*> roles_;
  State state_ = State::closed;
  std::uint64_t epoch_ = 0;
  DealerFeatures dealer_;
  Id next_request_ = 1;
  LeaveHandler on_left_;
  bool keep_for_restore_ = false;
  RestoreHandler on_restored_;
  RestoreReport restore_report_;
  std::size_t restore_awaited_ = 0;
  bool restore_sending_ = false;
  // Ends every role's records, and the restore under way, adding the completions.
  void end_roles(const WampError& why, bool keep, Callbacks& callbacks);

  // The runs in progress, innermost last: each one's callbacks and the next one due.
  struct Run {
    Callbacks* callbacks;
    std::size_t next;
  };
  std::vector<Run*> runs_;
};

// Takes the request `id` out of `table`, a map of pending requests by id; nullopt when it holds
// none.
template <class Table>
std::optional<typename Table::mapped_type> take_pending(Table& table, Id id) {
  auto found = table.find(id);
  if (found == table.end()) return std::nullopt;
  typename Table::mapped_type taken = std::move(found->second);
  table.erase(found);
  return taken;
}

// "ERROR for CALL request 7, which is no pending CALL": the sentence of a protocol violation.
std::string no_pending(msg::Type answer, Id request, msg::Type request_type);

}  // namespace uvwamp
