#include "util/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uvwamp {
namespace {

std::string encode_text(const std::string& s) {
  return base64::encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

std::string decode_text(const std::string& s) {
  auto bytes = base64::decode(s);
  EXPECT_TRUE(bytes.has_value()) << s;
  return bytes ? std::string(bytes->begin(), bytes->end()) : std::string();
}

// The test vectors of RFC 4648, section 10.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(encode_text(plain), encoded);
    EXPECT_EQ(decode_text(encoded), plain);
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::vector<std::uint8_t> all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<std::uint8_t>(i));
  auto decoded = base64::decode(base64::encode(all.data(), all.size()));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, all);
}

TEST(Base64, RejectsNonCanonicalInput) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "====", "Zm9v=Zm9", "Zh==", "Zm9=", "Zm 9v",
                          "Zm9v\n", "Zm-v", "Zm_v"}) {
    EXPECT_FALSE(base64::decode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace uvwamp
