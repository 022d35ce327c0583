#include "auth/wampcra.hpp"

#include "auth/crypto.hpp"
#include "auth/fields.hpp"
#include "util/base64.hpp"

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace uvwamp {
namespace wampcra {

namespace {

const std::uint8_t* bytes_of(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

}  // namespace

Secret derive_key(std::string_view secret, std::string_view salt, std::uint32_t iterations,
                  std::size_t key_size) {
  std::vector<std::uint8_t> raw(key_size);
  crypto::pbkdf2_hmac_sha256(secret, bytes_of(salt), salt.size(), iterations, raw.data(),
                             raw.size());
  std::string text = base64::encode(raw.data(), raw.size());
  Secret key(text);
  crypto::wipe(raw.data(), raw.size());
  crypto::wipe(text.data(), text.size());
  return key;
}

std::string sign(std::string_view key, std::string_view challenge) {
  auto mac = crypto::hmac_sha256(bytes_of(key), key.size(), bytes_of(challenge), challenge.size());
  return base64::encode(mac.data(), mac.size());
}

}  // namespace wampcra

namespace {

constexpr std::string_view where = "CHALLENGE for wampcra";
// Far above what routers use (Crossbar's default is 1000), low enough that a hostile router
// cannot keep a thread busy for hours or ask for a huge key.
constexpr std::uint32_t max_iterations = 10'000'000;
constexpr std::uint32_t max_key_size = 1024;

struct Salting {
  std::string salt;
  std::uint32_t iterations;
  std::uint32_t key_size;
};

// What the signature is computed from, once the secret has come.
struct Signing {
  std::string challenge;
  std::optional<Salting> salting;
  Secret secret;
  Result<AuthAnswer, std::string> answer = std::string("the WAMP-CRA signature was not computed");

  void compute() {
    if (!salting) {
      answer = AuthAnswer{Secret(wampcra::sign(secret.reveal(), challenge)), {}, {}};
      return;
    }
    Secret key =
        wampcra::derive_key(secret.reveal(), salting->salt, salting->iterations, salting->key_size);
    answer = AuthAnswer{Secret(wampcra::sign(key.reveal(), challenge)), {}, {}};
  }
};

Result<std::optional<Salting>, std::string> read_salting(const Value::Object& extra) {
  auto salt = auth_fields::optional_string(extra, "salt", where);
  if (!salt) return salt.error();
  if (!*salt) return std::optional<Salting>();
  auto iterations =
      auth_fields::bounded_integer(extra, "iterations", where, 1, max_iterations, 1000);
  if (!iterations) return iterations.error();
  auto key_size = auth_fields::bounded_integer(extra, "keylen", where, 1, max_key_size, 32);
  if (!key_size) return key_size.error();
  return std::optional<Salting>(Salting{**salt, *iterations, *key_size});
}

class WampCra final : public Authenticator {
 public:
  explicit WampCra(SecretSource secret) : secret_(std::move(secret)) {}

  std::vector<std::string> methods() const override { return {"wampcra"}; }

  Result<Value::Object, std::string> hello_authextra(const AuthContext&) override {
    return Value::Object{};
  }

  void answer(const AuthChallenge& challenge, const Value::Object&,
              std::shared_ptr<AuthContext> context, AuthAnswerHandler reply) override {
    auto text = auth_fields::required_string(challenge.extra, "challenge", where);
    if (!text) return reply(text.error());
    auto salting = read_salting(challenge.extra);
    if (!salting) return reply(salting.error());
    auto signing = std::make_shared<Signing>();
    signing->challenge = **text;
    signing->salting = std::move(*salting);
    secret_.fetch([signing, context, reply = std::move(reply)](Result<Secret, std::string> secret) {
      if (!secret) return reply(secret.error());
      signing->secret = std::move(*secret);
      if (!signing->salting) {
        signing->compute();
        return reply(std::move(signing->answer));
      }
      // PBKDF2 with the router's iteration count may take long: off the loop.
      context->run_blocking([signing] { signing->compute(); },
                            [signing, reply] { reply(std::move(signing->answer)); });
    });
  }

 private:
  SecretSource secret_;
};

}  // namespace

std::shared_ptr<Authenticator> auth::wampcra(SecretSource secret) {
  return std::make_shared<WampCra>(std::move(secret));
}

}  // namespace uvwamp
