#include "session/establishing.hpp"

#include <optional>
#include <utility>

#include "auth/crypto.hpp"
#include "session/uri.hpp"

namespace uvwamp {
namespace {

constexpr const char* agent = "uvwamp-0.1.0";

std::string string_member(const Value::Object& object, const std::string& key) {
  auto found = object.find(key);
  if (found == object.end()) return {};
  const std::string* text = found->second.if_string();
  return text ? *text : std::string();
}

// Each role with the features the session implements, and no others: a router may rely on
// what a client announces.
Value::Object announced_roles() {
  const Value::Object caller_features{
      {"progressive_call_results", true},
      {"progressive_call_invocations", true},
      {"call_timeout", true},
      {"call_canceling", true},
      {"caller_identification", true},
  };
  Value::Object callee_features = caller_features;
  callee_features["pattern_based_registration"] = true;
  callee_features["shared_registration"] = true;
  callee_features["registration_revocation"] = true;
  auto role = [](Value::Object features) {
    return Value::Object{{"features", std::move(features)}};
  };
  return Value::Object{{"caller", role(caller_features)},
                       {"callee", role(std::move(callee_features))},
                       {"publisher", role({})},
                       {"subscriber", role({})}};
}

Value::Object hello_details(Value::Object extra) {
  Value::Object details{{"agent", agent}, {"roles", announced_roles()}};
  for (auto& [key, value] : extra) {
    if (key != "roles") details[key] = std::move(value);
  }
  return details;
}

// What an authenticator keeps of the session's AuthContext: the real one while the attempt
// lives, and nothing after, since the session -- and its owner -- may be gone by then.
class AttemptContext final : public AuthContext {
 public:
  AttemptContext(AuthContext& owner, std::weak_ptr<Establishing*> alive)
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
  std::weak_ptr<Establishing*> alive_;
};

// WELCOME.Details.roles.dealer.features.<name> is true.
bool dealer_announces(const Value::Object& welcome_details, const char* name) {
  auto roles = welcome_details.find("roles");
  if (roles == welcome_details.end()) return false;
  const Value* feature = &roles->second;
  for (const char* key : {"dealer", "features", name}) {
    feature = feature->find(key);
    if (feature == nullptr) return false;
  }
  auto announced = feature->to_bool();
  return announced.ok() && announced.value();
}

DealerFeatures dealer_features(const Value::Object& welcome_details) {
  DealerFeatures features;
  features.call_canceling = dealer_announces(welcome_details, "call_canceling");
  features.call_timeout = dealer_announces(welcome_details, "call_timeout");
  features.progressive_call_invocations =
      dealer_announces(welcome_details, "progressive_call_invocations");
  return features;
}

}  // namespace

std::shared_ptr<Authenticator> Establishing::Authentication::find(const std::string& method) const {
  for (const auto& authenticator : methods) {
    for (const auto& name : authenticator->methods()) {
      if (name == method) return authenticator;
    }
  }
  return nullptr;
}

void Establishing::join(std::string realm, const AuthOptions& auth, Value::Object extra_details,
                        std::chrono::milliseconds timeout, JoinHandler handler) {
  if (core_.state() != SessionCore::State::closed) {
    return core_.complete_later(
        std::move(handler),
        local_error(client_errc::already_joined, "join() while a session is open or opening"));
  }
  if (!is_valid_uri(realm)) {
    return core_.complete_later(std::move(handler), invalid_uri("realm", realm));
  }
  auto offered = offer(auth, std::move(extra_details));
  if (!offered) return core_.complete_later(std::move(handler), offered.error());
  msg::Hello hello{realm, hello_details(std::move(*offered))};
  if (auto failed = core_.send(hello)) {
    return core_.complete_later(std::move(handler), std::move(*failed));
  }
  core_.start_epoch();
  realm_ = std::move(realm);
  on_joined_ = std::move(handler);
  authentication_ = Authentication{auth.methods, std::move(hello.details), false, nullptr,
                                   std::make_shared<Establishing*>(this)};
  timeout_ = timeout;
  await_router("HELLO");
}

void Establishing::await_router(const char* sent) {
  if (timeout_.count() <= 0) return;
  deadline_ = core_.now() + timeout_;
  awaited_answer_to_ = sent;
}

void Establishing::expire(TimePoint now) {
  if (!deadline_ || *deadline_ > now) return;
  deadline_.reset();
  core_.run_ending(local_error(client_errc::timed_out,
                               std::string("the router did not answer ") + awaited_answer_to_ +
                                   " within " + std::to_string(timeout_.count()) + " ms"));
}

// HELLO's authentication members: authid, authrole, authmethods and authextra, the last merged
// from the options' and each method's.
WampResult<Value::Object> Establishing::offer(const AuthOptions& auth, Value::Object details) {
  if (!auth.authid.empty()) details["authid"] = auth.authid;
  if (!auth.authrole.empty()) details["authrole"] = auth.authrole;
  Value::Object authextra = auth.authextra;
  Value::Array authmethods;
  for (const auto& method : auth.methods) {
    if (!method) {
      return local_error(client_errc::invalid_argument, "AuthOptions::methods holds a null");
    }
    auto extra = method->hello_authextra(auth_context_);
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

void Establishing::on(msg::Challenge& challenge) {
  if (core_.state() != SessionCore::State::establishing) {
    return core_.violation("CHALLENGE after WELCOME");
  }
  if (authentication_.answering) {
    return core_.violation("a CHALLENGE while the previous one is being answered");
  }
  // Copies: a reply given at once may end the epoch, and with it `authentication_`, while
  // answer() still runs.
  std::shared_ptr<Authenticator> authenticator = authentication_.find(challenge.auth_method);
  const Value::Object hello_details = authentication_.hello_details;
  if (!authenticator) {
    return core_.violation("CHALLENGE for authmethod '" + challenge.auth_method +
                           "', which HELLO did not offer");
  }
  authentication_.answering = true;
  // Answering may wait for a secret (a person typing it, say): the router is not waited for.
  deadline_.reset();
  std::weak_ptr<Establishing*> alive = authentication_.alive;
  const std::uint64_t epoch = core_.epoch();
  auto reply = [alive, epoch](Result<AuthAnswer, std::string> answer) {
    auto establishing = alive.lock();
    if (!establishing || (*establishing)->core_.epoch() != epoch) return;
    if (!(*establishing)->authentication_.answering) return;
    (*establishing)->answered(std::move(answer));
  };
  try {
    authenticator->answer(AuthChallenge{challenge.auth_method, std::move(challenge.extra)},
                          hello_details, std::make_shared<AttemptContext>(auth_context_, alive),
                          reply);
  } catch (...) {
    // A secret's callback threw: the owner hears of it, and the router gets a refusal.
    if (alive.expired()) return;
    core_.report(std::current_exception());
    reply(std::string("the secret for " + challenge.auth_method + " could not be had: its " +
                      "callback threw"));
  }
}

void Establishing::answered(Result<AuthAnswer, std::string> answer) {
  authentication_.answering = false;
  if (core_.state() != SessionCore::State::establishing) return;
  if (!answer) return refuse_to_authenticate(answer.error());
  msg::Authenticate authenticate{std::string(answer->signature.reveal()), std::move(answer->extra)};
  auto failed = core_.send(authenticate);
  crypto::wipe(authenticate.signature.data(), authenticate.signature.size());
  if (failed) return core_.run_ending(*failed);
  authentication_.check_welcome = std::move(answer->check_welcome);
  await_router("AUTHENTICATE");
}

void Establishing::refuse_to_authenticate(const std::string& why) {
  msg::Abort abort;
  abort.details["message"] = why;
  abort.reason = "wamp.error.authentication_failed";
  (void)core_.send(abort);
  core_.run_ending(local_error(client_errc::authentication_failed, why));
}

void Establishing::on(msg::Welcome& welcome) {
  if (core_.state() != SessionCore::State::establishing) {
    return core_.violation("a second WELCOME");
  }
  if (authentication_.answering) return core_.violation("WELCOME before AUTHENTICATE");
  if (authentication_.check_welcome) {
    auto checked = authentication_.check_welcome(welcome.details);
    if (!checked) return refuse_to_authenticate(checked.error());
  }
  authentication_ = {};
  deadline_.reset();
  core_.establish(dealer_features(welcome.details));
  JoinHandler handler = std::exchange(on_joined_, nullptr);
  SessionInfo info;
  info.session_id = welcome.session;
  info.realm = realm_;
  info.authid = string_member(welcome.details, "authid");
  info.authrole = string_member(welcome.details, "authrole");
  info.authmethod = string_member(welcome.details, "authmethod");
  info.authprovider = string_member(welcome.details, "authprovider");
  if (auto found = welcome.details.find("authextra"); found != welcome.details.end()) {
    if (const Value::Object* authextra = found->second.if_object()) info.authextra = *authextra;
  }
  info.details = std::move(welcome.details);
  core_.complete(handler, std::move(info));
}

void Establishing::end_epoch(const WampError& why, bool /*keep*/, Callbacks& completions) {
  authentication_ = {};
  deadline_.reset();
  if (on_joined_) {
    completions.insert(completions.begin(),
                       SessionCore::completion(std::exchange(on_joined_, nullptr), why));
  }
}

}  // namespace uvwamp
