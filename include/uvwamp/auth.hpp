// uvwamp authentication: what a client offers in HELLO and how it answers the router's CHALLENGE.
//
//   uvwamp::ClientOptions options;
//   options.auth.authid = "alice";
//   options.auth.methods = {uvwamp::auth::scram("correct horse"), uvwamp::auth::ticket(fetch)};
//
// Each method is an Authenticator. join() offers every method in `methods` (HELLO's authmethods,
// in that order, with what each needs in HELLO's authextra); the router picks one in CHALLENGE,
// and the Authenticator that offered it answers with AUTHENTICATE. With no methods HELLO offers
// none, and the router decides (anonymous, or by the transport).
//
// A failure to authenticate fails join(): the router's ABORT (client_errc::wamp_error, its reason
// as uri, e.g. wamp.error.not_authorized, and its message), or a local refusal
// (client_errc::authentication_failed: a secret could not be had, a challenge could not be
// answered, the router could not prove itself).
//
// Secrets (tickets, passwords, passphrases, key seeds) are Secret values: wiped from memory when
// destroyed and never part of a log line or an error message. A SecretSource gives one now or
// when the router asks for it.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp {

class SigningKey;

// Bytes that must not outlive their use: wiped when destroyed, moved without leaving a copy.
class Secret {
 public:
  Secret() = default;
  Secret(std::string_view text);
  Secret(const char* text) : Secret(std::string_view(text)) {}
  Secret(const Secret& other);
  Secret& operator=(const Secret& other);
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  ~Secret();

  std::string_view reveal() const noexcept { return {bytes_.data(), bytes_.size()}; }
  bool empty() const noexcept { return bytes_.empty(); }

 private:
  void wipe() noexcept;
  std::vector<char> bytes_;
};

// The answer to a request for a secret: the secret, or a sentence saying why there is none (it
// becomes join()'s error message).
using SecretReply = std::function<void(Result<Secret, std::string>)>;
// Asked for a secret when the router's CHALLENGE needs it, on the loop thread; calls `reply`
// once, at once or later (from the loop thread).
using SecretCallback = std::function<void(SecretReply reply)>;

// A secret given now, or a callback that fetches it when it is needed.
class SecretSource {
 public:
  SecretSource(Secret secret);
  SecretSource(const char* secret) : SecretSource(Secret(secret)) {}
  SecretSource(std::string_view secret) : SecretSource(Secret(secret)) {}
  SecretSource(SecretCallback fetch);

  void fetch(SecretReply reply) const;

 private:
  SecretCallback fetch_;
};

// What the router sent in CHALLENGE.
struct AuthChallenge {
  std::string method;
  Value::Object extra;
};

// What goes back in AUTHENTICATE. `check_welcome`, when set, sees WELCOME.Details and may refuse
// the session with a sentence saying why (SCRAM checks the router's proof this way).
struct AuthAnswer {
  Secret signature;
  Value::Object extra;
  std::function<Result<void, std::string>(const Value::Object& welcome_details)> check_welcome;
};
using AuthAnswerHandler = std::function<void(Result<AuthAnswer, std::string>)>;

// What an authenticator may ask of the connection and the loop.
class AuthContext {
 public:
  virtual ~AuthContext() = default;
  // The tls-unique channel binding (RFC 5929) of the connection: the verify_data of the TLS
  // handshake's first Finished message. nullopt without TLS.
  virtual std::optional<std::vector<std::uint8_t>> tls_unique() const = 0;
  // Runs `work` off the loop thread (a key derivation that takes long), then `done` on it. The
  // session may have ended in between; `done` still runs.
  virtual void run_blocking(std::function<void()> work, std::function<void()> done) = 0;
};

// One authentication method. Instances hold configuration only, so one may serve several
// clients and joins at once; what an attempt needs later travels in the HELLO details given to
// answer().
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // The authmethods this authenticator answers, as HELLO offers them.
  virtual std::vector<std::string> methods() const = 0;
  // Called at each join: what HELLO.Details.authextra must carry for this method (a fresh
  // nonce, a public key), or why the method cannot be offered on this connection.
  virtual Result<Value::Object, std::string> hello_authextra(const AuthContext& context) = 0;
  // The router picked one of methods(); `hello_details` are the HELLO.Details that were sent.
  // Calls `reply` exactly once, now or later on the loop thread. `context` may be kept for
  // later; once the session stopped waiting it serves no channel binding and runs no work
  // (run_blocking calls `done` at once).
  virtual void answer(const AuthChallenge& challenge, const Value::Object& hello_details,
                      std::shared_ptr<AuthContext> context, AuthAnswerHandler reply) = 0;
};

// What HELLO says about who the client is and how it can prove it.
struct AuthOptions {
  std::string authid;       // not sent when empty
  std::string authrole;     // not sent when empty
  Value::Object authextra;  // sent as given, plus what the methods add
  std::vector<std::shared_ptr<Authenticator>> methods;
};

// The methods uvwamp implements.
namespace auth {

// "anonymous": offered explicitly, e.g. as a fallback after other methods.
std::shared_ptr<Authenticator> anonymous();
// "ticket": the ticket is sent as it is; use it over TLS.
std::shared_ptr<Authenticator> ticket(SecretSource ticket);
// "wampcra": HMAC-SHA256 of the router's challenge; when the challenge names a salt, the key is
// first derived from the secret with PBKDF2 (the router's salt, iterations and key length).
std::shared_ptr<Authenticator> wampcra(SecretSource secret);
// SCRAM-SHA-256 with the router's KDF, "argon2id13" (also spelled "argon2id-13") or "pbkdf2";
// the router's proof in WELCOME is checked. Two dialects exist (docs/auth-scram.md): the spec's
// "wamp-scram", and "scram" as Crossbar.io and autobahn-python speak it, which differs in the
// method name and in what the proofs cover. Only one is offered: Crossbar refuses a HELLO that
// names a method it does not know, so offering both would fail there whenever it reaches
// "wamp-scram".
enum class ScramDialect {
  crossbar,  // "scram"
  spec,      // "wamp-scram"
};
struct ScramOptions {
  ScramDialect dialect = ScramDialect::crossbar;
};
std::shared_ptr<Authenticator> scram(SecretSource password, ScramOptions options = {});

struct CryptosignOptions {
  // Ask for tls-unique channel binding: the challenge is signed XOR the TLS channel's id, so
  // the signature is worthless on any other connection. join() fails without TLS.
  bool channel_binding = false;
};
// "cryptosign": an Ed25519 signature of the router's challenge.
std::shared_ptr<Authenticator> cryptosign(const SigningKey& key, CryptosignOptions options = {});

}  // namespace auth
}  // namespace uvwamp
