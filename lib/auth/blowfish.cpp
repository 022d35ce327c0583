#include "auth/blowfish.hpp"

#include "auth/crypto.hpp"
// Generated in the build directory from lib/auth/blowfish_pi.py (see lib/meson.build).
#include "blowfish_pi.hpp"

namespace uvwamp {
namespace {

// The next 32 bits of `data` read big-endian and cyclically from `position`: how both schedules
// stretch a key or salt of any length over the state.
std::uint32_t next_cyclic_word(const std::uint8_t* data, std::size_t size, std::size_t& position) {
  std::uint32_t word = 0;
  for (int i = 0; i < 4; ++i) {
    word = word << 8 | data[position];
    position = (position + 1) % size;
  }
  return word;
}

}  // namespace

Blowfish::Blowfish() : p_(blowfish_pi::p_array), s_(blowfish_pi::s_boxes) {}

Blowfish::~Blowfish() {
  crypto::wipe(p_.data(), sizeof p_);
  crypto::wipe(s_.data(), sizeof s_);
}

std::uint32_t Blowfish::f(std::uint32_t x) const {
  return ((s_[0][x >> 24] + s_[1][(x >> 16) & 0xff]) ^ s_[2][(x >> 8) & 0xff]) + s_[3][x & 0xff];
}

void Blowfish::encrypt(std::uint32_t& left, std::uint32_t& right) const {
  std::uint32_t l = left;
  std::uint32_t r = right;
  for (std::size_t i = 0; i < rounds; i += 2) {
    l ^= p_[i];
    r ^= f(l);
    r ^= p_[i + 1];
    l ^= f(r);
  }
  l ^= p_[rounds];
  r ^= p_[rounds + 1];
  // The last round's halves are not swapped.
  left = r;
  right = l;
}

void Blowfish::xor_key_into_p_array(const std::uint8_t* key, std::size_t key_size) {
  std::size_t position = 0;
  for (auto& word : p_)
    word ^= next_cyclic_word(key, key_size, position);
}

void Blowfish::expand_key(const std::uint8_t* key, std::size_t key_size) {
  xor_key_into_p_array(key, key_size);
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  for (std::size_t i = 0; i < p_.size(); i += 2) {
    encrypt(left, right);
    p_[i] = left;
    p_[i + 1] = right;
  }
  for (auto& box : s_) {
    for (std::size_t i = 0; i < box.size(); i += 2) {
      encrypt(left, right);
      box[i] = left;
      box[i + 1] = right;
    }
  }
}

void Blowfish::expand_key_with_salt(const std::uint8_t* salt, std::size_t salt_size,
                                    const std::uint8_t* key, std::size_t key_size) {
  xor_key_into_p_array(key, key_size);
  std::size_t position = 0;
  std::uint32_t left = 0;
  std::uint32_t right = 0;
  for (std::size_t i = 0; i < p_.size(); i += 2) {
    left ^= next_cyclic_word(salt, salt_size, position);
    right ^= next_cyclic_word(salt, salt_size, position);
    encrypt(left, right);
    p_[i] = left;
    p_[i + 1] = right;
  }
  for (auto& box : s_) {
    for (std::size_t i = 0; i < box.size(); i += 2) {
      left ^= next_cyclic_word(salt, salt_size, position);
      right ^= next_cyclic_word(salt, salt_size, position);
      encrypt(left, right);
      box[i] = left;
      box[i + 1] = right;
    }
  }
}

}  // namespace uvwamp
