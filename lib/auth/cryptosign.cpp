#include "auth/cryptosign.hpp"

#include "auth/fields.hpp"
#include "util/hex.hpp"

#include <array>
#include <memory>
#include <utility>

namespace uvwamp {
namespace cryptosign {

Result<Secret, std::string> sign_challenge(const SigningKey& key, std::string_view challenge_hex,
                                           const std::optional<crypto::Sha256>& channel_id) {
  auto challenge = hex::decode(challenge_hex);
  if (challenge_hex.size() != 64 || !challenge || challenge->size() != 32) {
    return std::string("CHALLENGE for cryptosign: 'challenge' must be 64 hex digits");
  }
  std::array<std::uint8_t, 32> message;
  for (std::size_t i = 0; i < message.size(); ++i) {
    message[i] = channel_id ? (*challenge)[i] ^ (*channel_id)[i] : (*challenge)[i];
  }
  auto signature = key.sign(message.data(), message.size());
  return Secret(hex::encode(signature.data(), signature.size()) +
                hex::encode(message.data(), message.size()));
}

crypto::Sha256 tls_unique_channel_id(const std::vector<std::uint8_t>& tls_unique) {
  return crypto::sha256(tls_unique.data(), tls_unique.size());
}

}  // namespace cryptosign

namespace {

constexpr std::string_view where = "CHALLENGE for cryptosign";
constexpr std::string_view tls_unique_name = "tls-unique";

class Cryptosign final : public Authenticator {
 public:
  Cryptosign(const SigningKey& key, auth::CryptosignOptions options)
      : key_(key), options_(options) {}

  std::vector<std::string> methods() const override { return {"cryptosign"}; }

  Result<Value::Object, std::string> hello_authextra(const AuthContext& context) override {
    Value::Object extra{{"pubkey", key_.public_key_hex()}};
    if (options_.channel_binding) {
      if (!context.tls_unique()) {
        return std::string(
            "cryptosign: channel binding (tls-unique) was asked for, but the connection has no "
            "TLS; use a wss:// or rss:// URL");
      }
      extra["channel_binding"] = tls_unique_name;
    }
    return extra;
  }

  void answer(const AuthChallenge& challenge, const Value::Object&,
              std::shared_ptr<AuthContext> context, AuthAnswerHandler reply) override {
    auto challenge_hex = auth_fields::required_string(challenge.extra, "challenge", where);
    if (!challenge_hex) return reply(challenge_hex.error());
    auto binding = auth_fields::optional_string(challenge.extra, "channel_binding", where);
    if (!binding) return reply(binding.error());

    std::optional<crypto::Sha256> channel_id;
    if (*binding) {
      if (**binding != tls_unique_name) {
        return reply(std::string(where) + ": unsupported channel binding '" + **binding + "'");
      }
      auto tls_unique = context->tls_unique();
      if (!tls_unique) {
        return reply(std::string(where) +
                     ": the router asks for tls-unique channel binding on a connection without "
                     "TLS");
      }
      channel_id = cryptosign::tls_unique_channel_id(*tls_unique);
    } else if (options_.channel_binding) {
      // The spec lets a router drop the binding; the client must then refuse, or the signature
      // could be replayed on another connection.
      return reply(
          std::string(where) +
          ": the router did not confirm the tls-unique channel binding that was asked for");
    }
    auto signature = cryptosign::sign_challenge(key_, **challenge_hex, channel_id);
    if (!signature) return reply(signature.error());
    reply(AuthAnswer{std::move(*signature), {}, {}});
  }

 private:
  SigningKey key_;
  auth::CryptosignOptions options_;
};

}  // namespace

std::shared_ptr<Authenticator> auth::cryptosign(const SigningKey& key, CryptosignOptions options) {
  return std::make_shared<Cryptosign>(key, options);
}

}  // namespace uvwamp
