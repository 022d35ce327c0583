// WAMP-CRA's computations, as autobahn and Crossbar do them.
#pragma once

#include <uvwamp/auth.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace uvwamp::wampcra {

// The key a salted challenge asks for: base64 of PBKDF2-HMAC-SHA256(secret, salt, iterations,
// key_size); the salt is used as the bytes of its text. The base64 text itself is the HMAC key.
Secret derive_key(std::string_view secret, std::string_view salt, std::uint32_t iterations,
                  std::size_t key_size);

// The AUTHENTICATE signature: base64 of HMAC-SHA256(key, challenge).
std::string sign(std::string_view key, std::string_view challenge);

}  // namespace uvwamp::wampcra
