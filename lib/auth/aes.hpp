// AES decryption in the two modes key files use, over mbedcrypto.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "auth/wiped_bytes.hpp"

namespace uvwamp::aes {

constexpr std::size_t block_size = 16;

// Decrypts `size` bytes (a whole number of blocks) with a 16-, 24- or 32-byte key and a 16-byte
// IV. nullopt for a size that is not a whole number of blocks or a key of another size.
std::optional<WipedBytes> decrypt_cbc(const std::uint8_t* key, std::size_t key_size,
                                      const std::uint8_t* iv, const std::uint8_t* data,
                                      std::size_t size);
// Decrypts in counter mode; `initial_counter` is the first 16-byte counter block.
std::optional<WipedBytes> decrypt_ctr(const std::uint8_t* key, std::size_t key_size,
                                      const std::uint8_t* initial_counter, const std::uint8_t* data,
                                      std::size_t size);

}  // namespace uvwamp::aes
