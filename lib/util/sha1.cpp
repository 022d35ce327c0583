#include "util/sha1.hpp"

#include <cstring>

namespace uvwamp::sha1 {
namespace {

constexpr std::size_t block_size = 64;
// The message length, in bits, closes the last block as a 64-bit big-endian number.
constexpr std::size_t length_field_size = 8;

using State = std::array<std::uint32_t, 5>;

constexpr std::uint32_t rotate_left(std::uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

// FIPS 180-4, section 6.1.2: one 512-bit block into the running hash.
void compress(State& hash, const std::uint8_t* block) {
  std::uint32_t schedule[80];
  for (int t = 0; t < 16; ++t) {
    const std::uint8_t* word = block + 4 * t;
    schedule[t] = std::uint32_t{word[0]} << 24 | std::uint32_t{word[1]} << 16 |
                  std::uint32_t{word[2]} << 8 | word[3];
  }
  for (int t = 16; t < 80; ++t)
    schedule[t] =
        rotate_left(schedule[t - 3] ^ schedule[t - 8] ^ schedule[t - 14] ^ schedule[t - 16], 1);

  std::uint32_t a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4];
  for (int t = 0; t < 80; ++t) {
    std::uint32_t f, k;
    if (t < 20) {
      f = (b & c) | (~b & d);  // Ch
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;  // Parity
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);  // Maj
      k = 0x8f1bbcdc;
    } else {
      f = b ^ c ^ d;  // Parity
      k = 0xca62c1d6;
    }
    const std::uint32_t temp = rotate_left(a, 5) + f + e + k + schedule[t];
    e = d;
    d = c;
    c = rotate_left(b, 30);
    b = a;
    a = temp;
  }
  hash[0] += a;
  hash[1] += b;
  hash[2] += c;
  hash[3] += d;
  hash[4] += e;
}

}  // namespace

Digest digest(const std::uint8_t* data, std::size_t size) noexcept {
  State hash = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

  const std::size_t whole_blocks = size / block_size;
  for (std::size_t i = 0; i < whole_blocks; ++i)
    compress(hash, data + i * block_size);

  // The padding (a 1 bit, zeros, the length) needs a second block when fewer than 9 octets are
  // left in the one the message ends in.
  std::uint8_t tail[2 * block_size] = {};
  const std::size_t rest = size - whole_blocks * block_size;
  if (rest > 0) std::memcpy(tail, data + whole_blocks * block_size, rest);
  tail[rest] = 0x80;
  const std::size_t tail_size =
      rest + 1 + length_field_size <= block_size ? block_size : 2 * block_size;
  const std::uint64_t bit_length = static_cast<std::uint64_t>(size) * 8;
  for (std::size_t i = 0; i < length_field_size; ++i)
    tail[tail_size - 1 - i] = static_cast<std::uint8_t>(bit_length >> (8 * i));
  for (std::size_t offset = 0; offset < tail_size; offset += block_size)
    compress(hash, tail + offset);

  Digest result;
  for (std::size_t i = 0; i < hash.size(); ++i) {
    result[4 * i] = static_cast<std::uint8_t>(hash[i] >> 24);
    result[4 * i + 1] = static_cast<std::uint8_t>(hash[i] >> 16);
    result[4 * i + 2] = static_cast<std::uint8_t>(hash[i] >> 8);
    result[4 * i + 3] = static_cast<std::uint8_t>(hash[i]);
  }
  return result;
}

}  // namespace uvwamp::sha1
