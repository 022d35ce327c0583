#include "util/hex.hpp"

#include <gtest/gtest.h>

namespace uvwamp {
namespace {

TEST(Hex, EncodesLowerCase) {
  const std::uint8_t bytes[] = {0x00, 0x7f, 0xab, 0xff};
  EXPECT_EQ(hex::encode(bytes, sizeof bytes), "007fabff");
  EXPECT_EQ(hex::encode(nullptr, 0), "");
}

TEST(Hex, DecodesEitherCaseAndSpacesBetweenPairs) {
  auto bytes = hex::decode("93 01\n\tAB ff");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, (std::vector<std::uint8_t>{0x93, 0x01, 0xab, 0xff}));
  EXPECT_TRUE(hex::decode("").has_value());
}

TEST(Hex, RejectsOddDigitsForeignCharactersAndSplitPairs) {
  EXPECT_FALSE(hex::decode("abc").has_value());
  EXPECT_FALSE(hex::decode("0g").has_value());
  EXPECT_FALSE(hex::decode("a b").has_value());
  EXPECT_FALSE(hex::decode("0x12").has_value());
}

}  // namespace
}  // namespace uvwamp
