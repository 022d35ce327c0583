// bcrypt_pbkdf: the key derivation of OpenSSH's encrypted private keys ("kdfname bcrypt"), as
// OpenBSD defines it: PBKDF2's structure with a bcrypt-like hash of SHA-512 digests as its PRF,
// and the output bytes spread across the blocks so that every block must be computed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace uvwamp {

// The largest output: OpenBSD's limit, 32 blocks of 32 bytes.
constexpr std::size_t bcrypt_pbkdf_max_output = 1024;

// Derives `out_size` bytes of key from the passphrase and salt. False, with `out` untouched, when
// the passphrase or salt is empty, `rounds` is 0, or `out_size` is 0 or above the maximum.
bool bcrypt_pbkdf(std::string_view passphrase, const std::uint8_t* salt, std::size_t salt_size,
                  std::uint32_t rounds, std::uint8_t* out, std::size_t out_size);

}  // namespace uvwamp
