// Blowfish (Schneier, 1993) with the two key schedules bcrypt uses: the cipher's own, and the
// "expensive" one that mixes a salt in (Provos and Mazieres, 1999). Only what bcrypt_pbkdf needs:
// no decryption, no modes.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace uvwamp {

class Blowfish {
 public:
  // The initial state: pi's digits, before any key.
  Blowfish();
  Blowfish(const Blowfish&) = delete;
  Blowfish& operator=(const Blowfish&) = delete;
  ~Blowfish();

  // XORs the key, repeated, into the P-array, then replaces the P-array and the S-boxes by
  // chained encryptions of a zero block. On the initial state this is Blowfish's key setup.
  void expand_key(const std::uint8_t* key, std::size_t key_size);
  // As expand_key, but the salt, repeated, is XORed into the block before each encryption.
  void expand_key_with_salt(const std::uint8_t* salt, std::size_t salt_size,
                            const std::uint8_t* key, std::size_t key_size);

  // Encrypts the 64-bit block (left, right) in place.
  void encrypt(std::uint32_t& left, std::uint32_t& right) const;

 private:
  static constexpr std::size_t rounds = 16;

  std::uint32_t f(std::uint32_t x) const;
  void xor_key_into_p_array(const std::uint8_t* key, std::size_t key_size);

  std::array<std::uint32_t, rounds + 2> p_;
  std::array<std::array<std::uint32_t, 256>, 4> s_;
};

}  // namespace uvwamp
