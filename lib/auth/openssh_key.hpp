// OpenSSH's private key format, "openssh-key-v1" (PROTOCOL.key in OpenSSH's sources): what
// ssh-keygen writes by default. Unencrypted, or encrypted with bcrypt_pbkdf and aes256-ctr (the
// default) or aes256-cbc.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/signing_key.hpp>

#include "auth/byte_view.hpp"

namespace uvwamp {

// The PEM label of the format.
constexpr std::string_view openssh_pem_label = "OPENSSH PRIVATE KEY";

// Reads the key from the bytes of the PEM block.
Result<SigningKey> parse_openssh_key(ByteView blob, const Secret& passphrase);

}  // namespace uvwamp
