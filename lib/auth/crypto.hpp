// The primitives the authentication methods and key files are built from, over libsodium and
// libargon2, so that no other file of lib/auth/ needs to know those libraries.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <uvwamp/result.hpp>

namespace uvwamp::crypto {

using Sha256 = std::array<std::uint8_t, 32>;

Sha256 sha256(const std::uint8_t* data, std::size_t size);
Sha256 hmac_sha256(const std::uint8_t* key, std::size_t key_size, const std::uint8_t* data,
                   std::size_t size);

// PBKDF2 (RFC 8018) with HMAC-SHA256 as the PRF, `out_size` bytes into `out`.
void pbkdf2_hmac_sha256(std::string_view password, const std::uint8_t* salt, std::size_t salt_size,
                        std::uint32_t iterations, std::uint8_t* out, std::size_t out_size);

enum class Argon2Type { d, i, id };
struct Argon2Params {
  Argon2Type type = Argon2Type::id;
  std::uint32_t passes = 1;
  std::uint32_t memory_kib = 0;
  std::uint32_t parallelism = 1;
  std::uint32_t version = 0x13;
};
// Argon2 (RFC 9106) of `password` into `out`. `secret` and `associated` may be empty. Fails,
// saying why, when the parameters are out of Argon2's ranges or memory cannot be had.
Result<void, std::string> argon2(const Argon2Params& params, std::string_view password,
                                 std::string_view salt, std::string_view secret,
                                 std::string_view associated, std::uint8_t* out,
                                 std::size_t out_size);

// Bytes from the system's secure random generator (nonces); false when it has none.
[[nodiscard]] bool random_bytes(std::uint8_t* out, std::size_t size);

bool equal_in_constant_time(const std::uint8_t* a, const std::uint8_t* b, std::size_t size);
// Overwrites `size` bytes at `data` in a way the compiler cannot drop.
void wipe(void* data, std::size_t size) noexcept;

}  // namespace uvwamp::crypto
