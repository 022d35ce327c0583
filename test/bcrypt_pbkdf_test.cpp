#include "auth/bcrypt_pbkdf.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/blowfish.hpp"
#include "util/hex.hpp"

namespace uvwamp {
namespace {

std::vector<std::uint8_t> bytes_of(const std::string& hex_text) {
  return hex::decode(hex_text).value();
}

std::string encrypt_hex(const std::string& key_hex, const std::string& block_hex) {
  const auto key = bytes_of(key_hex);
  const auto block = bytes_of(block_hex);
  Blowfish cipher;
  cipher.expand_key(key.data(), key.size());
  std::uint32_t left = std::uint32_t{block[0]} << 24 | std::uint32_t{block[1]} << 16 |
                       std::uint32_t{block[2]} << 8 | block[3];
  std::uint32_t right = std::uint32_t{block[4]} << 24 | std::uint32_t{block[5]} << 16 |
                        std::uint32_t{block[6]} << 8 | block[7];
  cipher.encrypt(left, right);
  char out[17];
  std::snprintf(out, sizeof out, "%08x%08x", left, right);
  return out;
}

// Eric Young's Blowfish vectors, published with Schneier's description; each was checked with
// `openssl enc -bf-ecb -nopad -provider legacy -provider default -K <key twice>`. They prove the
// cipher and the S-boxes and P-array that lib/auth/blowfish_pi.py computes from pi.
TEST(Blowfish, EricYoungVectors) {
  EXPECT_EQ(encrypt_hex("0000000000000000", "0000000000000000"), "4ef997456198dd78");
  EXPECT_EQ(encrypt_hex("ffffffffffffffff", "ffffffffffffffff"), "51866fd5b85ecb8a");
  EXPECT_EQ(encrypt_hex("3000000000000000", "1000000000000001"), "7d856f9a613063f2");
  EXPECT_EQ(encrypt_hex("fedcba9876543210", "0123456789abcdef"), "0aceab0fc6a0a28d");
}

std::string derive_hex(const std::string& passphrase, const std::vector<std::uint8_t>& salt,
                       std::uint32_t rounds, std::size_t size) {
  std::vector<std::uint8_t> out(size);
  EXPECT_TRUE(bcrypt_pbkdf(passphrase, salt.data(), salt.size(), rounds, out.data(), out.size()));
  return hex::encode(out.data(), out.size());
}

// Computed with the `bcrypt` module (5.0.0) of the project's venv, which wraps OpenBSD's code:
//   .venv/bin/python -c "import bcrypt; print(bcrypt.kdf(password=b'password', salt=b'salt',
//       desired_key_bytes=32, rounds=4, ignore_few_rounds=True).hex())"
// and likewise for the others. 48 bytes is what an aes256 key file takes (key and IV); 83 bytes
// spread over three blocks of which the last is short.
TEST(BcryptPbkdf, MatchesOpenBsdImplementation) {
  EXPECT_EQ(derive_hex("password", {'s', 'a', 'l', 't'}, 4, 32),
            "5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9");
  std::vector<std::uint8_t> counting(16);
  for (std::size_t i = 0; i < counting.size(); ++i)
    counting[i] = static_cast<std::uint8_t>(i);
  EXPECT_EQ(derive_hex("pass phrase", counting, 16, 48),
            "597348c16a9fbe41cdb85e6124074dcf7f45d22770a0c562b90aa06719261bf8"
            "31535dd204bc70bc3f5eefb121d6421a");
  EXPECT_EQ(derive_hex(std::string(3, '\0'), std::vector<std::uint8_t>(5, 1), 2, 83),
            "1b35ef58ee5821138f3982352493ca97880ad218f463a9cb297e496c978a279b"
            "9a532784bd493ba81eefe8514796fa0f683fef38a53b76cbe8f89ad8877a08d5"
            "e44b824d8dc438981bd1a0b051e2a1a88335ff");
}

TEST(BcryptPbkdf, RefusesWhatOpenBsdRefuses) {
  const std::uint8_t salt[] = {1, 2, 3};
  std::uint8_t out[1025] = {};
  EXPECT_FALSE(bcrypt_pbkdf("", salt, sizeof salt, 1, out, 32));
  EXPECT_FALSE(bcrypt_pbkdf("x", salt, 0, 1, out, 32));
  EXPECT_FALSE(bcrypt_pbkdf("x", salt, sizeof salt, 0, out, 32));
  EXPECT_FALSE(bcrypt_pbkdf("x", salt, sizeof salt, 1, out, 0));
  EXPECT_FALSE(bcrypt_pbkdf("x", salt, sizeof salt, 1, out, sizeof out));
  for (std::uint8_t byte : out)
    EXPECT_EQ(byte, 0);
}

}  // namespace
}  // namespace uvwamp
