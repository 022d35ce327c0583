#include "session/session.hpp"

#include <uvwamp/transport_error.hpp>

#include <exception>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "auth/crypto.hpp"
#include "session/invocation_answerer.hpp"

namespace uvwamp {
namespace {

constexpr const char* agent = "uvwamp-0.1.0";
constexpr const char* runtime_error_uri = "wamp.error.runtime_error";

// Completions taken out of the tables, run once the tables are consistent again: a handler may
// call back into the session, so none runs while a table is half updated.
using Callbacks = std::vector<std::function<void()>>;

void run(Callbacks& callbacks) {
  for (auto& callback : callbacks) {
    callback();
  }
}

template <class Handler, class Outcome>
void complete(Handler& handler, Outcome&& outcome) {
  if (handler) handler(std::forward<Outcome>(outcome));
}

template <class Handler, class Outcome>
std::function<void()> completion(Handler handler, Outcome outcome) {
  return [handler = std::move(handler), outcome = std::move(outcome)]() mutable {
    complete(handler, std::move(outcome));
  };
}

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The loose URI rule of the spec: no whitespace or '#' anywhere, and no empty component unless
// the URI is a wildcard pattern, where empty components are the wildcards.
bool is_valid_uri(std::string_view uri, bool wildcards_allowed) noexcept {
  if (uri.empty()) return false;
  char previous = '.';
  for (char c : uri) {
    if (is_space(c) || c == '#') return false;
    if (!wildcards_allowed && c == '.' && previous == '.') return false;
    previous = c;
  }
  return wildcards_allowed || previous != '.';
}

bool is_wildcard_pattern(const Value::Object& options) {
  auto match = options.find("match");
  return match != options.end() && match->second == Value("wildcard");
}

std::string string_member(const Value::Object& object, const std::string& key) {
  auto found = object.find(key);
  if (found == object.end()) return {};
  const std::string* text = found->second.if_string();
  return text ? *text : std::string();
}

WampError invalid_uri(std::string_view what, std::string_view uri) {
  WampError error = local_error(client_errc::invalid_argument,
                                "'" + std::string(uri) + "' is not a valid " + std::string(what));
  error.uri = "wamp.error.invalid_uri";
  return error;
}

// The text a router or callee gave with an error: a string first argument, or a "message".
std::optional<std::string> error_text(const Value::Array& args, const Value::Object& kwargs) {
  if (!args.empty()) {
    if (const std::string* text = args.front().if_string()) return *text;
  }
  auto message = kwargs.find("message");
  if (message != kwargs.end()) {
    if (const std::string* text = message->second.if_string()) return *text;
  }
  return std::nullopt;
}

WampError wamp_error(std::string sentence, std::string uri, Value::Array args, Value::Object kwargs,
                     Value::Object details) {
  sentence += ": " + uri;
  if (auto text = error_text(args, kwargs)) sentence += " (" + *text + ")";
  if (auto text = error_text({}, details)) sentence += " (" + *text + ")";
  WampError error;
  error.code = client_errc::wamp_error;
  error.uri = std::move(uri);
  error.message = std::move(sentence);
  error.args = std::move(args);
  error.kwargs = std::move(kwargs);
  error.details = std::move(details);
  return error;
}

std::string describe_request(msg::Type type, const std::string& uri) {
  return std::string(msg::type_name(type)) + " " + uri;
}

Value::Object hello_details(Value::Object extra) {
  Value::Object features{{"features", Value::Object{}}};
  Value::Object details{
      {"agent", agent},
      {"roles", Value::Object{{"caller", features},
                              {"callee", features},
                              {"publisher", features},
                              {"subscriber", features}}},
  };
  for (auto& [key, value] : extra) {
    if (key != "roles") details[key] = std::move(value);
  }
  return details;
}

// The pending requests, one per kind; `uri` names what the request was about, for messages.
struct PendingCall {
  static constexpr msg::Type type = msg::Type::call;
  std::string uri;
  CallHandler handler;
};
struct PendingPublish {
  static constexpr msg::Type type = msg::Type::publish;
  std::string uri;
  PublishHandler handler;
};
struct PendingSubscribe {
  static constexpr msg::Type type = msg::Type::subscribe;
  std::string uri;
  SubscribeHandler handler;
  Value::Object options;  // kept to subscribe again; see SubscriptionRecord::parked
  std::shared_ptr<const EventHandler> on_event;
  std::uint64_t local_id = 0;
};
struct PendingUnsubscribe {
  static constexpr msg::Type type = msg::Type::unsubscribe;
  std::string uri;
  DoneHandler handler;
  Id subscription = 0;
};
struct PendingRegister {
  static constexpr msg::Type type = msg::Type::register_;
  std::string uri;
  RegisterHandler handler;
  std::shared_ptr<const InvocationHandler> on_invocation;
};
struct PendingUnregister {
  static constexpr msg::Type type = msg::Type::unregister;
  std::string uri;
  DoneHandler handler;
  Id registration = 0;
};
using Pending = std::variant<PendingCall, PendingPublish, PendingSubscribe, PendingUnsubscribe,
                             PendingRegister, PendingUnregister>;

msg::Type type_of(const Pending& pending) {
  return std::visit([](const auto& request) { return request.type; }, pending);
}

std::function<void()> failure(Pending pending, const WampError& why) {
  return std::visit(
      [&why](auto& request) -> std::function<void()> {
        return completion(std::move(request.handler), why);
      },
      pending);
}

// One router subscription, shared by the local subscriptions to it. Handlers are held by
// shared_ptr so that one unsubscribed while it runs stays alive until it returns.
struct SubscriptionRecord {
  std::string topic;
  std::map<std::uint64_t, std::shared_ptr<const EventHandler>> locals;
  // UNSUBSCRIBE went out (so `locals` is empty) and UNSUBSCRIBED has not come yet. A SUBSCRIBED
  // arriving now names a subscription the router is about to drop, so its request is parked
  // here and sent again once the router has dropped it.
  bool unsubscribing = false;
  std::vector<PendingSubscribe> parked;
};

struct RegistrationRecord {
  std::string procedure;
  std::shared_ptr<const InvocationHandler> handler;
  bool unregistering = false;  // UNREGISTER went out, UNREGISTERED has not come yet
};

}  // namespace

struct Session::Tables {
  class Answerer final : public detail::InvocationAnswerer {
   public:
    explicit Answerer(Tables& tables) : tables_(tables) {}

    bool yield(Id request, Value::Array args, Value::Object kwargs) override {
      return tables_.answer(request, msg::Yield{request, {}, std::move(args), std::move(kwargs)});
    }
    bool error(Id request, std::string uri, Value::Array args, Value::Object kwargs) override {
      return tables_.answer_error(request, std::move(uri), std::move(args), std::move(kwargs));
    }
    void dropped(Id request, const std::string& procedure) override {
      tables_.dropped(request, procedure);
    }

   private:
    Tables& tables_;
  };

  explicit Tables(Session& owner) : session(owner) {}
  // Dropping the tables destroys handlers, which may hold Invocations: they must find no
  // answerer by then.
  ~Tables() { answerer.reset(); }

  Session& session;
  std::string realm;
  Id next_request = 1;
  std::uint64_t next_local_subscription = 1;
  JoinHandler on_joined;
  LeaveHandler on_left;
  std::map<Id, Pending> pending;
  std::map<Id, SubscriptionRecord> subscriptions;
  std::map<Id, RegistrationRecord> registrations;
  std::set<Id> unanswered_invocations;
  std::shared_ptr<Answerer> answerer;
  // The invocation whose handler runs now, and how many exceptions were in flight when it
  // started: an Invocation destroyed by an exception leaving that handler is answered with the
  // exception's text by the dispatcher, not as dropped.
  Id dispatching_invocation = 0;
  int uncaught_at_dispatch = 0;

  // What an authenticator keeps of the session's AuthContext: the real one while the attempt
  // lives, and nothing after, since the session -- and its owner -- may be gone by then.
  class AttemptContext final : public AuthContext {
   public:
    AttemptContext(AuthContext& owner, std::weak_ptr<Tables*> alive)
        : owner_(owner), alive_(std::move(alive)) {}

    std::optional<std::vector<std::uint8_t>> tls_unique() const override {
      if (alive_.expired()) return std::nullopt;
      return owner_.tls_unique();
    }
    void run_blocking(std::function<void()> work, std::function<void()> done) override {
      if (alive_.expired()) return done();
      owner_.run_blocking(std::move(work), std::move(done));
    }

   private:
    AuthContext& owner_;
    std::weak_ptr<Tables*> alive_;
  };

  // The authentication of the epoch being established.
  struct Authentication {
    std::vector<std::shared_ptr<Authenticator>> methods;
    Value::Object hello_details;
    // An answer is being computed; its reply finds these tables through `alive` only while
    // they exist, and only in the epoch that asked.
    bool answering = false;
    std::function<Result<void, std::string>(const Value::Object&)> check_welcome;
    std::shared_ptr<Tables*> alive;

    std::shared_ptr<Authenticator> find(const std::string& method) const {
      for (const auto& authenticator : methods) {
        for (const auto& name : authenticator->methods()) {
          if (name == method) return authenticator;
        }
      }
      return nullptr;
    }
  };
  Authentication authentication;

  // -- sending

  std::optional<WampError> send(const msg::Message& message) {
    Status sent = session.link_.send(message);
    if (sent) return std::nullopt;
    const Error& error = sent.error();
    // Only a connection that is gone, or found gone, makes a message unsendable for a reason
    // not its own; too large, a payload the serializer cannot write, or no room in the write
    // queue (the message alone may exceed it) are the request's.
    const bool gone =
        error.code == transport_errc::not_open || error.code == transport_errc::connection_closed;
    const client_errc code = gone ? client_errc::transport_lost : client_errc::invalid_argument;
    const std::string why = error.message.empty() ? error.code.message() : error.message;
    return local_error(code,
                       std::string(msg::type_name(msg::type_of(message))) + " not sent: " + why);
  }

  // Sends a request built for the next request id; the id is used up only when it went out.
  template <class Build>
  std::optional<WampError> send_request(Build build, Pending request) {
    const Id id = next_request;
    if (auto failed = send(build(id))) return failed;
    use_request_id();
    pending.emplace(id, std::move(request));
    return std::nullopt;
  }

  void use_request_id() { next_request = next_request == msg::max_id ? 1 : next_request + 1; }

  template <class Handler, class Outcome>
  void complete_later(Handler handler, Outcome outcome) {
    session.link_.defer(completion(std::move(handler), std::move(outcome)));
  }

  template <class Handler>
  bool refuse_unless_joined(Handler& handler) {
    if (session.state_ == State::established) return true;
    complete_later(std::move(handler),
                   local_error(client_errc::not_joined, "no session is established"));
    return false;
  }

  // -- ending

  // Ends the epoch: no Invocation can answer any more and every record is dropped. Returns the
  // completions of what was pending, failed with `why`.
  Callbacks end_epoch(const WampError& why) {
    session.state_ = State::closed;
    authentication = {};
    Callbacks callbacks = fail_requests(why);
    if (on_joined) {
      callbacks.insert(callbacks.begin(), completion(std::exchange(on_joined, nullptr), why));
    }
    if (on_left) callbacks.push_back(completion(std::exchange(on_left, nullptr), why));
    return callbacks;
  }

  // Drops the requests and records of the epoch; see end_epoch().
  Callbacks fail_requests(const WampError& why) {
    answerer.reset();
    unanswered_invocations.clear();
    Callbacks callbacks;
    for (auto& [id, request] : std::exchange(pending, {})) {
      callbacks.push_back(failure(std::move(request), why));
    }
    for (auto& [id, record] : std::exchange(subscriptions, {})) {
      for (auto& parked : record.parked) {
        callbacks.push_back(failure(std::move(parked), why));
      }
    }
    registrations.clear();
    return callbacks;
  }

  void violation(const std::string& what) {
    msg::Abort abort;
    abort.details["message"] = what;
    abort.reason = "wamp.error.protocol_violation";
    (void)send(abort);
    const WampError why =
        local_error(client_errc::protocol_violation, "the router broke the protocol: " + what);
    Callbacks callbacks = end_epoch(why);
    run(callbacks);
    session.listener_.on_session_ended(why);
  }

  // The router ended an established session with GOODBYE or ABORT.
  void ended_by_router(const WampError& why) {
    Callbacks callbacks = end_epoch(local_error(
        client_errc::session_ended, "the session ended before the answer came: " + why.message));
    run(callbacks);
    session.listener_.on_session_ended(why);
  }

  // -- requests

  void join(std::string new_realm, const AuthOptions& auth, Value::Object extra_details,
            JoinHandler handler) {
    if (session.state_ != State::closed) {
      return complete_later(
          std::move(handler),
          local_error(client_errc::already_joined, "join() while a session is open or opening"));
    }
    if (!is_valid_uri(new_realm, false)) {
      return complete_later(std::move(handler), invalid_uri("realm", new_realm));
    }
    auto offered = offer(auth, std::move(extra_details));
    if (!offered) return complete_later(std::move(handler), offered.error());
    msg::Hello hello{new_realm, hello_details(std::move(*offered))};
    if (auto failed = send(hello)) return complete_later(std::move(handler), std::move(*failed));
    ++session.epoch_;
    session.state_ = State::establishing;
    next_request = 1;
    realm = std::move(new_realm);
    on_joined = std::move(handler);
    answerer = std::make_shared<Answerer>(*this);
    authentication = Authentication{auth.methods, std::move(hello.details), false, nullptr,
                                    std::make_shared<Tables*>(this)};
  }

  // HELLO's authentication members: authid, authrole, authmethods and authextra, the last
  // merged from the options' and each method's.
  WampResult<Value::Object> offer(const AuthOptions& auth, Value::Object details) {
    if (!auth.authid.empty()) details["authid"] = auth.authid;
    if (!auth.authrole.empty()) details["authrole"] = auth.authrole;
    Value::Object authextra = auth.authextra;
    Value::Array authmethods;
    for (const auto& method : auth.methods) {
      if (!method) {
        return local_error(client_errc::invalid_argument, "AuthOptions::methods holds a null");
      }
      auto extra = method->hello_authextra(session.auth_context_);
      if (!extra) return local_error(client_errc::authentication_failed, extra.error());
      for (auto& [key, value] : *extra)
        authextra[key] = std::move(value);
      for (auto& name : method->methods())
        authmethods.emplace_back(std::move(name));
    }
    if (!authmethods.empty()) details["authmethods"] = std::move(authmethods);
    if (!authextra.empty()) details["authextra"] = std::move(authextra);
    return details;
  }

  void leave(std::string reason, LeaveHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    if (!is_valid_uri(reason, false)) {
      return complete_later(std::move(handler), invalid_uri("GOODBYE reason", reason));
    }
    if (auto failed = send(msg::Goodbye{{}, std::move(reason)})) {
      return complete_later(std::move(handler), std::move(*failed));
    }
    session.state_ = State::leaving;
    on_left = std::move(handler);
    session.link_.defer(
        [callbacks = fail_requests(local_error(
             client_errc::session_ended,
             "the session was left before the answer came"))]() mutable { run(callbacks); });
  }

  void call(std::string procedure, Value::Array args, Value::Object kwargs, CallOptions options,
            CallHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    if (!is_valid_uri(procedure, false)) {
      return complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
    }
    auto build = [&](Id id) {
      return msg::Call{id, std::move(options.extra), procedure, std::move(args), std::move(kwargs)};
    };
    if (auto failed = send_request(build, PendingCall{procedure, handler})) {
      complete_later(std::move(handler), std::move(*failed));
    }
  }

  void publish(std::string topic, Value::Array args, Value::Object kwargs, PublishOptions options,
               PublishHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    if (!is_valid_uri(topic, false)) {
      return complete_later(std::move(handler), invalid_uri("topic URI", topic));
    }
    // The flag decides whether PUBLISHED is awaited, so it, not `extra`, says what goes out.
    Value::Object message_options = std::move(options.extra);
    if (options.acknowledge) {
      message_options["acknowledge"] = true;
    } else {
      message_options.erase("acknowledge");
    }
    auto build = [&](Id id) {
      return msg::Publish{id, std::move(message_options), topic, std::move(args),
                          std::move(kwargs)};
    };
    if (options.acknowledge) {
      if (auto failed = send_request(build, PendingPublish{topic, handler})) {
        complete_later(std::move(handler), std::move(*failed));
      }
      return;
    }
    if (auto failed = send(build(next_request))) {
      return complete_later(std::move(handler), std::move(*failed));
    }
    use_request_id();
    complete_later(std::move(handler), Publication{0});
  }

  void subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                 SubscribeHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    if (!is_valid_uri(topic, is_wildcard_pattern(options.extra))) {
      return complete_later(std::move(handler), invalid_uri("topic URI", topic));
    }
    PendingSubscribe request{topic, handler, std::move(options.extra),
                             std::make_shared<const EventHandler>(std::move(on_event)),
                             next_local_subscription};
    if (auto failed = send_subscribe(std::move(request))) {
      return complete_later(std::move(handler), std::move(*failed));
    }
    ++next_local_subscription;
  }

  std::optional<WampError> send_subscribe(PendingSubscribe request) {
    const Value::Object options = request.options;
    const std::string topic = request.uri;
    return send_request(
        [&](Id id) {
          return msg::Subscribe{id, options, topic};
        },
        std::move(request));
  }

  void unsubscribe(const Subscription& subscription, DoneHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    auto record = subscriptions.end();
    if (subscription.session_epoch == session.epoch_) record = subscriptions.find(subscription.id);
    if (record == subscriptions.end() || !record->second.locals.count(subscription.local_id)) {
      return complete_later(
          std::move(handler),
          local_error(client_errc::invalid_argument,
                      "the subscription to '" + subscription.topic +
                          "' is not active in this session (unsubscribed, or from another)"));
    }
    auto& locals = record->second.locals;
    if (locals.size() > 1) {
      locals.erase(subscription.local_id);
      return complete_later(std::move(handler), WampStatus{});
    }
    auto build = [&](Id id) { return msg::Unsubscribe{id, subscription.id}; };
    if (auto failed = send_request(
            build, PendingUnsubscribe{record->second.topic, handler, subscription.id})) {
      return complete_later(std::move(handler), std::move(*failed));
    }
    // Dropped only now, so that a failed UNSUBSCRIBE leaves the subscription as it was.
    locals.clear();
    record->second.unsubscribing = true;
  }

  void register_procedure(std::string procedure, RegisterOptions options,
                          InvocationHandler on_invocation, RegisterHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    if (!is_valid_uri(procedure, is_wildcard_pattern(options.extra))) {
      return complete_later(std::move(handler), invalid_uri("procedure URI", procedure));
    }
    auto build = [&](Id id) { return msg::Register{id, std::move(options.extra), procedure}; };
    PendingRegister request{procedure, handler,
                            std::make_shared<const InvocationHandler>(std::move(on_invocation))};
    if (auto failed = send_request(build, std::move(request))) {
      complete_later(std::move(handler), std::move(*failed));
    }
  }

  void unregister(const Registration& registration, DoneHandler handler) {
    if (!refuse_unless_joined(handler)) return;
    auto record = registrations.end();
    if (registration.session_epoch == session.epoch_) record = registrations.find(registration.id);
    if (record == registrations.end() || record->second.unregistering) {
      return complete_later(
          std::move(handler),
          local_error(client_errc::invalid_argument,
                      "the registration of '" + registration.procedure +
                          "' is not active in this session (unregistered, or from another)"));
    }
    auto build = [&](Id id) { return msg::Unregister{id, registration.id}; };
    if (auto failed = send_request(
            build, PendingUnregister{record->second.procedure, handler, registration.id})) {
      return complete_later(std::move(handler), std::move(*failed));
    }
    // Dropped only now, so that a failed UNREGISTER leaves the registration as it was.
    record->second.handler.reset();
    record->second.unregistering = true;
  }

  // -- answering invocations

  bool answer(Id request, const msg::Message& message) {
    if (session.state_ != State::established || !unanswered_invocations.count(request)) {
      return false;
    }
    if (send(message)) return false;
    unanswered_invocations.erase(request);
    return true;
  }

  bool answer_error(Id request, std::string uri, Value::Array args, Value::Object kwargs) {
    if (!is_valid_uri(uri, false)) return false;
    return answer(request, msg::Error{msg::Type::invocation,
                                      request,
                                      {},
                                      std::move(uri),
                                      std::move(args),
                                      std::move(kwargs)});
  }

  void dropped(Id request, const std::string& procedure) {
    if (request == dispatching_invocation && std::uncaught_exceptions() > uncaught_at_dispatch) {
      return;
    }
    (void)answer_error(request, runtime_error_uri,
                       {"the invocation of '" + procedure + "' was dropped unanswered"}, {});
  }

  // The handler of `request` threw; unless it answered first, the caller learns why.
  void answer_thrown(std::uint64_t epoch, Id request, const std::string& what) {
    if (session.epoch_ != epoch) return;
    if (answer_error(request, runtime_error_uri, {what}, {})) return;
    // The exception's text may be what cannot be sent (not UTF-8, say).
    (void)answer_error(request, runtime_error_uri,
                       {"the invocation handler threw an exception whose text cannot be sent"}, {});
  }

  // -- receiving

  void receive(Value value) {
    // Closed: the owner is closing the transport, and nothing is left to answer.
    if (session.state_ == State::closed) return;
    auto parsed = msg::parse_message(std::move(value));
    if (session.state_ == State::leaving) {
      if (parsed) receive_while_leaving(parsed.value());
      return;
    }
    if (!parsed) return violation("a message does not parse: " + parsed.error().message);
    msg::Message& message = parsed.value();
    const msg::Type type = msg::type_of(message);
    const std::string name(msg::type_name(type));
    if (session.state_ == State::establishing && type != msg::Type::welcome &&
        type != msg::Type::abort && type != msg::Type::challenge) {
      return violation(name + " before WELCOME");
    }
    std::visit([this](auto& m) { on(m); }, message);
  }

  void receive_while_leaving(msg::Message& message) {
    if (auto* goodbye = std::get_if<msg::Goodbye>(&message)) {
      // leave() already failed what was pending.
      session.state_ = State::closed;
      LeaveHandler handler = std::exchange(on_left, nullptr);
      complete(handler, std::move(goodbye->reason));
    } else if (auto* abort = std::get_if<msg::Abort>(&message)) {
      run_ending(wamp_error("the router aborted the session", std::move(abort->reason), {}, {},
                            std::move(abort->details)));
    }
  }

  // Ends the epoch with `why` for whatever was pending, telling nobody else.
  void run_ending(const WampError& why) {
    Callbacks callbacks = end_epoch(why);
    run(callbacks);
  }

  // HELLO, CALL, ... and INTERRUPT, which a client that offers no call canceling never gets.
  template <class Other>
  void on(Other& other) {
    violation(std::string(msg::type_name(msg::type_of(other))) +
              " is not a message a client receives");
  }

  void on(msg::Welcome& welcome) {
    if (session.state_ != State::establishing) return violation("a second WELCOME");
    if (authentication.answering) return violation("WELCOME before AUTHENTICATE");
    if (authentication.check_welcome) {
      auto checked = authentication.check_welcome(welcome.details);
      if (!checked) return refuse_to_authenticate(checked.error());
    }
    authentication = {};
    session.state_ = State::established;
    JoinHandler handler = std::exchange(on_joined, nullptr);
    SessionInfo info;
    info.session_id = welcome.session;
    info.realm = realm;
    info.authid = string_member(welcome.details, "authid");
    info.authrole = string_member(welcome.details, "authrole");
    info.authmethod = string_member(welcome.details, "authmethod");
    info.authprovider = string_member(welcome.details, "authprovider");
    if (auto found = welcome.details.find("authextra"); found != welcome.details.end()) {
      if (const Value::Object* authextra = found->second.if_object()) info.authextra = *authextra;
    }
    info.details = std::move(welcome.details);
    complete(handler, std::move(info));
  }

  void on(msg::Abort& abort) {
    WampError why = wamp_error("the router aborted the session", std::move(abort.reason), {}, {},
                               std::move(abort.details));
    if (session.state_ == State::establishing) return run_ending(why);
    ended_by_router(why);
  }

  void on(msg::Challenge& challenge) {
    if (session.state_ != State::establishing) return violation("CHALLENGE after WELCOME");
    if (authentication.answering) {
      return violation("a CHALLENGE while the previous one is being answered");
    }
    // Copies: a reply given at once may end the epoch, and with it `authentication`, while
    // answer() still runs.
    std::shared_ptr<Authenticator> authenticator = authentication.find(challenge.auth_method);
    const Value::Object hello_details = authentication.hello_details;
    if (!authenticator) {
      return violation("CHALLENGE for authmethod '" + challenge.auth_method +
                       "', which HELLO did not offer");
    }
    authentication.answering = true;
    std::weak_ptr<Tables*> alive = authentication.alive;
    const std::uint64_t epoch = session.epoch_;
    authenticator->answer(AuthChallenge{challenge.auth_method, std::move(challenge.extra)},
                          hello_details,
                          std::make_shared<AttemptContext>(session.auth_context_, alive),
                          [alive, epoch](Result<AuthAnswer, std::string> answer) {
                            auto tables = alive.lock();
                            if (!tables || (*tables)->session.epoch_ != epoch) return;
                            (*tables)->answered(std::move(answer));
                          });
  }

  void answered(Result<AuthAnswer, std::string> answer) {
    authentication.answering = false;
    if (session.state_ != State::establishing) return;
    if (!answer) return refuse_to_authenticate(answer.error());
    msg::Authenticate authenticate{std::string(answer->signature.reveal()),
                                   std::move(answer->extra)};
    auto failed = send(authenticate);
    crypto::wipe(authenticate.signature.data(), authenticate.signature.size());
    if (failed) return run_ending(*failed);
    authentication.check_welcome = std::move(answer->check_welcome);
  }

  // This side gives up authenticating: ABORT, and join() fails saying why.
  void refuse_to_authenticate(const std::string& why) {
    msg::Abort abort;
    abort.details["message"] = why;
    abort.reason = "wamp.error.authentication_failed";
    (void)send(abort);
    run_ending(local_error(client_errc::authentication_failed, why));
  }

  void on(msg::Goodbye& goodbye) {
    (void)send(msg::Goodbye{{}, "wamp.close.goodbye_and_out"});
    ended_by_router(wamp_error("the router closed the session", std::move(goodbye.reason), {}, {},
                               std::move(goodbye.details)));
  }

  // The pending request `request` answered by a message of type `answer`, taken out of the
  // table; a protocol violation when there is none of that kind.
  template <class Request>
  std::optional<Request> take_answered(msg::Type answer, Id request) {
    auto found = pending.find(request);
    if (found == pending.end() || !std::holds_alternative<Request>(found->second)) {
      violation(std::string(msg::type_name(answer)) + " for request " + std::to_string(request) +
                ", which is no pending " + std::string(msg::type_name(Request::type)));
      return std::nullopt;
    }
    Request taken = std::get<Request>(std::move(found->second));
    pending.erase(found);
    return taken;
  }

  void on(msg::Error& error) {
    auto found = pending.find(error.request);
    if (found == pending.end() || type_of(found->second) != error.request_type) {
      return violation("ERROR for " + std::string(msg::type_name(error.request_type)) +
                       " request " + std::to_string(error.request) + ", which is no pending " +
                       std::string(msg::type_name(error.request_type)));
    }
    Pending request = std::move(found->second);
    pending.erase(found);
    Callbacks callbacks;
    if (auto* unsubscribe = std::get_if<PendingUnsubscribe>(&request)) {
      callbacks = retire_subscription(unsubscribe->subscription);
    } else if (auto* unregister = std::get_if<PendingUnregister>(&request)) {
      registrations.erase(unregister->registration);
    }
    std::visit(
        [&](auto& answered) {
          complete(answered.handler,
                   wamp_error(describe_request(answered.type, answered.uri) + " failed",
                              std::move(error.error), std::move(error.args),
                              std::move(error.kwargs), std::move(error.details)));
        },
        request);
    run(callbacks);
  }

  void on(msg::Result& result) {
    auto call = take_answered<PendingCall>(msg::Type::result, result.request);
    if (!call) return;
    complete(call->handler, CallResult{std::move(result.args), std::move(result.kwargs),
                                       std::move(result.details)});
  }

  void on(msg::Published& published) {
    auto publish = take_answered<PendingPublish>(msg::Type::published, published.request);
    if (!publish) return;
    complete(publish->handler, Publication{published.publication});
  }

  void on(msg::Subscribed& subscribed) {
    auto request = take_answered<PendingSubscribe>(msg::Type::subscribed, subscribed.request);
    if (!request) return;
    auto record = subscriptions.find(subscribed.subscription);
    if (record == subscriptions.end()) {
      record = subscriptions.emplace(subscribed.subscription, SubscriptionRecord{}).first;
      record->second.topic = request->uri;
    } else if (record->second.unsubscribing) {
      record->second.parked.push_back(std::move(*request));
      return;
    }
    record->second.locals.emplace(request->local_id, request->on_event);
    complete(request->handler, Subscription{subscribed.subscription, request->uri,
                                            request->local_id, session.epoch_});
  }

  // Forgets the router's subscription `id` and subscribes again for the requests parked on it;
  // returns the completions of those that could not be sent.
  Callbacks retire_subscription(Id id) {
    Callbacks callbacks;
    auto record = subscriptions.find(id);
    if (record == subscriptions.end()) return callbacks;
    std::vector<PendingSubscribe> parked = std::move(record->second.parked);
    subscriptions.erase(record);
    for (auto& request : parked) {
      SubscribeHandler handler = request.handler;
      if (auto failed = send_subscribe(std::move(request))) {
        callbacks.push_back(completion(std::move(handler), std::move(*failed)));
      }
    }
    return callbacks;
  }

  void on(msg::Unsubscribed& unsubscribed) {
    if (unsubscribed.request == 0) {
      // The router revoked a subscription; nobody asked, so nobody is told.
      if (auto id = revoked_id(unsubscribed.details, "subscription")) {
        Callbacks callbacks = retire_subscription(*id);
        run(callbacks);
      }
      return;
    }
    auto request = take_answered<PendingUnsubscribe>(msg::Type::unsubscribed, unsubscribed.request);
    if (!request) return;
    Callbacks callbacks = retire_subscription(request->subscription);
    complete(request->handler, WampStatus{});
    run(callbacks);
  }

  static std::optional<Id> revoked_id(const Value::Object& details, std::string_view key) {
    auto found = details.find(key);
    if (found == details.end()) return std::nullopt;
    auto id = found->second.to_uint64();
    if (!id) return std::nullopt;
    return id.value();
  }

  void on(msg::Event& event) {
    auto record = subscriptions.find(event.subscription);
    if (record == subscriptions.end()) {
      return violation("EVENT for subscription " + std::to_string(event.subscription) +
                       ", which this session does not have");
    }
    std::vector<std::uint64_t> locals;
    for (const auto& local : record->second.locals)
      locals.push_back(local.first);
    const Event delivered{event.subscription,    event.publication,       record->second.topic,
                          std::move(event.args), std::move(event.kwargs), std::move(event.details)};
    const std::uint64_t epoch = session.epoch_;
    // A handler may unsubscribe others, leave or end the session: look everything up again.
    for (std::uint64_t local_id : locals) {
      if (session.state_ != State::established || session.epoch_ != epoch) return;
      auto current = subscriptions.find(event.subscription);
      if (current == subscriptions.end()) return;
      auto local = current->second.locals.find(local_id);
      if (local == current->second.locals.end()) continue;
      std::shared_ptr<const EventHandler> handler = local->second;
      if (*handler) (*handler)(delivered);
    }
  }

  void on(msg::Registered& registered) {
    // Checked first, so that the request is still pending and fails with the session.
    if (registrations.count(registered.registration)) {
      return violation("REGISTERED gives registration " + std::to_string(registered.registration) +
                       ", which is already in use");
    }
    auto request = take_answered<PendingRegister>(msg::Type::registered, registered.request);
    if (!request) return;
    registrations.emplace(registered.registration,
                          RegistrationRecord{request->uri, request->on_invocation});
    complete(request->handler, Registration{registered.registration, request->uri, session.epoch_});
  }

  void on(msg::Unregistered& unregistered) {
    if (unregistered.request == 0) {
      // The router revoked a registration; nobody asked, so nobody is told.
      if (auto id = revoked_id(unregistered.details, "registration")) registrations.erase(*id);
      return;
    }
    auto request = take_answered<PendingUnregister>(msg::Type::unregistered, unregistered.request);
    if (!request) return;
    registrations.erase(request->registration);
    complete(request->handler, WampStatus{});
  }

  void on(msg::Invocation& invocation) {
    auto record = registrations.find(invocation.registration);
    if (record == registrations.end()) {
      return violation("INVOCATION for registration " + std::to_string(invocation.registration) +
                       ", which this session does not have");
    }
    if (unanswered_invocations.count(invocation.request)) {
      return violation("INVOCATION with request " + std::to_string(invocation.request) +
                       ", which names an unanswered invocation");
    }
    if (record->second.unregistering) {
      (void)send(msg::Error{msg::Type::invocation,
                            invocation.request,
                            {},
                            "wamp.error.no_such_registration",
                            {},
                            {}});
      return;
    }
    unanswered_invocations.insert(invocation.request);
    std::shared_ptr<const InvocationHandler> handler = record->second.handler;
    Invocation call = detail::InvocationAnswerer::make_invocation(
        answerer, invocation.request, invocation.registration, record->second.procedure);
    call.args = std::move(invocation.args);
    call.kwargs = std::move(invocation.kwargs);
    call.details = std::move(invocation.details);

    const std::uint64_t epoch = session.epoch_;
    const Id outer_invocation = std::exchange(dispatching_invocation, invocation.request);
    const int outer_uncaught = std::exchange(uncaught_at_dispatch, std::uncaught_exceptions());
    auto restore = [&] {
      dispatching_invocation = outer_invocation;
      uncaught_at_dispatch = outer_uncaught;
    };
    try {
      (*handler)(std::move(call));
    } catch (const std::exception& e) {
      restore();
      answer_thrown(epoch, invocation.request, e.what());
      return;
    } catch (...) {
      // Not ours to swallow; the caller still gets an answer.
      restore();
      answer_thrown(epoch, invocation.request,
                    "the invocation handler threw an exception that is not a std::exception");
      throw;
    }
    restore();
  }
};

Session::Session(Link& link, Listener& listener, AuthContext& auth_context)
    : link_(link),
      listener_(listener),
      auth_context_(auth_context),
      tables_(std::make_unique<Tables>(*this)) {}

Session::~Session() = default;

void Session::join(std::string realm, const AuthOptions& auth, Value::Object extra_details,
                   JoinHandler on_joined) {
  tables_->join(std::move(realm), auth, std::move(extra_details), std::move(on_joined));
}

void Session::leave(std::string reason, LeaveHandler on_left) {
  tables_->leave(std::move(reason), std::move(on_left));
}

void Session::call(std::string procedure, Value::Array args, Value::Object kwargs,
                   CallOptions options, CallHandler on_result) {
  tables_->call(std::move(procedure), std::move(args), std::move(kwargs), std::move(options),
                std::move(on_result));
}

void Session::publish(std::string topic, Value::Array args, Value::Object kwargs,
                      PublishOptions options, PublishHandler on_done) {
  tables_->publish(std::move(topic), std::move(args), std::move(kwargs), std::move(options),
                   std::move(on_done));
}

void Session::subscribe(std::string topic, SubscribeOptions options, EventHandler on_event,
                        SubscribeHandler on_subscribed) {
  tables_->subscribe(std::move(topic), std::move(options), std::move(on_event),
                     std::move(on_subscribed));
}

void Session::unsubscribe(const Subscription& subscription, DoneHandler on_done) {
  tables_->unsubscribe(subscription, std::move(on_done));
}

void Session::register_procedure(std::string procedure, RegisterOptions options,
                                 InvocationHandler on_invocation, RegisterHandler on_registered) {
  tables_->register_procedure(std::move(procedure), std::move(options), std::move(on_invocation),
                              std::move(on_registered));
}

void Session::unregister(const Registration& registration, DoneHandler on_done) {
  tables_->unregister(registration, std::move(on_done));
}

void Session::receive(Value message) {
  tables_->receive(std::move(message));
}

void Session::end(const WampError& why) {
  if (state_ == State::closed) return;
  tables_->run_ending(why);
}

}  // namespace uvwamp
