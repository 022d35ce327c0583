// PuTTY's private key files (.ppk), versions 2 and 3, as puttygen writes them: text headers,
// the public and private key blobs in base64, and a MAC over both. Encrypted files use
// aes256-cbc with a key from SHA-1 (version 2) or Argon2 (version 3).
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/signing_key.hpp>

#include <string_view>

namespace uvwamp {

bool looks_like_putty_key(std::string_view text);

Result<SigningKey> parse_putty_key(std::string_view text, const Secret& passphrase);

}  // namespace uvwamp
