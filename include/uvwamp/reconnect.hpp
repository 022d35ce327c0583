// uvwamp: reconnecting after the router went away, and restoring what the session had. See
// docs/resilience.md.
//
// With ReconnectOptions::enabled, a client whose connection is lost (or whose router ends the
// session with a reason the options name, such as wamp.close.system_shutdown) connects again
// after a delay that grows from `initial_delay` by `multiplier` up to `max_delay`, each delay
// spread by `jitter`. Each attempt tries every URL of ClientOptions::urls once, beginning with
// the one after the URL last connected. It joins with the same AuthOptions (secrets are asked
// for again through their callbacks) and then registers and subscribes again everything the
// session held, with the same options and handlers: the Registration and Subscription handles
// the application holds name them still. Requests in flight when the connection went complete
// with client_errc::transport_lost; nothing is sent again on its own, as a call need not be
// idempotent. An authentication refusal is never retried.
#pragma once

#include <uvwamp/pubsub.hpp>
#include <uvwamp/rpc.hpp>
#include <uvwamp/session_info.hpp>
#include <uvwamp/wamp_error.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace uvwamp {

// A registration or subscription that could not be restored (the router refused it -- a
// procedure another session registered meanwhile fails with wamp.error.procedure_already_exists
// -- or did not answer in time). It is gone: its handle names nothing any more.
struct RestoreFailure {
  std::variant<Registration, Subscription> what;
  WampError error;
};

// What a rejoin restored, with the handles as they are now (new router ids, the same local ids),
// and what it could not.
struct RestoreReport {
  std::vector<Registration> registrations;
  std::vector<Subscription> subscriptions;
  std::vector<RestoreFailure> failed;
};

using RestoreHandler = std::function<void(WampResult<RestoreReport>)>;

struct ReconnectOptions {
  bool enabled = false;
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{30'000};
  double multiplier = 2.0;
  // Each delay is drawn uniformly from [d * (1 - jitter), d * (1 + jitter)], so that clients
  // that lost one router do not all come back at the same instant. 0 to 1.
  double jitter = 0.2;
  // Attempts after a loss before the client gives up; 0 for no limit.
  unsigned max_attempts = 0;
  // join() itself retries, by the same rules, when its first attempt fails to connect or join;
  // otherwise a failed join() reports its error at once.
  bool retry_first_join = false;
  // Router GOODBYE and ABORT reasons that end an established session and still lead to a
  // reconnect (the router going down for a restart); any other reason ends the session for good.
  std::vector<std::string> retry_reasons = {"wamp.close.system_shutdown"};
  // Requests made while the client reconnects wait this long for the rejoin, then fail with
  // client_errc::timed_out; zero (the default) fails them at once with client_errc::not_joined,
  // whose message says the client is reconnecting.
  std::chrono::milliseconds request_wait{0};

  // Events, each on the loop's thread; any may be left unset.
  // The session was lost and a reconnect follows; `why` is what ended it.
  std::function<void(const WampError& why)> on_disconnected;
  // Attempt `attempt` (from 1) starts after `delay`.
  std::function<void(unsigned attempt, std::chrono::milliseconds delay)> on_reconnecting;
  // Joined again; `restored` says what came back and what did not (each failure also reaches
  // on_restore_failed first).
  std::function<void(const SessionInfo& session, const RestoreReport& restored)> on_rejoined;
  std::function<void(const RestoreFailure& failure)> on_restore_failed;
  // No more attempts: max_attempts ran out, or the router refused the client's authentication.
  // The session-ended handler runs next, with the same reason.
  std::function<void(const WampError& why)> on_given_up;
};

}  // namespace uvwamp
