// WAMP-cryptosign's answer to a challenge.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/signing_key.hpp>

#include "auth/crypto.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp::cryptosign {

// The AUTHENTICATE signature for CHALLENGE.extra.challenge (64 hex digits): the message is the
// challenge's 32 bytes, XOR `channel_id` under channel binding, and the answer is the hex of the
// Ed25519 signature followed by that message (96 bytes, as Crossbar requires).
Result<Secret, std::string> sign_challenge(const SigningKey& key, std::string_view challenge_hex,
                                           const std::optional<crypto::Sha256>& channel_id);

// The channel id of tls-unique binding, as autobahn and Crossbar compute it: SHA-256 of the
// first TLS Finished message.
crypto::Sha256 tls_unique_channel_id(const std::vector<std::uint8_t>& tls_unique);

}  // namespace uvwamp::cryptosign
