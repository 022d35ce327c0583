#include "auth/scram.hpp"

#include "auth/fields.hpp"
#include "util/base64.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace uvwamp {
namespace scram {

namespace {

constexpr std::string_view where = "SCRAM CHALLENGE";
// Far above what routers use (autobahn's defaults are 4096 passes of 512 KiB), low enough that a
// hostile router cannot take a gigabyte of memory or a thread for hours.
constexpr std::uint32_t max_iterations = 10'000'000;
constexpr std::uint32_t max_memory_kib = 1024 * 1024;
// Argon2's floor: 8 KiB per lane.
constexpr std::uint32_t min_memory_kib = 8;

const std::uint8_t* bytes_of(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && text.substr(0, prefix.size()) == prefix;
}

// The spec's router appends its nonce's text to ours ("egVDf3DMJh0=SBmkFIh7sSo="); Crossbar
// appends its random bytes to our nonce's bytes and encodes the whole, so only the decoded
// bytes share the prefix. Either way the router must have added something.
bool extends_client_nonce(std::string_view server_nonce, std::string_view client_nonce) {
  if (server_nonce.size() > client_nonce.size() && starts_with(server_nonce, client_nonce)) {
    return true;
  }
  auto server_bytes = base64::decode(server_nonce);
  auto client_bytes = base64::decode(client_nonce);
  if (!server_bytes || !client_bytes || client_bytes->empty()) return false;
  return server_bytes->size() > client_bytes->size() &&
         std::equal(client_bytes->begin(), client_bytes->end(), server_bytes->begin());
}

// RFC 5802's "printable": what a nonce may hold inside the AuthMessage.
bool is_printable_without_comma(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e || c == ',') return false;
  }
  return true;
}

// RFC 5802's saslname: "," and "=" are escaped inside the AuthMessage.
std::string escape_name(std::string_view name) {
  std::string escaped;
  for (char c : name) {
    if (c == ',') {
      escaped += "=2C";
    } else if (c == '=') {
      escaped += "=3D";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

Result<Kdf, std::string> read_kdf(const Value::Object& extra) {
  auto name = auth_fields::required_string(extra, "kdf", where);
  if (!name) return name.error();
  if (**name == "argon2id13" || **name == "argon2id-13") return Kdf::argon2id13;
  if (**name == "pbkdf2") return Kdf::pbkdf2;
  return std::string(where) + ": unknown key derivation function '" + **name +
         "' (uvwamp knows argon2id13, argon2id-13 and pbkdf2)";
}

}  // namespace

Result<Challenge, std::string> read_challenge(const Value::Object& extra,
                                              std::string_view client_nonce) {
  Challenge challenge;
  auto kdf = read_kdf(extra);
  if (!kdf) return kdf.error();
  challenge.kdf = *kdf;

  auto nonce = auth_fields::required_string(extra, "nonce", where);
  if (!nonce) return nonce.error();
  if (!is_printable_without_comma(**nonce)) {
    return std::string(where) + ": 'nonce' holds a character a SCRAM nonce cannot hold";
  }
  if (!extends_client_nonce(**nonce, client_nonce)) {
    return std::string(where) + ": the router's nonce does not extend the client's nonce";
  }
  challenge.server_nonce = **nonce;

  auto salt = auth_fields::required_string(extra, "salt", where);
  if (!salt) return salt.error();
  auto salt_bytes = base64::decode(**salt);
  if (!salt_bytes) return std::string(where) + ": 'salt' is not base64";
  if (salt_bytes->empty()) return std::string(where) + ": 'salt' is empty";
  challenge.salt_base64 = **salt;
  challenge.salt = std::move(*salt_bytes);

  auto iterations = auth_fields::bounded_integer(extra, "iterations", where, 1, max_iterations);
  if (!iterations) return iterations.error();
  challenge.iterations = *iterations;

  if (challenge.kdf == Kdf::argon2id13) {
    auto memory =
        auth_fields::bounded_integer(extra, "memory", where, min_memory_kib, max_memory_kib);
    if (!memory) return memory.error();
    challenge.memory_kib = *memory;
  }
  return challenge;
}

Result<void, std::string> check_saslprep(std::string_view text, std::string_view what) {
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) {
      return "SCRAM: the " + std::string(what) +
             " is not ASCII, and uvwamp does not implement SASLprep (RFC 4013) of non-ASCII "
             "text";
    }
    if (byte < 0x20 || byte == 0x7f) {
      return "SCRAM: the " + std::string(what) +
             " holds an ASCII control character, which SASLprep (RFC 4013) prohibits";
    }
  }
  return {};
}

Result<Secret, std::string> salted_password(Dialect dialect, const Challenge& challenge,
                                            std::string_view password) {
  crypto::Sha256 raw;
  if (challenge.kdf == Kdf::pbkdf2) {
    crypto::pbkdf2_hmac_sha256(password, challenge.salt.data(), challenge.salt.size(),
                               challenge.iterations, raw.data(), raw.size());
  } else {
    crypto::Argon2Params params;
    params.type = crypto::Argon2Type::id;
    params.passes = challenge.iterations;
    params.memory_kib = challenge.memory_kib;
    params.parallelism = 1;
    const std::string_view salt(reinterpret_cast<const char*>(challenge.salt.data()),
                                challenge.salt.size());
    auto derived = crypto::argon2(params, password, salt, {}, {}, raw.data(), raw.size());
    if (!derived) return "SCRAM: " + derived.error();
  }
  if (dialect == Dialect::wamp_scram || challenge.kdf == Kdf::pbkdf2) {
    Secret salted(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
    crypto::wipe(raw.data(), raw.size());
    return salted;
  }
  // autobahn takes the hash out of Argon2's encoded form ("$argon2id$v=19$...$<hash>"), which
  // is base64 without its padding.
  std::string text = base64::encode(raw.data(), raw.size());
  crypto::wipe(raw.data(), raw.size());
  const std::size_t unpadded = text.find_last_not_of('=') + 1;
  Secret salted(std::string_view(text).substr(0, unpadded));
  crypto::wipe(text.data(), text.size());
  return salted;
}

std::string auth_message(Dialect dialect, std::string_view authid, std::string_view client_nonce,
                         std::string_view server_nonce, std::string_view salt_base64,
                         std::uint32_t iterations) {
  // Crossbar leaves the name unescaped and the channel binding empty; the spec follows RFC 5802:
  // "biws" is base64("n,,"), no channel binding.
  const bool spec = dialect == Dialect::wamp_scram;
  std::string message = "n=";
  message += spec ? escape_name(authid) : std::string(authid);
  message += ",r=";
  message += client_nonce;
  message += ",r=";
  message += server_nonce;
  message += ",s=";
  message += salt_base64;
  message += ",i=";
  message += std::to_string(iterations);
  message += spec ? ",c=biws,r=" : ",c=,r=";
  message += server_nonce;
  return message;
}

Proofs prove(std::string_view salted_password, std::string_view auth_message) {
  const std::string_view client_label = "Client Key";
  const std::string_view server_label = "Server Key";
  auto key = bytes_of(salted_password);
  auto client_key =
      crypto::hmac_sha256(key, salted_password.size(), bytes_of(client_label), client_label.size());
  auto stored_key = crypto::sha256(client_key.data(), client_key.size());
  auto client_signature = crypto::hmac_sha256(stored_key.data(), stored_key.size(),
                                              bytes_of(auth_message), auth_message.size());
  auto server_key =
      crypto::hmac_sha256(key, salted_password.size(), bytes_of(server_label), server_label.size());
  Proofs proofs;
  for (std::size_t i = 0; i < client_key.size(); ++i) {
    proofs.client_proof[i] = client_key[i] ^ client_signature[i];
  }
  proofs.server_signature = crypto::hmac_sha256(server_key.data(), server_key.size(),
                                                bytes_of(auth_message), auth_message.size());
  crypto::wipe(client_key.data(), client_key.size());
  crypto::wipe(stored_key.data(), stored_key.size());
  crypto::wipe(client_signature.data(), client_signature.size());
  crypto::wipe(server_key.data(), server_key.size());
  return proofs;
}

}  // namespace scram

namespace {

using scram::Dialect;

// The router proves it knows the password by sending ServerSignature in WELCOME: the spec names it
// "verifier" ("v=<base64>"), Crossbar "scram_server_signature".
Result<void, std::string> check_server_signature(const crypto::Sha256& expected,
                                                 const Value::Object& welcome_details) {
  constexpr std::string_view where = "WELCOME's authextra";
  const Value::Object* authextra = nullptr;
  if (auto found = welcome_details.find("authextra"); found != welcome_details.end()) {
    authextra = found->second.if_object();
  }
  if (!authextra) {
    return std::string(
        "the router did not prove it knows the password: WELCOME carries no SCRAM server "
        "signature");
  }
  auto verifier = auth_fields::optional_string(*authextra, "verifier", where);
  if (!verifier) return verifier.error();
  auto signature = auth_fields::optional_string(*authextra, "scram_server_signature", where);
  if (!signature) return signature.error();
  std::string_view text;
  if (*verifier) {
    text = **verifier;
    if (text.substr(0, 2) == "v=") text.remove_prefix(2);
  } else if (*signature) {
    text = **signature;
  } else {
    return std::string(
        "the router did not prove it knows the password: WELCOME carries no SCRAM server "
        "signature");
  }
  auto received = base64::decode(text);
  if (!received || received->size() != expected.size()) {
    return std::string("the router's SCRAM server signature is not base64 of 32 bytes");
  }
  if (!crypto::equal_in_constant_time(received->data(), expected.data(), expected.size())) {
    return std::string(
        "the router's SCRAM server signature is wrong: the router does not know the password");
  }
  return {};
}

// One answer's inputs and result; lives on until the KDF has run off the loop.
struct Derivation {
  Dialect dialect = Dialect::wamp_scram;
  scram::Challenge challenge;
  std::string auth_message;
  Secret password;
  Result<AuthAnswer, std::string> answer = std::string("the SCRAM proof was not computed");

  void compute() {
    auto salted = scram::salted_password(dialect, challenge, password.reveal());
    password = Secret();
    if (!salted) {
      answer = salted.error();
      return;
    }
    scram::Proofs proofs = scram::prove(salted->reveal(), auth_message);
    AuthAnswer result;
    result.signature =
        Secret(base64::encode(proofs.client_proof.data(), proofs.client_proof.size()));
    if (dialect == Dialect::wamp_scram) result.extra["nonce"] = challenge.server_nonce;
    result.check_welcome = [expected = proofs.server_signature](const Value::Object& details) {
      return check_server_signature(expected, details);
    };
    crypto::wipe(proofs.client_proof.data(), proofs.client_proof.size());
    answer = std::move(result);
  }
};

const char* method_of(Dialect dialect) {
  return dialect == Dialect::wamp_scram ? "wamp-scram" : "scram";
}

const std::string* hello_authid(const Value::Object& hello_details) {
  auto found = hello_details.find("authid");
  return found == hello_details.end() ? nullptr : found->second.if_string();
}

const std::string* hello_nonce(const Value::Object& hello_details) {
  auto found = hello_details.find("authextra");
  if (found == hello_details.end()) return nullptr;
  const Value* nonce = found->second.find("nonce");
  return nonce ? nonce->if_string() : nullptr;
}

class Scram final : public Authenticator {
 public:
  Scram(SecretSource password, Dialect dialect)
      : password_(std::move(password)), dialect_(dialect) {}

  std::vector<std::string> methods() const override { return {method_of(dialect_)}; }

  Result<Value::Object, std::string> hello_authextra(const AuthContext&) override {
    std::uint8_t nonce[16];
    if (!crypto::random_bytes(nonce, sizeof nonce)) {
      return std::string("SCRAM: the system has no secure random source for a nonce");
    }
    return Value::Object{{"nonce", base64::encode(nonce, sizeof nonce)}};
  }

  void answer(const AuthChallenge& challenge, const Value::Object& hello_details,
              std::shared_ptr<AuthContext> context, AuthAnswerHandler reply) override {
    if (challenge.method != method_of(dialect_)) {
      return reply("SCRAM cannot answer a CHALLENGE for '" + challenge.method + "'");
    }
    const std::string* authid = hello_authid(hello_details);
    if (!authid) {
      return reply(
          std::string("SCRAM needs an authid: set AuthOptions::authid to the user's name"));
    }
    if (auto checked = scram::check_saslprep(*authid, "authid"); !checked) {
      return reply(checked.error());
    }
    const std::string* client_nonce = hello_nonce(hello_details);
    if (!client_nonce) return reply(std::string("SCRAM: HELLO carried no nonce"));
    auto read = scram::read_challenge(challenge.extra, *client_nonce);
    if (!read) return reply(read.error());

    auto derivation = std::make_shared<Derivation>();
    derivation->dialect = dialect_;
    derivation->auth_message = scram::auth_message(
        dialect_, *authid, *client_nonce, read->server_nonce, read->salt_base64, read->iterations);
    derivation->challenge = std::move(*read);
    password_.fetch(
        [derivation, context, reply = std::move(reply)](Result<Secret, std::string> password) {
          if (!password) return reply(password.error());
          if (auto checked = scram::check_saslprep(password->reveal(), "password"); !checked) {
            return reply(checked.error());
          }
          derivation->password = std::move(*password);
          context->run_blocking([derivation] { derivation->compute(); },
                                [derivation, reply] { reply(std::move(derivation->answer)); });
        });
  }

 private:
  SecretSource password_;
  Dialect dialect_;
};

}  // namespace

std::shared_ptr<Authenticator> auth::scram(SecretSource password, ScramOptions options) {
  return std::make_shared<Scram>(std::move(password), options.dialect == ScramDialect::spec
                                                          ? Dialect::wamp_scram
                                                          : Dialect::crossbar);
}

}  // namespace uvwamp
