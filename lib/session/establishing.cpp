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
                        JoinHandler handler) {
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
  std::weak_ptr<Establishing*> alive = authentication_.alive;
  const std::uint64_t epoch = core_.epoch();
  authenticator->answer(AuthChallenge{challenge.auth_method, std::move(challenge.extra)},
                        hello_details, std::make_shared<AttemptContext>(auth_context_, alive),
                        [alive, epoch](Result<AuthAnswer, std::string> answer) {
                          auto establishing = alive.lock();
                          if (!establishing || (*establishing)->core_.epoch() != epoch) return;
                          (*establishing)->answered(std::move(answer));
                        });
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
  core_.establish();
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
  SessionCore::complete(handler, std::move(info));
}

void Establishing::end_epoch(const WampError& why, Callbacks& completions) {
  authentication_ = {};
  if (on_joined_) {
    completions.insert(completions.begin(),
                       SessionCore::completion(std::exchange(on_joined_, nullptr), why));
  }
}

}  // namespace uvwamp
