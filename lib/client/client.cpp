// Client: the shell around Session. It owns the uv handles and the Connection, tries the URLs
// in turn, hands the session's messages to the connection and the router's to the session,
// runs the session's deferred completions from a uv_idle_t on a later turn of the loop, and
// keeps one uv_timer_t armed for the session's next deadline. Every handler it or a deferred
// task runs is guarded: what one throws is reported (report()) and never reaches libuv.
//
// The shared ClientCore outlives the Client when it must: the destructor only starts closing
// the uv handles, and the core lets go of itself (`self_`) from the last close callback.
#include <uvwamp/client.hpp>

#include <uv.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <exception>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "client/backoff.hpp"
#include "client/pooled_invocations.hpp"
#include "session/session.hpp"
#include "transport/connection.hpp"
#include "transport/endpoint.hpp"

namespace uvwamp {
namespace detail {

class ClientCore final : public std::enable_shared_from_this<ClientCore>,
                         private Connection::Listener,
                         private Session::Link,
                         private Session::Listener,
                         private AuthContext {
 public:
  ClientCore(uv_loop_t* loop, ClientOptions options);
  ~ClientCore() override = default;

  // Takes the uv handles; from here on the core keeps itself alive until they are closed.
  void start();

  void join(JoinHandler on_joined);
  void leave(std::string reason, LeaveHandler on_left);
  void close(std::function<void()> on_closed);
  // ~Client: completes everything at once and closes the handles without calling back.
  void destroy();

  void set_session_ended_handler(SessionEndedHandler handler) {
    on_session_ended_ = std::move(handler);
  }
  bool is_joined() const noexcept { return session_.state() == Session::State::established; }
  std::size_t queued_bytes() const noexcept {
    return connection_ && phase_ == Phase::connected ? connection_->queued_bytes() : 0;
  }

  // Runs `request`, which owns what it sends, against the session and returns what it
  // returned. While the client reconnects the request waits for the rejoin (kept until then, and
  // a default-made value returned) or fails at once, as ReconnectOptions::request_wait says;
  // once close() ran it fails with `closed`. Failures go through `fail`, on a later turn.
  template <class Request, class Fail>
  auto submit(Request request, Fail fail) -> std::invoke_result_t<Request&, Session&>;
  // Runs `act` against the session now and returns its outcome; `closed` once close() ran.
  template <class Act>
  WampStatus act_now(Act&& act);

  const ClientOptions& options() const noexcept { return options_; }
  // The invocation handler of a registration whose handler runs on `pool`.
  InvocationHandler on_pool(std::shared_ptr<WorkerPool> pool, WorkerInvocationHandler handler) {
    return pooled_->handler_for(std::move(pool), std::move(handler));
  }

 private:
  enum class Phase {
    idle,           // no connection
    waiting,        // for the next reconnect attempt (reconnect_timer_)
    connecting,     // trying urls_[url_index_]
    connected,      // the connection is open; the session runs on it
    disconnecting,  // the connection is closing; then idle
    closing,        // close(): the connection, then the handles are closing
    closed,         // close()'s callback ran, or the Client was destroyed
  };

  void defer(std::function<void()> task) override;
  Status send(const msg::Message& message) override;
  TimePoint now() const override;
  void on_session_ended(const WampError& why) override;
  void on_handler_exception(std::exception_ptr exception) override;
  void on_message(Value message) override;
  void on_connection_lost(const Error& why) override;
  void on_send_pressure(bool congested) override;
  std::optional<std::vector<std::uint8_t>> tls_unique() const override;
  void run_blocking(std::function<void()> work, std::function<void()> done) override;

  // An attempt to connect and join: every URL once, from `first_url` on.
  void start_attempt(std::size_t first_url);
  void try_url();
  void on_connected(Result<const Serializer*> serializer);
  void next_url(const Error& why);
  void open_session();
  void on_session_joined(WampResult<SessionInfo> joined);
  // The attempt failed (the connection is closed): the next one, or the end of the cycle.
  void attempt_failed(const WampError& why);
  // The established session ended without leave(); `why` says how. The client reconnects when
  // the policy says so, else the session is over.
  void session_lost(const WampError& why);
  bool reconnects_after(const WampError& why) const;
  void schedule_attempt();
  void rejoined(SessionInfo session);
  // No more attempts: the cycle ends with `why`, for join()'s handler or the lost session.
  void give_up(const WampError& why);
  // Ends a reconnect cycle under way at once (leave(), close()); `why` fails what waited.
  void stop_reconnecting(const WampError& why);
  bool reconnecting() const noexcept { return rejoining_ && !established_; }
  WampError reconnecting_error() const;
  // The requests that wait for the rejoin: run them, or fail them with `why`.
  void release_waiting();
  void fail_waiting(const WampError& why);
  void rearm_wait_timer();
  // Closes the connection when it holds uv handles; `then` runs once it is closed, at once when
  // there is nothing to close. Calls made while it closes wait for the same close.
  void close_connection(std::function<void()> then);
  void on_connection_closed();
  // Ends the use of the connection, then completes `after` (on a later turn).
  void disconnect(std::function<void()> after);
  void on_disconnected();
  void start_closing();
  void close_handles();
  void finish_close();
  // Runs the tasks due: those queued before this turn, or with `all` every one, including
  // those the tasks add.
  void run_deferred(bool all);
  // Runs `handler`; what it throws is reported.
  template <class Handler>
  void guarded(Handler&& handler) noexcept;
  void report(std::exception_ptr exception) noexcept;
  // Arms the deadline timer for the session's next deadline, after anything that may have
  // changed it.
  void rearm_deadline_timer();

  static void on_idle(uv_idle_t* idle);
  static void on_goodbye_timer(uv_timer_t* timer);
  static void on_deadline_timer(uv_timer_t* timer);
  static void on_reconnect_timer(uv_timer_t* timer);
  static void on_wait_timer(uv_timer_t* timer);
  static void on_handle_closed(uv_handle_t* handle);
  void handle_closed();

  uv_loop_t* loop_;
  ClientOptions options_;
  // Before the session, which hands it invocations, so that it goes after the session.
  std::unique_ptr<PooledInvocations> pooled_;
  Session session_;
  Phase phase_ = Phase::idle;

  std::unique_ptr<Connection> connection_;
  bool connection_needs_close_ = false;  // its connect() succeeded, so it holds uv handles
  bool connection_closing_ = false;
  std::vector<std::function<void()>> on_connection_closed_;
  // Closed connections wait here for a turn of the loop, so that none is destroyed from inside
  // its own callback.
  std::vector<std::unique_ptr<Connection>> retired_connections_;
  std::size_t url_index_ = 0;
  std::size_t urls_tried_ = 0;  // in this attempt
  std::size_t first_url_ = 0;   // where the next attempt begins
  std::string connect_failures_;
  JoinHandler on_joined_;  // join()'s, until an attempt joins or the last one failed

  // Reconnecting (ReconnectOptions): the attempts of this cycle so far, and whether the cycle
  // brings back a lost session (else it retries a first join()).
  Backoff backoff_;
  std::mt19937_64 random_;
  unsigned attempt_ = 0;
  bool rejoining_ = false;
  struct WaitingRequest {
    TimePoint deadline;
    std::function<void(Session&)> run;
    std::function<void(const WampError&)> fail;
  };
  std::deque<WaitingRequest> waiting_;
  std::string connected_url_;
  const Serializer* serializer_ = nullptr;
  bool established_ = false;  // WELCOME came on the current connection
  std::vector<std::function<void()>> after_disconnect_;

  SessionEndedHandler on_session_ended_;
  std::function<void()> on_closed_;

  std::deque<std::function<void()>> deferred_;
  uv_idle_t idle_;
  uv_timer_t goodbye_timer_;
  uv_timer_t deadline_timer_;
  std::optional<TimePoint> armed_deadline_;
  uv_timer_t reconnect_timer_;
  uv_timer_t wait_timer_;
  int open_handles_ = 0;
  bool handles_closing_ = false;
  std::shared_ptr<ClientCore> self_;
};

namespace {

WampError closed_error() {
  return local_error(client_errc::closed, "the client was closed before the request completed");
}

std::uint64_t milliseconds(std::chrono::milliseconds duration) {
  return duration.count() < 0 ? 0 : static_cast<std::uint64_t>(duration.count());
}

ConnectionOptions connection_options(const ClientOptions& options) {
  ConnectionOptions connection;
  connection.serializers = options.serializers;
  connection.tls = options.tls;
  connection.connect_timeout = options.connect_timeout;
  connection.tcp_keepalive = options.tcp_keepalive;
  connection.handshake_timeout = options.handshake_timeout;
  connection.max_message_size = options.max_message_size;
  connection.max_outgoing_message_size = options.max_outgoing_message_size;
  connection.keepalive_interval = options.keepalive_interval;
  connection.keepalive_timeout = options.keepalive_timeout;
  connection.rawsocket_ping = options.rawsocket_ping;
  connection.write_queue_limit = options.write_queue_limit;
  connection.write_queue_high_water = options.write_queue_high_water;
  return connection;
}

// Reasons a router gives for refusing who the client is: trying again cannot help.
bool is_authentication_refusal(const WampError& why) {
  return why.code == client_errc::authentication_failed ||
         why.uri == "wamp.error.authentication_failed" || why.uri == "wamp.error.not_authorized" ||
         why.uri == "wamp.error.authorization_failed" || why.uri == "wamp.error.no_auth_method";
}

}  // namespace

ClientCore::ClientCore(uv_loop_t* loop, ClientOptions options)
    : loop_(loop),
      options_(std::move(options)),
      session_(*this, *this, *this),
      backoff_(options_.reconnect),
      random_(std::random_device{}()) {
  if (loop_ == nullptr) throw std::invalid_argument("uvwamp::Client needs a loop");
  if (options_.urls.empty()) throw std::invalid_argument("ClientOptions::urls names no URL");
  for (const std::string& url : options_.urls) {
    Result<Endpoint> endpoint = parse_endpoint(url);
    if (!endpoint) throw std::invalid_argument(endpoint.error().message);
  }
  if (options_.realm.empty()) throw std::invalid_argument("ClientOptions::realm is empty");
  // Connection checks the serializers; building one here reports them before join().
  Connection probe(loop_, *this, connection_options(options_));
  session_.keep_for_restore(options_.reconnect.enabled);
}

void ClientCore::start() {
  uv_idle_init(loop_, &idle_);
  uv_timer_init(loop_, &goodbye_timer_);
  uv_timer_init(loop_, &deadline_timer_);
  uv_timer_init(loop_, &reconnect_timer_);
  uv_timer_init(loop_, &wait_timer_);
  idle_.data = this;
  goodbye_timer_.data = this;
  deadline_timer_.data = this;
  reconnect_timer_.data = this;
  wait_timer_.data = this;
  pooled_ = std::make_unique<PooledInvocations>(
      loop_, [this](std::exception_ptr exception) { report(std::move(exception)); });
  open_handles_ = 6;
  self_ = shared_from_this();
}

template <class Request, class Fail>
auto ClientCore::submit(Request request, Fail fail) -> std::invoke_result_t<Request&, Session&> {
  using Outcome = std::invoke_result_t<Request&, Session&>;
  // Only a handler that destroy() runs gets here once closed; defer() runs it at once.
  if (phase_ == Phase::closing || phase_ == Phase::closed) {
    defer([fail = std::move(fail)]() mutable { fail(closed_error()); });
    return Outcome();
  }
  if (reconnecting()) {
    if (options_.reconnect.request_wait.count() <= 0) {
      defer([fail = std::move(fail), why = reconnecting_error()]() mutable { fail(why); });
      return Outcome();
    }
    waiting_.push_back(WaitingRequest{
        now() + options_.reconnect.request_wait,
        [request = std::move(request)](Session& session) mutable { (void)request(session); },
        [fail = std::move(fail)](const WampError& why) mutable { fail(why); }});
    rearm_wait_timer();
    return Outcome();
  }
  if constexpr (std::is_void_v<Outcome>) {
    request(session_);
    rearm_deadline_timer();
  } else {
    Outcome outcome = request(session_);
    rearm_deadline_timer();
    return outcome;
  }
}

template <class Act>
WampStatus ClientCore::act_now(Act&& act) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return closed_error();
  WampStatus outcome = act(session_);
  rearm_deadline_timer();
  return outcome;
}

template <class Handler>
void ClientCore::guarded(Handler&& handler) noexcept {
  try {
    handler();
  } catch (...) {
    report(std::current_exception());
  }
}

void ClientCore::report(std::exception_ptr exception) noexcept {
  try {
    if (options_.on_handler_exception) return options_.on_handler_exception(exception);
    try {
      std::rethrow_exception(exception);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "uvwamp: a handler threw, and the client went on: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr,
                   "uvwamp: a handler threw something that is not a std::exception, "
                   "and the client went on\n");
    }
  } catch (...) {
    // on_handler_exception threw in turn: nobody is left to tell.
  }
}

void ClientCore::on_handler_exception(std::exception_ptr exception) {
  report(std::move(exception));
}

TimePoint ClientCore::now() const {
  return TimePoint(std::chrono::milliseconds(uv_now(loop_)));
}

void ClientCore::rearm_deadline_timer() {
  if (handles_closing_) return;
  const std::optional<TimePoint> next = session_.next_deadline();
  if (next == armed_deadline_) return;
  armed_deadline_ = next;
  if (!next) {
    uv_timer_stop(&deadline_timer_);
    return;
  }
  const auto delay = std::chrono::ceil<std::chrono::milliseconds>(*next - now()).count();
  uv_timer_start(&deadline_timer_, on_deadline_timer,
                 delay > 0 ? static_cast<std::uint64_t>(delay) : 0, 0);
}

void ClientCore::on_deadline_timer(uv_timer_t* timer) {
  auto* core = static_cast<ClientCore*>(timer->data);
  auto keep = core->shared_from_this();
  core->armed_deadline_.reset();
  core->session_.expire(core->now());
  core->rearm_deadline_timer();
}

void ClientCore::defer(std::function<void()> task) {
  if (phase_ == Phase::closed) {
    task();
    return;
  }
  // Once the handles close, finish_close() runs what is left.
  if (deferred_.empty() && !handles_closing_) uv_idle_start(&idle_, on_idle);
  deferred_.push_back(std::move(task));
}

void ClientCore::on_idle(uv_idle_t* idle) {
  auto* core = static_cast<ClientCore*>(idle->data);
  auto keep = core->shared_from_this();
  core->retired_connections_.clear();
  core->run_deferred(false);
}

void ClientCore::run_deferred(bool all) {
  // Tasks a task adds wait for the next turn, so that a task that keeps adding cannot starve
  // the loop.
  for (std::size_t due = deferred_.size(); (all || due > 0) && !deferred_.empty(); --due) {
    std::function<void()> task = std::move(deferred_.front());
    deferred_.pop_front();
    guarded(task);
  }
  if (deferred_.empty() && !handles_closing_) uv_idle_stop(&idle_);
  rearm_deadline_timer();
}

Status ClientCore::send(const msg::Message& message) {
  if (!connection_ || phase_ != Phase::connected) {
    return Error{make_error_code(transport_errc::not_open), "the connection is not open"};
  }
  return connection_->send(msg::build_message(message));
}

void ClientCore::join(JoinHandler on_joined) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) {
    submit([](Session&) {}, std::move(on_joined));
    return;
  }
  if (phase_ != Phase::idle || on_joined_ || rejoining_) {
    defer([on_joined = std::move(on_joined)] {
      on_joined(local_error(client_errc::already_joined,
                            "join() was called while the client was joining, joined or "
                            "reconnecting"));
    });
    return;
  }
  on_joined_ = std::move(on_joined);
  attempt_ = 0;
  start_attempt(0);
}

void ClientCore::start_attempt(std::size_t first_url) {
  url_index_ = first_url % options_.urls.size();
  urls_tried_ = 0;
  connect_failures_.clear();
  phase_ = Phase::connecting;
  try_url();
}

void ClientCore::try_url() {
  Connection::Listener& listener = *this;
  const std::string& url = options_.urls[url_index_];
  connection_ = std::make_unique<Connection>(loop_, listener, connection_options(options_));
  connection_needs_close_ = false;
  Status started = connection_->connect(
      url, [this](Result<const Serializer*> r) { on_connected(std::move(r)); });
  if (!started) {
    // connect() never calls back after failing; report on a later turn like every failure.
    defer([this, why = started.error()] {
      connection_.reset();
      next_url(why);
    });
    return;
  }
  connection_needs_close_ = true;
}

void ClientCore::on_connected(Result<const Serializer*> serializer) {
  if (!serializer) {
    close_connection([this, why = serializer.error()] { next_url(why); });
    return;
  }
  // close() ran meanwhile; its deferred start_closing() closes this connection.
  if (phase_ != Phase::connecting) return;
  serializer_ = serializer.value();
  connected_url_ = options_.urls[url_index_];
  phase_ = Phase::connected;
  open_session();
}

void ClientCore::next_url(const Error& why) {
  if (phase_ != Phase::connecting) return;
  if (!connect_failures_.empty()) connect_failures_ += "; ";
  connect_failures_ += options_.urls[url_index_] + ": " + why.message;
  if (++urls_tried_ < options_.urls.size()) {
    url_index_ = (url_index_ + 1) % options_.urls.size();
    try_url();
    return;
  }
  phase_ = Phase::idle;
  attempt_failed(
      local_error(client_errc::connect_failed, "could not connect: " + connect_failures_));
}

void ClientCore::open_session() {
  established_ = false;
  session_.join(
      options_.realm, options_.auth, {},
      [this](WampResult<SessionInfo> joined) { on_session_joined(std::move(joined)); },
      options_.join_timeout);
  rearm_deadline_timer();
}

void ClientCore::on_session_joined(WampResult<SessionInfo> joined) {
  if (!joined) {
    // The connection goes first, so that join() works from the handler.
    disconnect([this, why = joined.error()] { attempt_failed(why); });
    return;
  }
  established_ = true;
  first_url_ = url_index_ + 1;
  joined.value().url = connected_url_;
  joined.value().serializer = serializer_;
  attempt_ = 0;
  if (rejoining_) return rejoined(std::move(joined.value()));
  JoinHandler on_joined = std::exchange(on_joined_, nullptr);
  on_joined(std::move(joined));
}

void ClientCore::attempt_failed(const WampError& why) {
  // close() or leave() ended the cycle meanwhile.
  if (phase_ != Phase::idle || (!rejoining_ && !on_joined_)) return;
  const ReconnectOptions& policy = options_.reconnect;
  const bool retries = policy.enabled && (rejoining_ || policy.retry_first_join);
  const bool attempts_left = policy.max_attempts == 0 || attempt_ < policy.max_attempts;
  if (retries && attempts_left && !is_authentication_refusal(why)) return schedule_attempt();
  give_up(why);
}

bool ClientCore::reconnects_after(const WampError& why) const {
  const ReconnectOptions& policy = options_.reconnect;
  if (!policy.enabled) return false;
  if (why.code == client_errc::transport_lost) return true;
  return std::find(policy.retry_reasons.begin(), policy.retry_reasons.end(), why.uri) !=
         policy.retry_reasons.end();
}

void ClientCore::session_lost(const WampError& why) {
  if (!reconnects_after(why)) {
    session_.forget_kept();
    after_disconnect_.push_back([this, why] {
      if (on_session_ended_) on_session_ended_(why);
    });
    return;
  }
  rejoining_ = true;
  attempt_ = 0;
  after_disconnect_.push_back([this, why] {
    if (!rejoining_ || phase_ != Phase::idle) return;  // close() or leave() came first
    if (options_.reconnect.on_disconnected) options_.reconnect.on_disconnected(why);
    if (rejoining_ && phase_ == Phase::idle) schedule_attempt();
  });
}

void ClientCore::schedule_attempt() {
  ++attempt_;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::chrono::milliseconds delay = backoff_.delay(attempt_, unit(random_));
  phase_ = Phase::waiting;
  uv_timer_start(&reconnect_timer_, on_reconnect_timer, milliseconds(delay), 0);
  if (options_.reconnect.on_reconnecting) {
    guarded([&] { options_.reconnect.on_reconnecting(attempt_, delay); });
  }
}

void ClientCore::on_reconnect_timer(uv_timer_t* timer) {
  auto* core = static_cast<ClientCore*>(timer->data);
  auto keep = core->shared_from_this();
  if (core->phase_ != Phase::waiting) return;
  core->start_attempt(core->first_url_);
}

void ClientCore::rejoined(SessionInfo session) {
  rejoining_ = false;
  session_.restore([this, session = std::move(session)](WampResult<RestoreReport> restored) {
    // Lost again while restoring: that loss leads on, and what was not restored is kept.
    if (!restored) return;
    const ReconnectOptions& policy = options_.reconnect;
    for (const RestoreFailure& failure : restored.value().failed) {
      if (policy.on_restore_failed) guarded([&] { policy.on_restore_failed(failure); });
    }
    if (policy.on_rejoined) policy.on_rejoined(session, restored.value());
  });
  release_waiting();
}

void ClientCore::give_up(const WampError& why) {
  const bool retried = attempt_ > 0;
  attempt_ = 0;
  if (retried && options_.reconnect.on_given_up) {
    guarded([&] { options_.reconnect.on_given_up(why); });
  }
  if (rejoining_) {
    rejoining_ = false;
    session_.forget_kept();
    fail_waiting(why);
    if (on_session_ended_) guarded([&] { on_session_ended_(why); });
    return;
  }
  JoinHandler on_joined = std::exchange(on_joined_, nullptr);
  if (on_joined) guarded([&] { on_joined(why); });
}

void ClientCore::stop_reconnecting(const WampError& why) {
  if (!rejoining_) return;
  rejoining_ = false;
  attempt_ = 0;
  uv_timer_stop(&reconnect_timer_);
  session_.forget_kept();
  fail_waiting(why);
  switch (phase_) {
    case Phase::waiting:
      phase_ = Phase::idle;
      return;
    case Phase::connecting:
      phase_ = Phase::disconnecting;
      close_connection([this] { on_disconnected(); });
      return;
    case Phase::connected:
      session_.end(why);
      disconnect(nullptr);
      return;
    default:
      return;
  }
}

WampError ClientCore::reconnecting_error() const {
  return local_error(client_errc::not_joined,
                     "no session is established: the client is reconnecting (attempt " +
                         std::to_string(attempt_) + ")");
}

void ClientCore::release_waiting() {
  std::deque<WaitingRequest> waiting = std::move(waiting_);
  waiting_.clear();
  uv_timer_stop(&wait_timer_);
  for (WaitingRequest& request : waiting) {
    guarded([&] { request.run(session_); });
  }
  rearm_deadline_timer();
}

void ClientCore::fail_waiting(const WampError& why) {
  std::deque<WaitingRequest> waiting = std::move(waiting_);
  waiting_.clear();
  if (!handles_closing_) uv_timer_stop(&wait_timer_);
  for (WaitingRequest& request : waiting) {
    defer([fail = std::move(request.fail), why] { fail(why); });
  }
}

void ClientCore::rearm_wait_timer() {
  if (waiting_.empty() || handles_closing_) return;
  const auto delay =
      std::chrono::ceil<std::chrono::milliseconds>(waiting_.front().deadline - now()).count();
  uv_timer_start(&wait_timer_, on_wait_timer, delay > 0 ? static_cast<std::uint64_t>(delay) : 0, 0);
}

void ClientCore::on_wait_timer(uv_timer_t* timer) {
  auto* core = static_cast<ClientCore*>(timer->data);
  auto keep = core->shared_from_this();
  // Every request waits as long, so the earliest deadlines are at the front.
  const TimePoint now = core->now();
  while (!core->waiting_.empty() && core->waiting_.front().deadline <= now) {
    WaitingRequest due = std::move(core->waiting_.front());
    core->waiting_.pop_front();
    core->defer(
        [fail = std::move(due.fail),
         why = local_error(client_errc::timed_out,
                           "the client did not rejoin within " +
                               std::to_string(core->options_.reconnect.request_wait.count()) +
                               " ms of the request")] { fail(why); });
  }
  core->rearm_wait_timer();
}

void ClientCore::leave(std::string reason, LeaveHandler on_left) {
  if (rejoining_ && !established_) {
    stop_reconnecting(local_error(client_errc::not_joined,
                                  "leave() stopped the client reconnecting before the request "
                                  "was sent"));
    defer([on_left = std::move(on_left)] {
      on_left(local_error(client_errc::not_joined,
                          "no session was established: the client was reconnecting, and "
                          "leave() stopped it"));
    });
    return;
  }
  submit(
      [this, reason = std::move(reason), on_left](Session& session) mutable {
        const bool goodbye_sent = session.state() == Session::State::established;
        session.leave(
            std::move(reason), [this, on_left, goodbye_sent](WampResult<std::string> left) {
              if (!goodbye_sent) {
                on_left(std::move(left));  // refused; the session already deferred it
                return;
              }
              uv_timer_stop(&goodbye_timer_);
              disconnect([on_left, left = std::move(left)]() mutable { on_left(std::move(left)); });
            });
        if (goodbye_sent) {
          uv_timer_start(&goodbye_timer_, on_goodbye_timer, milliseconds(options_.goodbye_timeout),
                         0);
        }
      },
      on_left);
}

void ClientCore::on_goodbye_timer(uv_timer_t* timer) {
  auto* core = static_cast<ClientCore*>(timer->data);
  auto keep = core->shared_from_this();
  core->session_.end(local_error(
      client_errc::timed_out, "the router did not answer GOODBYE within " +
                                  std::to_string(core->options_.goodbye_timeout.count()) + " ms"));
}

void ClientCore::on_message(Value message) {
  auto keep = shared_from_this();
  session_.receive(std::move(message));
  rearm_deadline_timer();
}

void ClientCore::on_connection_lost(const Error& why) {
  auto keep = shared_from_this();
  const bool was_established = established_;
  WampError lost = local_error(client_errc::transport_lost,
                               "the connection to the router was lost: " + why.message);
  session_.end(lost);
  if (was_established && phase_ == Phase::connected) session_lost(lost);
  disconnect(nullptr);
}

void ClientCore::on_send_pressure(bool congested) {
  auto keep = shared_from_this();
  if (options_.on_send_pressure) guarded([&] { options_.on_send_pressure(congested); });
}

std::optional<std::vector<std::uint8_t>> ClientCore::tls_unique() const {
  if (!connection_) return std::nullopt;
  return connection_->tls_unique();
}

namespace {

// A job on libuv's thread pool. It owns what it runs and refers to no client, so it may finish
// after the client is gone; `done` decides what is still worth doing.
struct BlockingJob {
  uv_work_t request;
  std::function<void()> work;
  std::function<void()> done;
};

}  // namespace

void ClientCore::run_blocking(std::function<void()> work, std::function<void()> done) {
  auto job = std::make_unique<BlockingJob>();
  job->work = std::move(work);
  job->done = std::move(done);
  job->request.data = job.get();
  // uv_queue_work fails only for a null callback.
  (void)uv_queue_work(
      loop_, &job->request,
      [](uv_work_t* request) { static_cast<BlockingJob*>(request->data)->work(); },
      [](uv_work_t* request, int) {
        std::unique_ptr<BlockingJob> finished(static_cast<BlockingJob*>(request->data));
        finished->done();
      });
  job.release();
}

void ClientCore::on_session_ended(const WampError& why) {
  if (established_) session_lost(why);
  disconnect(nullptr);
}

void ClientCore::close_connection(std::function<void()> then) {
  if (then) on_connection_closed_.push_back(std::move(then));
  if (connection_closing_) return;
  if (connection_ && connection_needs_close_) {
    connection_closing_ = true;
    if (connection_->close([this] { on_connection_closed(); })) return;
    connection_closing_ = false;
  }
  on_connection_closed();
}

void ClientCore::on_connection_closed() {
  connection_closing_ = false;
  connection_needs_close_ = false;
  if (connection_) retired_connections_.push_back(std::move(connection_));
  std::vector<std::function<void()>> waiting = std::move(on_connection_closed_);
  on_connection_closed_.clear();
  for (auto& then : waiting)
    then();
}

void ClientCore::disconnect(std::function<void()> after) {
  established_ = false;
  if (after) after_disconnect_.push_back(std::move(after));
  switch (phase_) {
    case Phase::connected:
      phase_ = Phase::disconnecting;
      uv_timer_stop(&goodbye_timer_);
      close_connection([this] { on_disconnected(); });
      return;
    case Phase::disconnecting:
      return;  // on_disconnected() is due and takes `after` along
    default:
      // Nothing of this session's to wait for: idle, still connecting, or close() closes the
      // connection itself.
      on_disconnected();
  }
}

void ClientCore::on_disconnected() {
  if (phase_ == Phase::disconnecting) phase_ = Phase::idle;
  std::vector<std::function<void()>> tasks = std::move(after_disconnect_);
  after_disconnect_.clear();
  for (auto& task : tasks)
    defer(std::move(task));
}

void ClientCore::close(std::function<void()> on_closed) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  on_closed_ = std::move(on_closed);
  // Handlers must not run inside close(), so the session ends on the next turn.
  defer([this] { start_closing(); });
  phase_ = Phase::closing;
}

void ClientCore::start_closing() {
  stop_reconnecting(closed_error());
  session_.forget_kept();
  session_.end(closed_error());
  if (on_joined_) {
    JoinHandler on_joined = std::move(on_joined_);
    on_joined_ = nullptr;
    defer([on_joined = std::move(on_joined)] { on_joined(closed_error()); });
  }
  close_connection([this] { close_handles(); });
}

void ClientCore::close_handles() {
  handles_closing_ = true;
  uv_timer_stop(&goodbye_timer_);
  uv_timer_stop(&deadline_timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&goodbye_timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&reconnect_timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&wait_timer_), on_handle_closed);
  pooled_->close([this] { handle_closed(); });
}

void ClientCore::on_handle_closed(uv_handle_t* handle) {
  static_cast<ClientCore*>(handle->data)->handle_closed();
}

void ClientCore::handle_closed() {
  if (--open_handles_ == 0) finish_close();
}

void ClientCore::finish_close() {
  auto keep = std::move(self_);
  // What completed while closing is reported before the close callback, which comes last.
  run_deferred(true);
  phase_ = Phase::closed;
  on_session_ended_ = nullptr;
  std::function<void()> on_closed = std::move(on_closed_);
  on_closed_ = nullptr;
  if (on_closed) guarded(on_closed);
}

void ClientCore::destroy() {
  if (phase_ == Phase::closed) return;  // close() has finished
  const bool close_started = phase_ == Phase::closing;
  // From here on defer() runs a task at once: no later turn will come for it.
  phase_ = Phase::closed;
  on_closed_ = nullptr;
  on_session_ended_ = nullptr;
  run_deferred(true);  // start_closing() among them when close() was called
  if (!close_started) start_closing();
  // Destroyed from a handler of a batch still running (the calls a transport loss failed, say):
  // the rest of the batch completes now, before the destructor returns.
  session_.complete_pending();
}

}  // namespace detail

namespace {

// Every handler may be left empty by the caller; the layers below may then call it all the same.
template <class Handler>
Handler or_ignore(Handler handler) {
  if (!handler) handler = [](auto&&...) {};
  return handler;
}

}  // namespace

Client::Client(uv_loop_t* loop, ClientOptions options)
    : core_(std::make_shared<detail::ClientCore>(loop, std::move(options))) {
  core_->start();
}

Client::~Client() {
  core_->destroy();
}

void Client::join(JoinHandler on_joined) {
  core_->join(or_ignore(std::move(on_joined)));
}

void Client::leave(LeaveHandler on_left, std::string reason) {
  core_->leave(std::move(reason), or_ignore(std::move(on_left)));
}

void Client::close(std::function<void()> on_closed) {
  core_->close(or_ignore(std::move(on_closed)));
}

void Client::set_session_ended_handler(SessionEndedHandler handler) {
  core_->set_session_ended_handler(std::move(handler));
}

bool Client::is_joined() const noexcept {
  return core_->is_joined();
}

std::size_t Client::queued_bytes() const noexcept {
  return core_->queued_bytes();
}

CallRequest Client::call(std::string procedure, Value::Array args, CallHandler on_result) {
  return call(std::move(procedure), std::move(args), {}, {}, std::move(on_result));
}

CallRequest Client::call(std::string procedure, Value::Array args, Value::Object kwargs,
                         CallOptions options, CallHandler on_result) {
  on_result = or_ignore(std::move(on_result));
  if (!options.timeout) options.timeout = core_->options().call_timeout;
  return core_->submit(
      [procedure = std::move(procedure), args = std::move(args), kwargs = std::move(kwargs),
       options = std::move(options), on_result](Session& session) mutable {
        return session.call(std::move(procedure), std::move(args), std::move(kwargs),
                            std::move(options), std::move(on_result));
      },
      on_result);
}

WampStatus Client::cancel(const CallRequest& call, CancelMode mode) {
  return core_->act_now([&](Session& session) { return session.cancel(call, mode); });
}

WampStatus Client::continue_call(const CallRequest& call, Value::Array args, Value::Object kwargs,
                                 bool progress) {
  return core_->act_now([&](Session& session) {
    return session.continue_call(call, std::move(args), std::move(kwargs), progress);
  });
}

void Client::publish(std::string topic, Value::Array args, PublishHandler on_done) {
  publish(std::move(topic), std::move(args), {}, {}, std::move(on_done));
}

void Client::publish(std::string topic, Value::Array args, Value::Object kwargs,
                     PublishOptions options, PublishHandler on_done) {
  on_done = or_ignore(std::move(on_done));
  if (!options.timeout) options.timeout = core_->options().request_timeout;
  core_->submit(
      [topic = std::move(topic), args = std::move(args), kwargs = std::move(kwargs),
       options = std::move(options), on_done](Session& session) mutable {
        session.publish(std::move(topic), std::move(args), std::move(kwargs), std::move(options),
                        std::move(on_done));
      },
      on_done);
}

void Client::subscribe(std::string topic, EventHandler on_event, SubscribeHandler on_subscribed) {
  subscribe(std::move(topic), {}, std::move(on_event), std::move(on_subscribed));
}

void Client::subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                       SubscribeHandler on_subscribed) {
  on_event = or_ignore(std::move(on_event));
  on_subscribed = or_ignore(std::move(on_subscribed));
  if (!options.timeout) options.timeout = core_->options().request_timeout;
  core_->submit(
      [topic = std::move(topic), options = std::move(options), on_event = std::move(on_event),
       on_subscribed](Session& session) mutable {
        session.subscribe(std::move(topic), std::move(options), std::move(on_event),
                          std::move(on_subscribed));
      },
      on_subscribed);
}

void Client::unsubscribe(const Subscription& subscription, DoneHandler on_done) {
  unsubscribe(subscription, std::move(on_done), core_->options().request_timeout);
}

void Client::unsubscribe(const Subscription& subscription, DoneHandler on_done,
                         std::chrono::milliseconds timeout) {
  on_done = or_ignore(std::move(on_done));
  core_->submit([subscription, on_done, timeout](
                    Session& session) { session.unsubscribe(subscription, on_done, timeout); },
                on_done);
}

void Client::register_procedure(std::string procedure, InvocationHandler on_invocation,
                                RegisterHandler on_registered) {
  register_procedure(std::move(procedure), {}, std::move(on_invocation), std::move(on_registered));
}

void Client::register_procedure(std::string procedure, RegisterOptions options,
                                InvocationHandler on_invocation, RegisterHandler on_registered) {
  on_invocation = or_ignore(std::move(on_invocation));
  on_registered = or_ignore(std::move(on_registered));
  if (!options.timeout) options.timeout = core_->options().request_timeout;
  core_->submit(
      [procedure = std::move(procedure), options = std::move(options),
       on_invocation = std::move(on_invocation), on_registered](Session& session) mutable {
        session.register_procedure(std::move(procedure), std::move(options),
                                   std::move(on_invocation), std::move(on_registered));
      },
      on_registered);
}

void Client::register_procedure(std::string procedure, RegisterOptions options,
                                std::shared_ptr<WorkerPool> pool,
                                WorkerInvocationHandler on_invocation,
                                RegisterHandler on_registered) {
  if (!pool) throw std::invalid_argument("register_procedure() on a pool needs a WorkerPool");
  register_procedure(std::move(procedure), std::move(options),
                     core_->on_pool(std::move(pool), or_ignore(std::move(on_invocation))),
                     std::move(on_registered));
}

void Client::unregister(const Registration& registration, DoneHandler on_done) {
  unregister(registration, std::move(on_done), core_->options().request_timeout);
}

void Client::unregister(const Registration& registration, DoneHandler on_done,
                        std::chrono::milliseconds timeout) {
  on_done = or_ignore(std::move(on_done));
  core_->submit([registration, on_done,
                 timeout](Session& session) { session.unregister(registration, on_done, timeout); },
                on_done);
}

}  // namespace uvwamp
