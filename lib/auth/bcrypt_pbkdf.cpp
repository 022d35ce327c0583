#include "auth/bcrypt_pbkdf.hpp"

#include <mbedtls/md.h>

#include <array>

#include "auth/blowfish.hpp"
#include "auth/crypto.hpp"
#include "auth/wiped_bytes.hpp"

namespace uvwamp {
namespace {

using Sha512 = std::array<std::uint8_t, 64>;
using HashBlock = std::array<std::uint8_t, 32>;

constexpr std::size_t expensive_rounds = 64;
constexpr std::size_t encryptions = 64;
// bcrypt encrypts "OrpheanBeholderScryDoubt"; bcrypt_pbkdf this instead, 32 bytes.
constexpr char magic[] = "OxychromaticBlowfishSwatDynamite";

void sha512(const std::uint8_t* data, std::size_t size, Sha512& digest) {
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA512), data, size, digest.data());
}

// bcrypt_pbkdf's PRF: the expensive key schedule keyed with both digests, then the magic text
// encrypted 64 times. Its words come out little-endian, as OpenBSD's code writes them.
void bcrypt_hash(const Sha512& passphrase_digest, const Sha512& salt_digest, HashBlock& out) {
  Blowfish cipher;
  cipher.expand_key_with_salt(salt_digest.data(), salt_digest.size(), passphrase_digest.data(),
                              passphrase_digest.size());
  for (std::size_t i = 0; i < expensive_rounds; ++i) {
    cipher.expand_key(salt_digest.data(), salt_digest.size());
    cipher.expand_key(passphrase_digest.data(), passphrase_digest.size());
  }
  std::array<std::uint32_t, 8> words;
  for (std::size_t i = 0; i < words.size(); ++i) {
    words[i] = 0;
    for (std::size_t k = 0; k < 4; ++k)
      words[i] = words[i] << 8 | static_cast<std::uint8_t>(magic[4 * i + k]);
  }
  for (std::size_t n = 0; n < encryptions; ++n) {
    for (std::size_t i = 0; i < words.size(); i += 2)
      cipher.encrypt(words[i], words[i + 1]);
  }
  for (std::size_t i = 0; i < words.size(); ++i) {
    for (std::size_t k = 0; k < 4; ++k)
      out[4 * i + k] = static_cast<std::uint8_t>(words[i] >> (8 * k));
  }
  crypto::wipe(words.data(), sizeof words);
}

}  // namespace

bool bcrypt_pbkdf(std::string_view passphrase, const std::uint8_t* salt, std::size_t salt_size,
                  std::uint32_t rounds, std::uint8_t* out, std::size_t out_size) {
  constexpr std::size_t block_size = std::tuple_size<HashBlock>::value;
  if (passphrase.empty() || salt_size == 0 || rounds == 0 || out_size == 0 ||
      out_size > bcrypt_pbkdf_max_output) {
    return false;
  }
  // Output byte i of block b goes to out[i * stride + b]: the blocks interleave.
  const std::size_t stride = (out_size + block_size - 1) / block_size;
  const std::size_t bytes_per_block = (out_size + stride - 1) / stride;

  Sha512 passphrase_digest;
  sha512(reinterpret_cast<const std::uint8_t*>(passphrase.data()), passphrase.size(),
         passphrase_digest);
  WipedBytes salted(salt, salt_size);
  salted.append(reinterpret_cast<const std::uint8_t*>("\0\0\0\0"), 4);
  Sha512 salt_digest;
  HashBlock hash;
  HashBlock block;
  for (std::uint32_t block_number = 1; block_number <= stride; ++block_number) {
    salted[salt_size] = static_cast<std::uint8_t>(block_number >> 24);
    salted[salt_size + 1] = static_cast<std::uint8_t>(block_number >> 16);
    salted[salt_size + 2] = static_cast<std::uint8_t>(block_number >> 8);
    salted[salt_size + 3] = static_cast<std::uint8_t>(block_number);
    sha512(salted.data(), salted.size(), salt_digest);
    bcrypt_hash(passphrase_digest, salt_digest, hash);
    block = hash;
    for (std::uint32_t round = 1; round < rounds; ++round) {
      sha512(hash.data(), hash.size(), salt_digest);
      bcrypt_hash(passphrase_digest, salt_digest, hash);
      for (std::size_t i = 0; i < block_size; ++i)
        block[i] ^= hash[i];
    }
    for (std::size_t i = 0; i < bytes_per_block; ++i) {
      const std::size_t destination = i * stride + (block_number - 1);
      if (destination >= out_size) break;
      out[destination] = block[i];
    }
  }
  crypto::wipe(passphrase_digest.data(), passphrase_digest.size());
  crypto::wipe(salt_digest.data(), salt_digest.size());
  crypto::wipe(hash.data(), hash.size());
  crypto::wipe(block.data(), block.size());
  return true;
}

}  // namespace uvwamp
