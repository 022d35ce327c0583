// The C API's client (include/uvwamp.h): options, the client's requests, and the results, errors
// and invocations its callbacks receive, over uvwamp::Client.
//
// How the C rules are kept:
//  - Completion: each C callback is wrapped in the C++ handler of the same request, so the C++
//    client's promises (exactly once, never inside the call, close's callback last) carry over.
//  - No exception reaches C: entry points run in guarded(); handlers only move, or copy inside a
//    try (see each one).
//  - The handles a callback lends (results, events, errors) live on the handler's stack and
//    hold the payload as Values, moved out of the C++ result where it is ours to take.
//  - After uvwamp_client_close nothing is passed on to the C++ client, so no C callback can run
//    after the close callback, which frees the client.
//  - A call is named to C by an id of the client's, mapped to its CallRequest until its callback
//    runs: a plain number, which C can keep, and which names nothing once the call is over.
//  - An invocation, of a loop or of a pool registration, is one uvwamp_invocation over either
//    C++ kind; what both have goes one way (the payload and details of InvocationData, the
//    answers through std::visit).
//  - The invocation callback may take the invocation and hand it on, even to another thread: the
//    handler that runs the callback learns that on its stack (take() marks it), not from the
//    invocation, and then never touches it again.
//  - An interrupt callback may run on the loop's thread while another thread frees a pool
//    invocation: it runs holding the invocation's InterruptGate, which the invocation's
//    destructor takes too.
#include <uvwamp.h>
#include <uvwamp/client.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/value.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "capi/capi_internal.hpp"
#include "client/backoff.hpp"
#include "transport/endpoint.hpp"

using uvwamp::Value;
using uvwamp::capi::copy_array;
using uvwamp::capi::copy_object;
using uvwamp::capi::guarded;
using uvwamp::capi::to_c;

struct uvwamp_error {
  int code = UVWAMP_EINTERNAL;
  const std::string* uri = nullptr;
  const std::string* message = nullptr;
  Value args{Value::Array{}};
  Value kwargs{Value::Object{}};
  Value details{Value::Object{}};
};

struct uvwamp_session_info {
  uvwamp::Id id = 0;
  std::string realm;
  std::string url;
  std::string serializer;
  std::string authid;
  std::string authrole;
  std::string authmethod;
  std::string authprovider;
  Value authextra;
  Value details;
};

struct uvwamp_call_result {
  Value args;
  Value kwargs;
  Value details;
};

struct uvwamp_event {
  const uvwamp::Event* cpp = nullptr;
  Value args{Value::Array{}};
  Value kwargs{Value::Object{}};
  Value details{Value::Object{}};
};

struct uvwamp_call_options {
  // cpp.on_progress stays empty: each call makes its own from on_progress and its user_data.
  uvwamp::CallOptions cpp;
  uvwamp_progress_cb on_progress = nullptr;
};

struct uvwamp_register_options {
  // cpp.on_revoked stays empty: each register call makes its own from on_revoked.
  uvwamp::RegisterOptions cpp;
  uvwamp_revoked_cb on_revoked = nullptr;
};

struct uvwamp_registration {
  uvwamp::Registration cpp;
};

struct uvwamp_subscription {
  uvwamp::Subscription cpp;
};

struct uvwamp_worker_pool {
  std::shared_ptr<uvwamp::WorkerPool> cpp;
};

namespace uvwamp::capi {

// What an interrupt callback runs under. The callback of a pool invocation runs on the loop's
// thread while another thread may free the invocation, so it runs holding `mutex`, and the
// invocation's destructor takes the mutex too: it waits for a callback running elsewhere, and
// goes on at once inside the callback itself (the mutex is recursive). A loop invocation's is
// never contended; both kinds share the one path.
struct InterruptGate {
  explicit InterruptGate(uvwamp_invocation* invocation) noexcept : invocation(invocation) {}

  std::recursive_mutex mutex;
  uvwamp_invocation* invocation;  // guarded by `mutex`; null once the invocation is freed
};

}  // namespace uvwamp::capi

struct uvwamp_invocation {
  // From a loop registration, or from a pool registration.
  using Kinds = std::variant<uvwamp::Invocation, uvwamp::WorkerInvocation>;

  template <class Kind>
  explicit uvwamp_invocation(Kind invocation) noexcept
      : cpp(std::in_place_type<Kind>, std::move(invocation)),
        args(std::move(data_of(cpp).args)),
        kwargs(std::move(data_of(cpp).kwargs)),
        details(std::move(data_of(cpp).details)),
        cancellation(std::visit([](const auto& i) { return i.cancellation(); }, cpp)) {}

  // The C++ invocation's handlers name this one, and may outlive it: they go first.
  ~uvwamp_invocation() {
    if (gate) {
      std::lock_guard<std::recursive_mutex> lock(gate->mutex);
      gate->invocation = nullptr;
    }
    std::visit([](auto& i) { i.on_interrupt(nullptr); }, cpp);
    if (uvwamp::Invocation* loop = on_loop()) loop->on_input(nullptr);
  }
  uvwamp_invocation(const uvwamp_invocation&) = delete;
  uvwamp_invocation& operator=(const uvwamp_invocation&) = delete;

  uvwamp::Invocation* on_loop() noexcept { return std::get_if<uvwamp::Invocation>(&cpp); }
  const uvwamp::WorkerInvocation* on_pool() const noexcept {
    return std::get_if<uvwamp::WorkerInvocation>(&cpp);
  }
  // What both kinds carry: the typed details (the payload went to the Values below).
  const uvwamp::InvocationData& data() const noexcept { return data_of(cpp); }

  Kinds cpp;
  Value args;
  Value kwargs;
  Value details;
  // For uvwamp_invocation_interrupted, on any thread (Invocation::interrupted() is the loop's).
  uvwamp::CancellationToken cancellation;
  bool taken = false;
  // While the invocation callback runs, until it takes the invocation: a flag on the stack of the
  // handler that runs the callback, which take() sets.
  bool* callback_took = nullptr;
  // Made when the first interrupt callback is set.
  std::shared_ptr<uvwamp::capi::InterruptGate> gate;

 private:
  static uvwamp::InvocationData& data_of(Kinds& cpp) noexcept {
    if (auto* loop = std::get_if<uvwamp::Invocation>(&cpp)) return *loop;
    return *std::get_if<uvwamp::WorkerInvocation>(&cpp);
  }
  static const uvwamp::InvocationData& data_of(const Kinds& cpp) noexcept {
    return data_of(const_cast<Kinds&>(cpp));
  }
};

namespace {

using uvwamp::client_errc;

int code_of(const std::error_code& code) noexcept {
  if (code.category() == uvwamp::client_category()) {
    switch (static_cast<client_errc>(code.value())) {
      case client_errc::wamp_error:
        return UVWAMP_EWAMP;
      case client_errc::not_joined:
        return UVWAMP_ENOTJOINED;
      case client_errc::already_joined:
        return UVWAMP_EALREADYJOINED;
      case client_errc::session_ended:
        return UVWAMP_ESESSIONENDED;
      case client_errc::transport_lost:
        return UVWAMP_ETRANSPORT;
      case client_errc::closed:
        return UVWAMP_ECLOSED;
      case client_errc::protocol_violation:
        return UVWAMP_EPROTOCOL;
      case client_errc::invalid_argument:
        return UVWAMP_EINVAL;
      case client_errc::connect_failed:
        return UVWAMP_ECONNECT;
      case client_errc::timed_out:
        return UVWAMP_ETIMEDOUT;
      case client_errc::authentication_failed:
        return UVWAMP_EAUTH;
      case client_errc::canceled:
        return UVWAMP_ECANCELED;
      case client_errc::not_supported:
        return UVWAMP_ENOTSUP;
      case client_errc::payload_size_exceeded:
        return UVWAMP_ETOOLARGE;
    }
  }
  if (code == std::errc::not_enough_memory) return UVWAMP_ENOMEM;
  return UVWAMP_EINTERNAL;
}

// The error of a failed request, as a C callback sees it. `failed` is the handler's own result,
// so its payload is moved out rather than copied: the const_cast undoes only the constness of
// Result::error(), not of the object.
template <class T>
uvwamp_error take_error(uvwamp::WampResult<T>& failed) noexcept {
  auto& error = const_cast<uvwamp::WampError&>(failed.error());
  uvwamp_error c_error;
  c_error.code = code_of(error.code);
  c_error.uri = &error.uri;
  c_error.message = &error.message;
  c_error.args = Value(std::move(error.args));
  c_error.kwargs = Value(std::move(error.kwargs));
  c_error.details = Value(std::move(error.details));
  return c_error;
}

// For an error the client lends us, copied. Should memory run out, the callback still learns
// the code, URI and message, with an empty payload.
uvwamp_error borrow_error(const uvwamp::WampError& error) noexcept {
  uvwamp_error c_error;
  c_error.code = code_of(error.code);
  c_error.uri = &error.uri;
  c_error.message = &error.message;
  try {
    Value args(error.args);
    Value kwargs(error.kwargs);
    Value details(error.details);
    c_error.args = std::move(args);
    c_error.kwargs = std::move(kwargs);
    c_error.details = std::move(details);
  } catch (...) {
  }
  return c_error;
}

// Refuses a request on a client that cannot take one; 0 when it can.
int check_client(const uvwamp_client* client) noexcept {
  if (client == nullptr) return UVWAMP_EINVAL;
  if (client->closing) return UVWAMP_ECLOSED;
  return 0;
}

// The payload of a request, each part NULL for empty.
struct Payload {
  Value::Array args;
  Value::Object kwargs;
  Value::Object options;
};

int copy_payload(const uvwamp_value* args, const uvwamp_value* kwargs, const uvwamp_value* options,
                 Payload& out) {
  if (int rc = copy_array(args, out.args); rc != 0) return rc;
  if (int rc = copy_object(kwargs, out.kwargs); rc != 0) return rc;
  return copy_object(options, out.options);
}

// A handler runs exactly once, but std::function must be copyable; the handle a register or
// subscribe callback gets is made before the request (so that running out of memory is the
// request's synchronous failure, not the callback's) and handed over, or freed, from here.
template <class Handle>
struct PendingHandle {
  std::unique_ptr<Handle> handle = std::make_unique<Handle>();
};

// The C++ completion of unsubscribe or unregister, reported to a C done callback (which may be
// NULL).
std::function<void(uvwamp::WampStatus)> done_reporter(uvwamp_client* client, uvwamp_done_cb on_done,
                                                      void* user_data) {
  return [client, on_done, user_data](uvwamp::WampStatus status) {
    if (on_done == nullptr) return;
    if (!status) {
      const uvwamp_error c_error = take_error(status);
      on_done(client, &c_error, user_data);
      return;
    }
    on_done(client, nullptr, user_data);
  };
}

// The C++ completion of subscribe or register, handing the C callback (which may be NULL) the
// handle made beforehand, or the error.
template <class Handle, class Cpp, class Callback>
std::function<void(uvwamp::WampResult<Cpp>)> handle_reporter(
    uvwamp_client* client, Callback on_done, void* user_data,
    std::shared_ptr<PendingHandle<Handle>> pending) {
  return [client, on_done, user_data, pending](uvwamp::WampResult<Cpp> r) {
    if (on_done == nullptr) return;
    if (!r) {
      const uvwamp_error c_error = take_error(r);
      on_done(client, nullptr, &c_error, user_data);
      return;
    }
    pending->handle->cpp = std::move(r.value());
    on_done(client, pending->handle.release(), nullptr, user_data);
  };
}

int set_timeout(uvwamp_options* options, std::uint64_t milliseconds,
                std::chrono::milliseconds uvwamp::ClientOptions::*field) {
  if (options == nullptr || milliseconds == 0 || milliseconds > INT32_MAX) return UVWAMP_EINVAL;
  options->cpp.*field = std::chrono::milliseconds(static_cast<std::int64_t>(milliseconds));
  return 0;
}

// The C enums list the C++ ones in the same order, so a C value converts by number once it is
// checked to be in range: a C enum holds whatever int it was given.
static_assert(UVWAMP_CANCEL_SKIP == static_cast<int>(uvwamp::CancelMode::skip) &&
              UVWAMP_CANCEL_KILL == static_cast<int>(uvwamp::CancelMode::kill) &&
              UVWAMP_CANCEL_KILLNOWAIT == static_cast<int>(uvwamp::CancelMode::killnowait));
static_assert(UVWAMP_MATCH_EXACT == static_cast<int>(uvwamp::MatchPolicy::exact) &&
              UVWAMP_MATCH_PREFIX == static_cast<int>(uvwamp::MatchPolicy::prefix) &&
              UVWAMP_MATCH_WILDCARD == static_cast<int>(uvwamp::MatchPolicy::wildcard));
static_assert(UVWAMP_INVOKE_SINGLE == static_cast<int>(uvwamp::InvokePolicy::single) &&
              UVWAMP_INVOKE_ROUNDROBIN == static_cast<int>(uvwamp::InvokePolicy::roundrobin) &&
              UVWAMP_INVOKE_RANDOM == static_cast<int>(uvwamp::InvokePolicy::random) &&
              UVWAMP_INVOKE_FIRST == static_cast<int>(uvwamp::InvokePolicy::first) &&
              UVWAMP_INVOKE_LAST == static_cast<int>(uvwamp::InvokePolicy::last));

template <typename Cpp, typename C>
bool from_c(C value, C last, Cpp& out) noexcept {
  const int number = static_cast<int>(value);
  if (number < 0 || number > static_cast<int>(last)) return false;
  out = static_cast<Cpp>(number);
  return true;
}

// A timeout that may be none (a call's, a join's) as C gives it: 0 for none, else up to
// INT32_MAX ms, as the client's other timeouts.
bool limit_or_none_from_c(std::uint64_t milliseconds, std::chrono::milliseconds& out) noexcept {
  if (milliseconds > INT32_MAX) return false;
  out = std::chrono::milliseconds(static_cast<std::int64_t>(milliseconds));
  return true;
}

uvwamp_session_info session_info_for_c(uvwamp::SessionInfo session) {
  uvwamp_session_info info;
  info.id = session.session_id;
  info.realm = std::move(session.realm);
  info.url = std::move(session.url);
  info.authid = std::move(session.authid);
  info.authrole = std::move(session.authrole);
  info.authmethod = std::move(session.authmethod);
  info.authprovider = std::move(session.authprovider);
  info.authextra = Value(std::move(session.authextra));
  // Serializer names are short enough for the string's own buffer: no allocation to fail.
  if (session.serializer != nullptr) info.serializer = session.serializer->name();
  info.details = Value(std::move(session.details));
  return info;
}

// The C++ reconnect events of `client`, forwarding to the C callbacks set at the time.
void forward_reconnect_events(uvwamp_client* client, uvwamp::ReconnectOptions& events) {
  events.on_disconnected = [client](const uvwamp::WampError& why) {
    if (client->reconnect_cbs.on_disconnected == nullptr) return;
    const uvwamp_error c_error = borrow_error(why);
    client->reconnect_cbs.on_disconnected(client, &c_error, client->reconnect_user_data);
  };
  events.on_reconnecting = [client](unsigned attempt, std::chrono::milliseconds delay) {
    if (client->reconnect_cbs.on_reconnecting == nullptr) return;
    client->reconnect_cbs.on_reconnecting(
        client, attempt, static_cast<std::uint64_t>(delay.count()), client->reconnect_user_data);
  };
  events.on_restore_failed = [client](const uvwamp::RestoreFailure& failure) {
    if (client->reconnect_cbs.on_restore_failed == nullptr) return;
    const auto* registration = std::get_if<uvwamp::Registration>(&failure.what);
    const std::string& uri =
        registration ? registration->procedure : std::get<uvwamp::Subscription>(failure.what).topic;
    const uvwamp_error c_error = borrow_error(failure.error);
    client->reconnect_cbs.on_restore_failed(client, uri.c_str(), registration ? 1 : 0, &c_error,
                                            client->reconnect_user_data);
  };
  events.on_rejoined = [client](const uvwamp::SessionInfo& session,
                                const uvwamp::RestoreReport& report) {
    if (client->reconnect_cbs.on_rejoined == nullptr) return;
    const uvwamp_session_info info = session_info_for_c(session);
    client->reconnect_cbs.on_rejoined(client, &info,
                                      report.registrations.size() + report.subscriptions.size(),
                                      report.failed.size(), client->reconnect_user_data);
  };
  events.on_given_up = [client](const uvwamp::WampError& why) {
    if (client->reconnect_cbs.on_given_up == nullptr) return;
    const uvwamp_error c_error = borrow_error(why);
    client->reconnect_cbs.on_given_up(client, &c_error, client->reconnect_user_data);
  };
}

// The call whose id C gave, while it is in flight.
const uvwamp::CallRequest* find_call(const uvwamp_client* client, std::uint64_t call_id) noexcept {
  auto found = client->calls.find(call_id);
  return found == client->calls.end() ? nullptr : &found->second;
}

// Hands a new invocation (of either kind, on whichever thread runs its registration's handler)
// to its C callback, and deletes it afterwards unless the callback took it.
template <class Kind>
void run_invocation_callback(uvwamp_client* client, Kind invocation,
                             uvwamp_invocation_cb on_invocation, void* user_data) noexcept {
  // Should memory run out here, `invocation` is destroyed unanswered, which answers the caller
  // with wamp.error.runtime_error.
  auto* c_invocation = new (std::nothrow) uvwamp_invocation(std::move(invocation));
  if (c_invocation == nullptr) return;
  bool took = false;
  c_invocation->callback_took = &took;
  on_invocation(client, c_invocation, user_data);
  // Taken, it is the callback's, and may be freed or in another thread's hands by now.
  if (!took) delete c_invocation;
}

// True when the invocation takes no answer any more. A pool invocation takes none once it was
// interrupted, whatever interrupted it: the loop's side answered it, or nothing can.
bool answered(const uvwamp_invocation& invocation) noexcept {
  if (const uvwamp::WorkerInvocation* pool = invocation.on_pool()) {
    return pool->answered() || pool->interrupted();
  }
  return std::get_if<uvwamp::Invocation>(&invocation.cpp)->answered();
}

// yield (`uri` NULL) or error, for either kind.
int answer(uvwamp_invocation* invocation, const char* uri, const uvwamp_value* args,
           const uvwamp_value* kwargs) noexcept {
  return guarded([&]() -> int {
    Payload payload;
    if (int rc = copy_payload(args, kwargs, nullptr, payload); rc != 0) return rc;
    if (answered(*invocation)) return UVWAMP_EALREADY;
    const bool taken = std::visit(
        [&](auto& cpp) {
          return uri == nullptr
                     ? cpp.yield(std::move(payload.args), std::move(payload.kwargs))
                     : cpp.error(uri, std::move(payload.args), std::move(payload.kwargs));
        },
        invocation->cpp);
    if (taken) return 0;
    // A pool invocation may have been interrupted since, on the loop's thread.
    return answered(*invocation) ? UVWAMP_EALREADY : UVWAMP_ENOTSENT;
  });
}

// uvwamp_client_register, and uvwamp_client_register_on_pool with a `pool`: the handlers run on
// the loop's thread, or on the pool's.
int register_procedure(uvwamp_client* client, const char* procedure,
                       const uvwamp_register_options* options, const uvwamp_worker_pool* pool,
                       uvwamp_invocation_cb on_invocation, uvwamp_register_cb on_registered,
                       void* user_data) noexcept {
  if (int rc = check_client(client); rc != 0) return rc;
  if (procedure == nullptr || on_invocation == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    uvwamp::RegisterOptions register_options;
    if (options != nullptr) {
      register_options = options->cpp;
      if (uvwamp_revoked_cb on_revoked = options->on_revoked) {
        // The handle the revocation callback is lent is made now, the procedure in it too (a
        // revoked registration names the procedure registered), so that the revocation itself
        // allocates nothing and cannot be missed.
        auto revoked = std::make_shared<uvwamp_registration>();
        revoked->cpp.procedure = procedure;
        register_options.on_revoked = [client, on_revoked, user_data, revoked](
                                          const uvwamp::Registration& registration,
                                          const std::string& reason) {
          revoked->cpp.id = registration.id;
          revoked->cpp.local_id = registration.local_id;
          on_revoked(client, revoked.get(), reason.c_str(), user_data);
        };
      }
    }
    auto pending = std::make_shared<PendingHandle<uvwamp_registration>>();
    // Serves both kinds of invocation: on a pool it runs on a worker thread, where it uses
    // nothing of the client (it only passes the pointer on).
    auto run = [client, on_invocation, user_data](auto invocation) {
      run_invocation_callback(client, std::move(invocation), on_invocation, user_data);
    };
    auto report = handle_reporter<uvwamp_registration, uvwamp::Registration>(client, on_registered,
                                                                             user_data, pending);
    if (pool == nullptr) {
      client->cpp->register_procedure(procedure, std::move(register_options), std::move(run),
                                      std::move(report));
    } else {
      client->cpp->register_procedure(procedure, std::move(register_options), pool->cpp,
                                      std::move(run), std::move(report));
    }
    return 0;
  });
}

}  // namespace

extern "C" {

// Options ----------------------------------------------------------------------------------------

uvwamp_options* uvwamp_options_new(void) {
  try {
    return new uvwamp_options();
  } catch (...) {
    return nullptr;
  }
}

void uvwamp_options_free(uvwamp_options* options) {
  delete options;
}

int uvwamp_options_add_url(uvwamp_options* options, const char* url) {
  if (options == nullptr || url == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    if (!uvwamp::parse_endpoint(url)) return UVWAMP_EINVAL;
    options->cpp.urls.emplace_back(url);
    return 0;
  });
}

int uvwamp_options_set_realm(uvwamp_options* options, const char* realm) {
  if (options == nullptr || realm == nullptr || *realm == '\0') return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    options->cpp.realm = realm;
    return 0;
  });
}

int uvwamp_options_set_serializers(uvwamp_options* options, const char* const* names,
                                   size_t count) {
  if (options == nullptr || names == nullptr || count == 0) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    std::vector<const uvwamp::Serializer*> chosen;
    std::set<const uvwamp::Serializer*> seen;
    for (std::size_t i = 0; i < count; ++i) {
      if (names[i] == nullptr) return UVWAMP_EINVAL;
      const uvwamp::Serializer* serializer = uvwamp::find_serializer(names[i]);
      if (serializer == nullptr || !seen.insert(serializer).second) return UVWAMP_EINVAL;
      chosen.push_back(serializer);
    }
    options->cpp.serializers = std::move(chosen);
    return 0;
  });
}

int uvwamp_options_set_tls_server_name(uvwamp_options* options, const char* server_name) {
  if (options == nullptr || server_name == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    options->cpp.tls.server_name = server_name;
    return 0;
  });
}

int uvwamp_options_set_tls_ca(uvwamp_options* options, const char* ca_file,
                              const char* ca_directory) {
  if (options == nullptr || (ca_file == nullptr && ca_directory == nullptr)) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    std::string file = ca_file != nullptr ? ca_file : "";
    std::string directory = ca_directory != nullptr ? ca_directory : "";
    options->cpp.tls.ca_file = std::move(file);
    options->cpp.tls.ca_directory = std::move(directory);
    return 0;
  });
}

int uvwamp_options_set_tls_client_certificate(uvwamp_options* options, const char* certificate_file,
                                              const char* private_key_file) {
  if (options == nullptr || certificate_file == nullptr || private_key_file == nullptr) {
    return UVWAMP_EINVAL;
  }
  return guarded([&]() -> int {
    std::string certificate = certificate_file;
    std::string key = private_key_file;
    options->cpp.tls.certificate_file = std::move(certificate);
    options->cpp.tls.private_key_file = std::move(key);
    return 0;
  });
}

int uvwamp_options_set_tls_dangerously_skip_certificate_verification(uvwamp_options* options,
                                                                     int skip) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.tls.dangerously_skip_certificate_verification = skip != 0;
  return 0;
}

int uvwamp_options_set_connect_timeout(uvwamp_options* options, uint64_t milliseconds) {
  return set_timeout(options, milliseconds, &uvwamp::ClientOptions::connect_timeout);
}

int uvwamp_options_set_handshake_timeout(uvwamp_options* options, uint64_t milliseconds) {
  return set_timeout(options, milliseconds, &uvwamp::ClientOptions::handshake_timeout);
}

int uvwamp_options_set_goodbye_timeout(uvwamp_options* options, uint64_t milliseconds) {
  return set_timeout(options, milliseconds, &uvwamp::ClientOptions::goodbye_timeout);
}

int uvwamp_options_set_max_message_size(uvwamp_options* options, size_t bytes) {
  if (options == nullptr || bytes == 0) return UVWAMP_EINVAL;
  options->cpp.max_message_size = bytes;
  return 0;
}

int uvwamp_options_set_call_timeout(uvwamp_options* options, uint64_t milliseconds) {
  if (options == nullptr) return UVWAMP_EINVAL;
  if (!limit_or_none_from_c(milliseconds, options->cpp.call_timeout)) return UVWAMP_EINVAL;
  return 0;
}

int uvwamp_options_set_tcp_keepalive(uvwamp_options* options, unsigned seconds) {
  if (options == nullptr || seconds > 86400) return UVWAMP_EINVAL;
  options->cpp.tcp_keepalive = std::chrono::seconds(seconds);
  return 0;
}

int uvwamp_options_set_join_timeout(uvwamp_options* options, uint64_t milliseconds) {
  if (options == nullptr) return UVWAMP_EINVAL;
  if (!limit_or_none_from_c(milliseconds, options->cpp.join_timeout)) return UVWAMP_EINVAL;
  return 0;
}

int uvwamp_options_set_request_timeout(uvwamp_options* options, uint64_t milliseconds) {
  if (options == nullptr) return UVWAMP_EINVAL;
  if (!limit_or_none_from_c(milliseconds, options->cpp.request_timeout)) return UVWAMP_EINVAL;
  return 0;
}

int uvwamp_options_set_keepalive(uvwamp_options* options, uint64_t interval, uint64_t timeout) {
  if (options == nullptr || (interval > 0 && timeout == 0)) return UVWAMP_EINVAL;
  std::chrono::milliseconds interval_ms;
  std::chrono::milliseconds timeout_ms;
  if (!limit_or_none_from_c(interval, interval_ms) || !limit_or_none_from_c(timeout, timeout_ms)) {
    return UVWAMP_EINVAL;
  }
  options->cpp.keepalive_interval = interval_ms;
  if (interval > 0) options->cpp.keepalive_timeout = timeout_ms;
  return 0;
}

int uvwamp_options_set_rawsocket_ping(uvwamp_options* options, int ping) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.rawsocket_ping = ping != 0;
  return 0;
}

int uvwamp_options_set_max_outgoing_message_size(uvwamp_options* options, size_t bytes) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.max_outgoing_message_size = bytes;
  return 0;
}

int uvwamp_options_set_write_queue(uvwamp_options* options, size_t limit, size_t high_water) {
  if (options == nullptr || limit == 0 || high_water > limit) return UVWAMP_EINVAL;
  options->cpp.write_queue_limit = limit;
  options->cpp.write_queue_high_water = high_water;
  return 0;
}

int uvwamp_options_set_reconnect(uvwamp_options* options, int enabled) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.reconnect.enabled = enabled != 0;
  return 0;
}

int uvwamp_options_set_reconnect_backoff(uvwamp_options* options, uint64_t initial_delay,
                                         uint64_t max_delay, double multiplier, double jitter) {
  if (options == nullptr) return UVWAMP_EINVAL;
  uvwamp::ReconnectOptions policy = options->cpp.reconnect;
  if (!limit_or_none_from_c(initial_delay, policy.initial_delay) ||
      !limit_or_none_from_c(max_delay, policy.max_delay)) {
    return UVWAMP_EINVAL;
  }
  policy.multiplier = multiplier;
  policy.jitter = jitter;
  return guarded([&]() -> int {
    try {
      uvwamp::detail::Backoff check(policy);
    } catch (const std::invalid_argument&) {
      return UVWAMP_EINVAL;
    }
    options->cpp.reconnect = std::move(policy);
    return 0;
  });
}

int uvwamp_options_set_reconnect_max_attempts(uvwamp_options* options, unsigned max_attempts) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.reconnect.max_attempts = max_attempts;
  return 0;
}

int uvwamp_options_set_reconnect_retry_first_join(uvwamp_options* options, int retry) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.reconnect.retry_first_join = retry != 0;
  return 0;
}

int uvwamp_options_set_reconnect_request_wait(uvwamp_options* options, uint64_t milliseconds) {
  if (options == nullptr) return UVWAMP_EINVAL;
  if (!limit_or_none_from_c(milliseconds, options->cpp.reconnect.request_wait)) {
    return UVWAMP_EINVAL;
  }
  return 0;
}

int uvwamp_options_add_reconnect_reason(uvwamp_options* options, const char* reason) {
  if (options == nullptr || reason == nullptr || *reason == '\0') return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    options->cpp.reconnect.retry_reasons.emplace_back(reason);
    return 0;
  });
}

// Call and register options ------------------------------------------------------------------

uvwamp_call_options* uvwamp_call_options_new(void) {
  try {
    return new uvwamp_call_options();
  } catch (...) {
    return nullptr;
  }
}

void uvwamp_call_options_free(uvwamp_call_options* options) {
  delete options;
}

int uvwamp_call_options_set_timeout(uvwamp_call_options* options, uint64_t milliseconds) {
  if (options == nullptr) return UVWAMP_EINVAL;
  std::chrono::milliseconds timeout{0};
  if (!limit_or_none_from_c(milliseconds, timeout)) return UVWAMP_EINVAL;
  options->cpp.timeout = timeout;
  return 0;
}

int uvwamp_call_options_set_progress_cb(uvwamp_call_options* options,
                                        uvwamp_progress_cb on_progress) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->on_progress = on_progress;
  return 0;
}

int uvwamp_call_options_set_progressive_input(uvwamp_call_options* options, int progressive) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.progress = progressive != 0;
  return 0;
}

int uvwamp_call_options_set_disclose_me(uvwamp_call_options* options, int disclose) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.disclose_me = disclose != 0;
  return 0;
}

int uvwamp_call_options_set_extra(uvwamp_call_options* options, const uvwamp_value* extra) {
  if (options == nullptr || extra == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Value::Object copy;
    if (int rc = copy_object(extra, copy); rc != 0) return rc;
    options->cpp.extra = std::move(copy);
    return 0;
  });
}

uvwamp_register_options* uvwamp_register_options_new(void) {
  try {
    return new uvwamp_register_options();
  } catch (...) {
    return nullptr;
  }
}

void uvwamp_register_options_free(uvwamp_register_options* options) {
  delete options;
}

int uvwamp_register_options_set_match(uvwamp_register_options* options, uvwamp_match match) {
  if (options == nullptr || !from_c(match, UVWAMP_MATCH_WILDCARD, options->cpp.match))
    return UVWAMP_EINVAL;
  return 0;
}

int uvwamp_register_options_set_invoke(uvwamp_register_options* options, uvwamp_invoke invoke) {
  if (options == nullptr || !from_c(invoke, UVWAMP_INVOKE_LAST, options->cpp.invoke))
    return UVWAMP_EINVAL;
  return 0;
}

int uvwamp_register_options_set_concurrency(uvwamp_register_options* options,
                                            unsigned concurrency) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.concurrency = concurrency;
  return 0;
}

int uvwamp_register_options_set_disclose_caller(uvwamp_register_options* options, int disclose) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.disclose_caller = disclose != 0;
  return 0;
}

int uvwamp_register_options_set_forward_timeout(uvwamp_register_options* options, int forward) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->cpp.forward_timeout = forward != 0;
  return 0;
}

int uvwamp_register_options_set_revoked_cb(uvwamp_register_options* options,
                                           uvwamp_revoked_cb on_revoked) {
  if (options == nullptr) return UVWAMP_EINVAL;
  options->on_revoked = on_revoked;
  return 0;
}

int uvwamp_register_options_set_extra(uvwamp_register_options* options, const uvwamp_value* extra) {
  if (options == nullptr || extra == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Value::Object copy;
    if (int rc = copy_object(extra, copy); rc != 0) return rc;
    options->cpp.extra = std::move(copy);
    return 0;
  });
}

// What callbacks are lent --------------------------------------------------------------------

int uvwamp_error_code(const uvwamp_error* e) {
  return e->code;
}
const char* uvwamp_error_uri(const uvwamp_error* e) {
  return e->uri->c_str();
}
const char* uvwamp_error_message(const uvwamp_error* e) {
  return e->message->c_str();
}
const uvwamp_value* uvwamp_error_args(const uvwamp_error* e) {
  return to_c(&e->args);
}
const uvwamp_value* uvwamp_error_kwargs(const uvwamp_error* e) {
  return to_c(&e->kwargs);
}
const uvwamp_value* uvwamp_error_details(const uvwamp_error* e) {
  return to_c(&e->details);
}

uint64_t uvwamp_session_info_id(const uvwamp_session_info* info) {
  return info->id;
}
const char* uvwamp_session_info_realm(const uvwamp_session_info* info) {
  return info->realm.c_str();
}
const char* uvwamp_session_info_url(const uvwamp_session_info* info) {
  return info->url.c_str();
}
const char* uvwamp_session_info_serializer(const uvwamp_session_info* info) {
  return info->serializer.c_str();
}
const uvwamp_value* uvwamp_session_info_details(const uvwamp_session_info* info) {
  return to_c(&info->details);
}
const char* uvwamp_session_info_authid(const uvwamp_session_info* info) {
  return info->authid.c_str();
}
const char* uvwamp_session_info_authrole(const uvwamp_session_info* info) {
  return info->authrole.c_str();
}
const char* uvwamp_session_info_authmethod(const uvwamp_session_info* info) {
  return info->authmethod.c_str();
}
const char* uvwamp_session_info_authprovider(const uvwamp_session_info* info) {
  return info->authprovider.c_str();
}
const uvwamp_value* uvwamp_session_info_authextra(const uvwamp_session_info* info) {
  return to_c(&info->authextra);
}

const uvwamp_value* uvwamp_call_result_args(const uvwamp_call_result* result) {
  return to_c(&result->args);
}
const uvwamp_value* uvwamp_call_result_kwargs(const uvwamp_call_result* result) {
  return to_c(&result->kwargs);
}
const uvwamp_value* uvwamp_call_result_details(const uvwamp_call_result* result) {
  return to_c(&result->details);
}

uint64_t uvwamp_event_subscription_id(const uvwamp_event* event) {
  return event->cpp->subscription;
}
uint64_t uvwamp_event_publication_id(const uvwamp_event* event) {
  return event->cpp->publication;
}
const char* uvwamp_event_topic(const uvwamp_event* event) {
  return event->cpp->topic.c_str();
}
const uvwamp_value* uvwamp_event_args(const uvwamp_event* event) {
  return to_c(&event->args);
}
const uvwamp_value* uvwamp_event_kwargs(const uvwamp_event* event) {
  return to_c(&event->kwargs);
}
const uvwamp_value* uvwamp_event_details(const uvwamp_event* event) {
  return to_c(&event->details);
}

// Registrations, subscriptions, invocations ---------------------------------------------------

void uvwamp_registration_free(uvwamp_registration* registration) {
  delete registration;
}
uint64_t uvwamp_registration_id(const uvwamp_registration* registration) {
  return registration->cpp.id;
}
const char* uvwamp_registration_procedure(const uvwamp_registration* registration) {
  return registration->cpp.procedure.c_str();
}

void uvwamp_subscription_free(uvwamp_subscription* subscription) {
  delete subscription;
}
uint64_t uvwamp_subscription_id(const uvwamp_subscription* subscription) {
  return subscription->cpp.id;
}
const char* uvwamp_subscription_topic(const uvwamp_subscription* subscription) {
  return subscription->cpp.topic.c_str();
}

int uvwamp_invocation_take(uvwamp_invocation* invocation) {
  if (invocation == nullptr) return UVWAMP_EINVAL;
  invocation->taken = true;
  if (invocation->callback_took != nullptr) {
    *invocation->callback_took = true;
    invocation->callback_took = nullptr;
  }
  return 0;
}

void uvwamp_invocation_free(uvwamp_invocation* invocation) {
  if (invocation == nullptr || !invocation->taken) return;
  delete invocation;
}

int uvwamp_invocation_yield(uvwamp_invocation* invocation, const uvwamp_value* args,
                            const uvwamp_value* kwargs) {
  if (invocation == nullptr) return UVWAMP_EINVAL;
  return answer(invocation, nullptr, args, kwargs);
}

int uvwamp_invocation_error(uvwamp_invocation* invocation, const char* uri,
                            const uvwamp_value* args, const uvwamp_value* kwargs) {
  if (invocation == nullptr || uri == nullptr) return UVWAMP_EINVAL;
  return answer(invocation, uri, args, kwargs);
}

int uvwamp_invocation_answered(const uvwamp_invocation* invocation) {
  return invocation != nullptr && answered(*invocation) ? 1 : 0;
}

int uvwamp_invocation_progress(uvwamp_invocation* invocation, const uvwamp_value* args,
                               const uvwamp_value* kwargs) {
  if (invocation == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Payload payload;
    if (int rc = copy_payload(args, kwargs, nullptr, payload); rc != 0) return rc;
    // Interrupted comes first: the interruption answers the invocation, and while the interrupt
    // callback runs, before that answer, no more results should go either.
    if (invocation->cancellation.canceled()) return UVWAMP_ECANCELED;
    if (answered(*invocation)) return UVWAMP_EALREADY;
    if (!invocation->data().receive_progress()) return UVWAMP_EINVAL;
    const uvwamp::WampStatus sent = std::visit(
        [&](auto& cpp) { return cpp.progress(std::move(payload.args), std::move(payload.kwargs)); },
        invocation->cpp);
    if (sent) return 0;
    // A pool invocation may have been interrupted since, on the loop's thread.
    if (invocation->cancellation.canceled()) return UVWAMP_ECANCELED;
    // What is left: the session is over or the client gone, or the message cannot be sent.
    return UVWAMP_ENOTSENT;
  });
}

int uvwamp_invocation_caller(const uvwamp_invocation* invocation, uint64_t* session) {
  const std::optional<uvwamp::Id> caller = invocation->data().caller();
  if (!caller) return 0;
  if (session != nullptr) *session = *caller;
  return 1;
}
const char* uvwamp_invocation_caller_authid(const uvwamp_invocation* invocation) {
  return invocation->data().caller_authid().c_str();
}
const char* uvwamp_invocation_caller_authrole(const uvwamp_invocation* invocation) {
  return invocation->data().caller_authrole().c_str();
}
int uvwamp_invocation_trustlevel(const uvwamp_invocation* invocation, int64_t* level) {
  const std::optional<std::int64_t> trustlevel = invocation->data().trustlevel();
  if (!trustlevel) return 0;
  if (level != nullptr) *level = *trustlevel;
  return 1;
}
int uvwamp_invocation_receive_progress(const uvwamp_invocation* invocation) {
  return invocation->data().receive_progress() ? 1 : 0;
}
uint64_t uvwamp_invocation_timeout(const uvwamp_invocation* invocation) {
  return static_cast<uint64_t>(invocation->data().timeout().count());
}
int uvwamp_invocation_more_input(const uvwamp_invocation* invocation) {
  return invocation->data().more_input() ? 1 : 0;
}

int uvwamp_invocation_interrupted(const uvwamp_invocation* invocation) {
  return invocation->cancellation.canceled() ? 1 : 0;
}

int uvwamp_invocation_wait_for_interrupt(uvwamp_invocation* invocation, uint64_t milliseconds) {
  // A loop invocation is interrupted by the loop, which the wait would block.
  const uvwamp::WorkerInvocation* pool = invocation != nullptr ? invocation->on_pool() : nullptr;
  if (pool == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    // From a year up WorkerInvocation waits without a deadline, and so do these.
    constexpr std::uint64_t year = std::uint64_t{365} * 24 * 60 * 60 * 1000;
    const std::chrono::milliseconds duration(
        static_cast<std::int64_t>(std::min(milliseconds, year)));
    return pool->wait_for_interrupt(duration) ? 1 : 0;
  });
}

int uvwamp_invocation_on_interrupt(uvwamp_invocation* invocation, uvwamp_interrupt_cb on_interrupt,
                                   void* user_data) {
  if (invocation == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    uvwamp::InterruptHandler handler;
    if (on_interrupt != nullptr) {
      if (!invocation->gate) {
        invocation->gate = std::make_shared<uvwamp::capi::InterruptGate>(invocation);
      }
      handler = [gate = invocation->gate, on_interrupt, user_data](const uvwamp::Interrupt& what) {
        std::lock_guard<std::recursive_mutex> lock(gate->mutex);
        // Freed meanwhile, on the thread that held it.
        if (gate->invocation == nullptr) return;
        on_interrupt(gate->invocation, static_cast<uvwamp_cancel_mode>(what.mode),
                     what.reason.c_str(), user_data);
      };
    }
    // This may run the handler at once, which may free the invocation: nothing of it is used
    // after this call.
    std::visit([&](auto& cpp) { cpp.on_interrupt(std::move(handler)); }, invocation->cpp);
    return 0;
  });
}

int uvwamp_invocation_on_input(uvwamp_invocation* invocation, uvwamp_input_cb on_input,
                               void* user_data) {
  // A pool invocation's handler has its first chunk only: the worker cannot be called back.
  uvwamp::Invocation* loop = invocation != nullptr ? invocation->on_loop() : nullptr;
  if (loop == nullptr) return UVWAMP_EINVAL;
  if (on_input == nullptr) {
    loop->on_input(nullptr);
    return 0;
  }
  return guarded([&]() -> int {
    // As for on_interrupt: chunks that waited run at once, and may free the invocation.
    loop->on_input([invocation, on_input, user_data](uvwamp::InvocationInput input) {
      const Value args(std::move(input.args));
      const Value kwargs(std::move(input.kwargs));
      on_input(invocation, to_c(&args), to_c(&kwargs), input.more ? 1 : 0, user_data);
    });
    return 0;
  });
}

uint64_t uvwamp_invocation_request_id(const uvwamp_invocation* invocation) {
  return invocation->data().request_id();
}
uint64_t uvwamp_invocation_registration_id(const uvwamp_invocation* invocation) {
  return invocation->data().registration_id();
}
const char* uvwamp_invocation_procedure(const uvwamp_invocation* invocation) {
  return invocation->data().procedure().c_str();
}
const uvwamp_value* uvwamp_invocation_args(const uvwamp_invocation* invocation) {
  return to_c(&invocation->args);
}
const uvwamp_value* uvwamp_invocation_kwargs(const uvwamp_invocation* invocation) {
  return to_c(&invocation->kwargs);
}
const uvwamp_value* uvwamp_invocation_details(const uvwamp_invocation* invocation) {
  return to_c(&invocation->details);
}

// Worker pools ---------------------------------------------------------------------------------

int uvwamp_worker_pool_new(unsigned threads, uvwamp_worker_pool** pool) {
  if (threads == 0 || pool == nullptr) return UVWAMP_EINVAL;
  // A thread that cannot start throws std::system_error: UVWAMP_EINTERNAL.
  return guarded([&]() -> int {
    auto made = std::make_unique<uvwamp_worker_pool>();
    made->cpp = std::make_shared<uvwamp::WorkerPool>(threads);
    *pool = made.release();
    return 0;
  });
}

void uvwamp_worker_pool_free(uvwamp_worker_pool* pool) {
  delete pool;
}

// The client -----------------------------------------------------------------------------------

int uvwamp_client_new(struct uv_loop_s* loop, const uvwamp_options* options,
                      uvwamp_client** client) {
  if (loop == nullptr || options == nullptr || client == nullptr) return UVWAMP_EINVAL;
  if (options->cpp.urls.empty() || options->cpp.realm.empty()) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    auto made = std::make_unique<uvwamp_client>();
    made->secret_requests = std::make_shared<uvwamp::capi::SecretRequests>();
    uvwamp::ClientOptions cpp_options = options->cpp;
    for (const uvwamp::capi::AuthMethodMaker& make : options->auth_methods) {
      cpp_options.auth.methods.push_back(make(made.get(), made->secret_requests));
    }
    forward_reconnect_events(made.get(), cpp_options.reconnect);
    cpp_options.on_send_pressure = [client = made.get()](bool congested) {
      if (client->on_send_pressure == nullptr) return;
      client->on_send_pressure(client, congested ? 1 : 0, client->send_pressure_user_data);
    };
    try {
      made->cpp = std::make_unique<uvwamp::Client>(loop, std::move(cpp_options));
    } catch (const std::invalid_argument&) {
      return UVWAMP_EINVAL;
    }
    *client = made.release();
    return 0;
  });
}

int uvwamp_client_close(uvwamp_client* client, uvwamp_close_cb on_closed, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  const int rc = guarded([&]() -> int {
    // The close callback is the client's last: after it nothing of the C++ client runs again,
    // so the client can go with it.
    client->cpp->close([client, on_closed, user_data] {
      if (on_closed != nullptr) on_closed(client, user_data);
      delete client;
    });
    return 0;
  });
  if (rc == 0) client->closing = true;
  return rc;
}

int uvwamp_client_set_session_ended_cb(uvwamp_client* client, uvwamp_session_ended_cb on_ended,
                                       void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (on_ended == nullptr) {
    client->cpp->set_session_ended_handler(nullptr);
    return 0;
  }
  return guarded([&]() -> int {
    client->cpp->set_session_ended_handler(
        [client, on_ended, user_data](const uvwamp::WampError& why) {
          const uvwamp_error c_error = borrow_error(why);
          on_ended(client, &c_error, user_data);
        });
    return 0;
  });
}

int uvwamp_client_set_reconnect_cbs(uvwamp_client* client, const uvwamp_reconnect_cbs* cbs,
                                    void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  client->reconnect_cbs = cbs != nullptr ? *cbs : uvwamp_reconnect_cbs{};
  client->reconnect_user_data = user_data;
  return 0;
}

int uvwamp_client_set_send_pressure_cb(uvwamp_client* client, uvwamp_send_pressure_cb on_pressure,
                                       void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  client->on_send_pressure = on_pressure;
  client->send_pressure_user_data = user_data;
  return 0;
}

size_t uvwamp_client_queued_bytes(const uvwamp_client* client) {
  return client != nullptr ? client->cpp->queued_bytes() : 0;
}

int uvwamp_client_is_joined(const uvwamp_client* client) {
  return client != nullptr && client->cpp->is_joined() ? 1 : 0;
}

int uvwamp_client_join(uvwamp_client* client, uvwamp_join_cb on_joined, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  return guarded([&]() -> int {
    client->cpp->join([client, on_joined, user_data](uvwamp::WampResult<uvwamp::SessionInfo> r) {
      if (on_joined == nullptr) return;
      if (!r) {
        const uvwamp_error c_error = take_error(r);
        on_joined(client, nullptr, &c_error, user_data);
        return;
      }
      const uvwamp_session_info info = session_info_for_c(std::move(r.value()));
      on_joined(client, &info, nullptr, user_data);
    });
    return 0;
  });
}

int uvwamp_client_leave(uvwamp_client* client, const char* reason, uvwamp_leave_cb on_left,
                        void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  return guarded([&]() -> int {
    std::string goodbye_reason = reason != nullptr ? reason : "wamp.close.close_realm";
    client->cpp->leave(
        [client, on_left, user_data](uvwamp::WampResult<std::string> r) {
          if (on_left == nullptr) return;
          if (!r) {
            const uvwamp_error c_error = take_error(r);
            on_left(client, nullptr, &c_error, user_data);
            return;
          }
          on_left(client, r->c_str(), nullptr, user_data);
        },
        std::move(goodbye_reason));
    return 0;
  });
}

int uvwamp_client_call(uvwamp_client* client, const char* procedure, const uvwamp_value* args,
                       const uvwamp_value* kwargs, const uvwamp_call_options* options,
                       uvwamp_call_cb on_result, void* user_data, uint64_t* call_id) {
  if (call_id != nullptr) *call_id = 0;
  if (int rc = check_client(client); rc != 0) return rc;
  if (procedure == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Payload payload;
    if (int rc = copy_payload(args, kwargs, nullptr, payload); rc != 0) return rc;
    uvwamp::CallOptions call_options;
    if (options != nullptr) {
      call_options = options->cpp;
      if (uvwamp_progress_cb on_progress = options->on_progress) {
        call_options.on_progress = [client, on_progress,
                                    user_data](const uvwamp::CallResult& progress) {
          // The result is lent, so it is copied; should memory run out, this one is missed.
          uvwamp_call_result c_progress;
          try {
            Value progress_args(progress.args);
            Value progress_kwargs(progress.kwargs);
            Value progress_details(progress.details);
            c_progress.args = std::move(progress_args);
            c_progress.kwargs = std::move(progress_kwargs);
            c_progress.details = std::move(progress_details);
          } catch (...) {
            return;
          }
          on_progress(client, &c_progress, user_data);
        };
      }
    }
    // The id's entry is made first, so that nothing after the call went out can fail; the call
    // fills it in, or it goes when the call failed before it went out.
    const std::uint64_t id = client->last_call_id + 1;
    auto entry = client->calls.emplace(id, uvwamp::CallRequest{}).first;
    client->last_call_id = id;
    uvwamp::CallRequest request;
    try {
      request = client->cpp->call(
          procedure, std::move(payload.args), std::move(payload.kwargs), std::move(call_options),
          [client, id, on_result, user_data](uvwamp::WampResult<uvwamp::CallResult> r) {
            client->calls.erase(id);
            if (on_result == nullptr) return;
            if (!r) {
              const uvwamp_error c_error = take_error(r);
              on_result(client, nullptr, &c_error, user_data);
              return;
            }
            const uvwamp_call_result result{Value(std::move(r->args)), Value(std::move(r->kwargs)),
                                            Value(std::move(r->details))};
            on_result(client, &result, nullptr, user_data);
          });
    } catch (...) {
      client->calls.erase(entry);
      throw;
    }
    if (request.request_id == 0) {
      client->calls.erase(entry);
      return 0;
    }
    entry->second = request;
    if (call_id != nullptr) *call_id = id;
    return 0;
  });
}

int uvwamp_client_cancel(uvwamp_client* client, uint64_t call_id, uvwamp_cancel_mode mode) {
  if (int rc = check_client(client); rc != 0) return rc;
  uvwamp::CancelMode cpp_mode = uvwamp::CancelMode::kill;
  if (!from_c(mode, UVWAMP_CANCEL_KILLNOWAIT, cpp_mode)) return UVWAMP_EINVAL;
  const uvwamp::CallRequest* call = find_call(client, call_id);
  if (call == nullptr) return UVWAMP_EINVAL;
  const uvwamp::CallRequest request = *call;
  return guarded([&]() -> int {
    const uvwamp::WampStatus canceled = client->cpp->cancel(request, cpp_mode);
    return canceled ? 0 : code_of(canceled.error().code);
  });
}

int uvwamp_client_call_continue(uvwamp_client* client, uint64_t call_id, const uvwamp_value* args,
                                const uvwamp_value* kwargs, int progress) {
  if (int rc = check_client(client); rc != 0) return rc;
  const uvwamp::CallRequest* call = find_call(client, call_id);
  if (call == nullptr) return UVWAMP_EINVAL;
  const uvwamp::CallRequest request = *call;
  return guarded([&]() -> int {
    Payload payload;
    if (int rc = copy_payload(args, kwargs, nullptr, payload); rc != 0) return rc;
    const uvwamp::WampStatus sent = client->cpp->continue_call(
        request, std::move(payload.args), std::move(payload.kwargs), progress != 0);
    return sent ? 0 : code_of(sent.error().code);
  });
}

int uvwamp_client_publish(uvwamp_client* client, const char* topic, const uvwamp_value* args,
                          const uvwamp_value* kwargs, const uvwamp_value* options, unsigned flags,
                          uvwamp_publish_cb on_done, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (topic == nullptr || (flags & ~static_cast<unsigned>(UVWAMP_PUBLISH_ACKNOWLEDGE)) != 0) {
    return UVWAMP_EINVAL;
  }
  return guarded([&]() -> int {
    Payload payload;
    if (int rc = copy_payload(args, kwargs, options, payload); rc != 0) return rc;
    uvwamp::PublishOptions publish_options;
    publish_options.acknowledge = (flags & UVWAMP_PUBLISH_ACKNOWLEDGE) != 0;
    publish_options.extra = std::move(payload.options);
    client->cpp->publish(topic, std::move(payload.args), std::move(payload.kwargs),
                         std::move(publish_options),
                         [client, on_done, user_data](uvwamp::WampResult<uvwamp::Publication> r) {
                           if (on_done == nullptr) return;
                           if (!r) {
                             const uvwamp_error c_error = take_error(r);
                             on_done(client, 0, &c_error, user_data);
                             return;
                           }
                           on_done(client, r->id, nullptr, user_data);
                         });
    return 0;
  });
}

int uvwamp_client_subscribe(uvwamp_client* client, const char* topic, const uvwamp_value* options,
                            uvwamp_event_cb on_event, uvwamp_subscribe_cb on_subscribed,
                            void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (topic == nullptr || on_event == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    uvwamp::SubscribeOptions subscribe_options;
    if (int rc = copy_object(options, subscribe_options.extra); rc != 0) return rc;
    auto pending = std::make_shared<PendingHandle<uvwamp_subscription>>();
    client->cpp->subscribe(
        topic, std::move(subscribe_options),
        [client, on_event, user_data](const uvwamp::Event& event) {
          // The event is lent to every local subscription of its topic, so its payload is
          // copied, not moved; should memory run out, this subscription misses the event.
          uvwamp_event c_event;
          c_event.cpp = &event;
          try {
            Value args(event.args);
            Value kwargs(event.kwargs);
            Value details(event.details);
            c_event.args = std::move(args);
            c_event.kwargs = std::move(kwargs);
            c_event.details = std::move(details);
          } catch (...) {
            return;
          }
          on_event(client, &c_event, user_data);
        },
        handle_reporter<uvwamp_subscription, uvwamp::Subscription>(client, on_subscribed, user_data,
                                                                   pending));
    return 0;
  });
}

int uvwamp_client_unsubscribe(uvwamp_client* client, const uvwamp_subscription* subscription,
                              uvwamp_done_cb on_done, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (subscription == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    client->cpp->unsubscribe(subscription->cpp, done_reporter(client, on_done, user_data));
    return 0;
  });
}

int uvwamp_client_register(uvwamp_client* client, const char* procedure,
                           const uvwamp_register_options* options,
                           uvwamp_invocation_cb on_invocation, uvwamp_register_cb on_registered,
                           void* user_data) {
  return register_procedure(client, procedure, options, nullptr, on_invocation, on_registered,
                            user_data);
}

int uvwamp_client_register_on_pool(uvwamp_client* client, const char* procedure,
                                   const uvwamp_register_options* options, uvwamp_worker_pool* pool,
                                   uvwamp_invocation_cb on_invocation,
                                   uvwamp_register_cb on_registered, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (pool == nullptr) return UVWAMP_EINVAL;
  return register_procedure(client, procedure, options, pool, on_invocation, on_registered,
                            user_data);
}

int uvwamp_client_unregister(uvwamp_client* client, const uvwamp_registration* registration,
                             uvwamp_done_cb on_done, void* user_data) {
  if (int rc = check_client(client); rc != 0) return rc;
  if (registration == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    client->cpp->unregister(registration->cpp, done_reporter(client, on_done, user_data));
    return 0;
  });
}

}  // extern "C"
