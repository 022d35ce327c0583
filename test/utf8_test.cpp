#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

namespace uvwamp {
namespace {

bool valid(const std::string& s) {
  return utf8::is_valid(s.data(), s.size());
}

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid("plain ascii"));
  EXPECT_TRUE(valid(std::string("nul\0inside", 10)));
  EXPECT_TRUE(valid("\xc2\x80"));          // U+0080, smallest two-byte form
  EXPECT_TRUE(valid("\xe2\x82\xac"));      // U+20AC euro sign
  EXPECT_TRUE(valid("\xed\x9f\xbf"));      // U+D7FF, just below the surrogates
  EXPECT_TRUE(valid("\xee\x80\x80"));      // U+E000, just above them
  EXPECT_TRUE(valid("\xf0\x9f\x98\x80"));  // U+1F600
  EXPECT_TRUE(valid("\xf4\x8f\xbf\xbf"));  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsMalformedText) {
  EXPECT_FALSE(valid("\x80"));              // continuation byte without a lead
  EXPECT_FALSE(valid("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid("\xc1\xbf"));          // overlong
  EXPECT_FALSE(valid("\xe0\x80\xaf"));      // overlong three-byte form
  EXPECT_FALSE(valid("\xf0\x80\x80\xaf"));  // overlong four-byte form
  EXPECT_FALSE(valid("\xed\xa0\x80"));      // U+D800, a surrogate
  EXPECT_FALSE(valid("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(valid("\xf5\x80\x80\x80"));  // lead byte never used
  EXPECT_FALSE(valid("\xe2\x82"));          // truncated sequence
  EXPECT_FALSE(valid("\xe2\x28\xa1"));      // bad continuation byte
  EXPECT_FALSE(valid("\xff"));
}

}  // namespace
}  // namespace uvwamp
