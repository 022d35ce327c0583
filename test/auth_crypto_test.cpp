#include "auth/crypto.hpp"
#include "util/hex.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace uvwamp {
namespace {

std::string hex_of(const std::uint8_t* data, std::size_t size) {
  return hex::encode(data, size);
}

const std::uint8_t* bytes_of(std::string_view text) {
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

std::string hmac_hex(std::string_view key, std::string_view data) {
  auto mac = crypto::hmac_sha256(bytes_of(key), key.size(), bytes_of(data), data.size());
  return hex_of(mac.data(), mac.size());
}

std::string pbkdf2_hex(std::string_view password, std::string_view salt, std::uint32_t iterations,
                       std::size_t size) {
  std::vector<std::uint8_t> out(size);
  crypto::pbkdf2_hmac_sha256(password, bytes_of(salt), salt.size(), iterations, out.data(),
                             out.size());
  return hex_of(out.data(), out.size());
}

TEST(AuthCrypto, Sha256OfAbcIsFips180Example) {
  auto digest = crypto::sha256(bytes_of("abc"), 3);
  EXPECT_EQ(hex_of(digest.data(), digest.size()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 section 4, test cases 1, 2, 6 and 7 (the last two with a key longer than a block).
TEST(AuthCrypto, HmacSha256MatchesRfc4231) {
  EXPECT_EQ(hmac_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hmac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(
      hmac_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hmac_hex(std::string(131, '\xaa'),
                     "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the HMAC "
                     "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// RFC 7914 section 11: two output blocks each, one and many iterations.
TEST(AuthCrypto, Pbkdf2HmacSha256MatchesRfc7914) {
  EXPECT_EQ(pbkdf2_hex("passwd", "salt", 1, 64),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  EXPECT_EQ(pbkdf2_hex("Password", "NaCl", 80000, 64),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(AuthCrypto, Pbkdf2OutputShorterThanABlockIsItsPrefix) {
  EXPECT_EQ(pbkdf2_hex("passwd", "salt", 1, 20), "55ac046e56e3089fec1691c22544b605f9418521");
}

// RFC 9106 section 5: 32 bytes of 0x01 as password, 16 of 0x02 as salt, 8 of 0x03 as secret, 12
// of 0x04 as associated data; 3 passes, 32 KiB, 4 lanes, version 0x13, a 32-byte tag.
std::string rfc9106_tag(crypto::Argon2Type type) {
  crypto::Argon2Params params;
  params.type = type;
  params.passes = 3;
  params.memory_kib = 32;
  params.parallelism = 4;
  std::uint8_t tag[32];
  auto status = crypto::argon2(params, std::string(32, '\x01'), std::string(16, '\x02'),
                               std::string(8, '\x03'), std::string(12, '\x04'), tag, sizeof tag);
  if (!status) return status.error();
  return hex_of(tag, sizeof tag);
}

TEST(AuthCrypto, Argon2dMatchesRfc9106Section5_1) {
  EXPECT_EQ(rfc9106_tag(crypto::Argon2Type::d),
            "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb");
}

TEST(AuthCrypto, Argon2iMatchesRfc9106Section5_2) {
  EXPECT_EQ(rfc9106_tag(crypto::Argon2Type::i),
            "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8");
}

TEST(AuthCrypto, Argon2idMatchesRfc9106Section5_3) {
  EXPECT_EQ(rfc9106_tag(crypto::Argon2Type::id),
            "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

TEST(AuthCrypto, Argon2RefusesParametersOutOfRangeSayingWhy) {
  crypto::Argon2Params params;
  params.passes = 1;
  params.memory_kib = 64;
  std::uint8_t tag[32];
  auto short_salt = crypto::argon2(params, "password", "salt", {}, {}, tag, sizeof tag);
  ASSERT_FALSE(short_salt);
  EXPECT_NE(short_salt.error().find("Argon2: "), std::string::npos);
  EXPECT_EQ(short_salt.error(), "Argon2: Salt is too short");

  params.passes = 0;
  auto no_passes = crypto::argon2(params, "password", "somesalt", {}, {}, tag, sizeof tag);
  ASSERT_FALSE(no_passes);
  EXPECT_NE(no_passes.error().find("Argon2: "), std::string::npos);
}

TEST(AuthCrypto, EqualInConstantTimeComparesEveryByte) {
  const std::uint8_t a[4] = {1, 2, 3, 4};
  const std::uint8_t b[4] = {1, 2, 3, 4};
  const std::uint8_t c[4] = {1, 2, 3, 5};
  EXPECT_TRUE(crypto::equal_in_constant_time(a, b, 4));
  EXPECT_FALSE(crypto::equal_in_constant_time(a, c, 4));
}

TEST(AuthCrypto, WipeZeroesTheBuffer) {
  std::uint8_t buffer[5] = {9, 9, 9, 9, 9};
  crypto::wipe(buffer, sizeof buffer);
  for (auto byte : buffer)
    EXPECT_EQ(byte, 0);
}

}  // namespace
}  // namespace uvwamp
