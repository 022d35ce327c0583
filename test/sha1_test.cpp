#include "util/sha1.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "util/hex.hpp"

namespace uvwamp {
namespace {

std::string digest_hex(const std::string& message) {
  const auto digest =
      sha1::digest(reinterpret_cast<const std::uint8_t*>(message.data()), message.size());
  return hex::encode(digest.data(), digest.size());
}

std::string repeated(const std::string& piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i)
    out += piece;
  return out;
}

// The empty message, the three examples of FIPS 180-2 (appendix A) and the fourth test of
// RFC 3174 (section 7.3), whose first three are those of FIPS 180.
TEST(Sha1, FipsAndRfc3174Vectors) {
  EXPECT_EQ(digest_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(digest_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(digest_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(digest_hex(repeated("a", 1000000)), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  EXPECT_EQ(digest_hex(repeated("01234567", 80)), "dea356a2cddd90c7a7ecedc5ebb563934f460452");
}

// Lengths around the block and padding boundaries: 55 octets still take their padding in one
// block, 56 need a second. The digests were computed with Python's hashlib.
TEST(Sha1, PaddingBoundaries) {
  const std::pair<std::size_t, const char*> vectors[] = {
      {55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"},
      {56, "636e2ec698dac903498e648bd2f3af641d3c88cb"},
      {63, "6d942da0c4392b123528f2905c713a3ce28364bd"},
      {64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7"},
      {65, "69bd728ad6e13cd76ff19751fde427b00e395746"},
      {119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08"},
      {120, "d3dbd653bd8597b7475321b60a36891278e6a04a"},
      {127, "89d7312a903f65cd2b3e34a975e55dbea9033353"},
      {128, "e6434bc401f98603d7eda504790c98c67385d535"},
  };
  for (const auto& [length, expected] : vectors) {
    std::vector<std::uint8_t> message(length);
    for (std::size_t i = 0; i < length; ++i)
      message[i] = static_cast<std::uint8_t>(i % 251);
    const auto digest = sha1::digest(message.data(), message.size());
    EXPECT_EQ(hex::encode(digest.data(), digest.size()), expected) << "length " << length;
  }
}

}  // namespace
}  // namespace uvwamp
