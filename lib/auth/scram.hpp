// SCRAM-SHA-256's computations in the two dialects routers speak (see docs/auth-scram.md):
//   - wamp_scram, authmethod "wamp-scram", the WAMP spec: RFC 5802's AuthMessage with c=biws,
//     the KDF's 32 bytes as SaltedPassword, the router's proof as WELCOME's authextra.verifier;
//   - crossbar, authmethod "scram", Crossbar and autobahn-python: "c=" with nothing after it,
//     Argon2's output as the unpadded base64 text of autobahn's encoded hash, the router's proof
//     as authextra.scram_server_signature.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include "auth/crypto.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp::scram {

enum class Dialect { wamp_scram, crossbar };
enum class Kdf { argon2id13, pbkdf2 };

// What CHALLENGE.extra asks for, checked.
struct Challenge {
  Kdf kdf = Kdf::pbkdf2;
  std::string server_nonce;
  std::string salt_base64;
  std::vector<std::uint8_t> salt;
  std::uint32_t iterations = 0;
  std::uint32_t memory_kib = 0;
};

// Refuses a missing or malformed member, an unknown KDF, absurd costs, and a server nonce that
// does not extend `client_nonce` (the nonce HELLO sent).
Result<Challenge, std::string> read_challenge(const Value::Object& extra,
                                              std::string_view client_nonce);

// SASLprep (RFC 4013) as far as uvwamp implements it: printable ASCII is its own SASLprep; a
// control character is prohibited; other text is refused as not supported. `what` names the
// text in the refusal ("authid", "password"); the text itself never appears in it.
Result<void, std::string> check_saslprep(std::string_view text, std::string_view what);

// SaltedPassword: the KDF of `password`, in the form the dialect uses.
Result<Secret, std::string> salted_password(Dialect dialect, const Challenge& challenge,
                                            std::string_view password);

// client-first-message-bare "," server-first-message "," client-final-message-without-proof.
std::string auth_message(Dialect dialect, std::string_view authid, std::string_view client_nonce,
                         std::string_view server_nonce, std::string_view salt_base64,
                         std::uint32_t iterations);

struct Proofs {
  crypto::Sha256 client_proof;
  crypto::Sha256 server_signature;
};
Proofs prove(std::string_view salted_password, std::string_view auth_message);

}  // namespace uvwamp::scram
