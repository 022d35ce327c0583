// PKCS#8 private keys (RFC 5958) holding an Ed25519 key (RFC 8410), as openssl writes them: in
// PEM or DER, unencrypted, or encrypted with PBES2 (RFC 8018): PBKDF2 with HMAC-SHA1 or
// HMAC-SHA256 and AES-128/192/256-CBC.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/signing_key.hpp>

#include <string_view>

#include "auth/byte_view.hpp"

namespace uvwamp {

constexpr std::string_view pkcs8_pem_label = "PRIVATE KEY";
constexpr std::string_view pkcs8_encrypted_pem_label = "ENCRYPTED PRIVATE KEY";

// Whether `bytes` begin as the DER of a PrivateKeyInfo or an EncryptedPrivateKeyInfo does: a
// SEQUENCE whose first element is an INTEGER (the version) or a SEQUENCE (the algorithm).
bool looks_like_pkcs8_der(ByteView bytes);

// Reads either structure from its DER.
Result<SigningKey> parse_pkcs8_key(ByteView der, const Secret& passphrase);

}  // namespace uvwamp
