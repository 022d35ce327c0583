#include <uvwamp/value.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <utility>

namespace uvwamp {
namespace {

TEST(Value, DefaultIsNull) {
  Value v;
  EXPECT_TRUE(v.is_null());
  EXPECT_EQ(v.type(), Value::Type::null);
  EXPECT_EQ(Value(nullptr), v);
}

TEST(Value, IntegersHaveOneRepresentationPerNumber) {
  EXPECT_EQ(Value(5u), Value(5));
  EXPECT_EQ(Value(std::uint64_t{5}).type(), Value::Type::int64);
  const std::uint64_t big = std::uint64_t{1} << 63;
  EXPECT_EQ(Value(big).type(), Value::Type::uint64);
  EXPECT_TRUE(Value(big).is_integer());
  EXPECT_TRUE(Value(-1).is_integer());
  EXPECT_NE(Value(1), Value(1.0));
}

TEST(Value, IntegerAccessorsReportRange) {
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(Value(big).to_uint64().value(), big);
  auto as_signed = Value(big).to_int64();
  ASSERT_FALSE(as_signed.ok());
  EXPECT_EQ(as_signed.error().code, value_errc::out_of_range);
  auto negative = Value(-3).to_uint64();
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, value_errc::out_of_range);
  EXPECT_EQ(Value(std::numeric_limits<std::int64_t>::min()).to_int64().value(),
            std::numeric_limits<std::int64_t>::min());
}

TEST(Value, MismatchIsAnErrorNotUndefinedBehaviour) {
  Value s("text");
  auto b = s.to_bool();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, value_errc::type_mismatch);
  EXPECT_EQ(b.error().message, "expected bool, got string");
  EXPECT_FALSE(s.to_int64().ok());
  EXPECT_FALSE(s.to_double().ok());
  EXPECT_EQ(s.if_array(), nullptr);
  EXPECT_EQ(s.if_object(), nullptr);
  EXPECT_EQ(s.if_binary(), nullptr);
  EXPECT_EQ(s.find("key"), nullptr);
  EXPECT_THROW((void)s.to_bool().value(), std::bad_variant_access);
}

TEST(Value, ToDoubleAcceptsIntegers) {
  EXPECT_EQ(Value(2.5).to_double().value(), 2.5);
  EXPECT_EQ(Value(7).to_double().value(), 7.0);
}

TEST(Value, StringsAndCharPointersAreStrings) {
  EXPECT_TRUE(Value("x").is_string());
  EXPECT_TRUE(Value(std::string_view("x")).is_string());
  EXPECT_EQ(*Value(std::string("abc")).if_string(), "abc");
  EXPECT_TRUE(Value(true).is_bool());
}

TEST(Value, BinaryIsDistinctFromArray) {
  Value bin(Value::Binary{1, 2, 3});
  EXPECT_TRUE(bin.is_binary());
  EXPECT_FALSE(bin.is_array());
  EXPECT_NE(bin, Value(Value::Array{1, 2, 3}));
}

TEST(Value, ObjectLookup) {
  Value o(Value::Object{{"b", 2}, {"a", Value::Array{1, "x"}}});
  ASSERT_NE(o.find("a"), nullptr);
  EXPECT_EQ(*o.find("a"), Value(Value::Array{1, "x"}));
  EXPECT_EQ(o.find("c"), nullptr);
}

TEST(Value, MoveLeavesSourceNull) {
  Value a(Value::Array{1, 2, 3});
  Value b(std::move(a));
  EXPECT_TRUE(a.is_null());  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(b.if_array()->size(), 3u);
  Value c;
  c = std::move(b);
  EXPECT_TRUE(b.is_null());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(c.if_array()->size(), 3u);
}

TEST(Value, CopyIsDeep) {
  Value a(Value::Object{{"k", Value::Array{1}}});
  Value b = a;
  b.if_object()->at("k").if_array()->push_back(2);
  EXPECT_EQ(a.find("k")->if_array()->size(), 1u);
  EXPECT_EQ(b.find("k")->if_array()->size(), 2u);
}

TEST(Value, DebugString) {
  Value v(Value::Object{{"a", Value::Array{nullptr, true, -1, 1.5, "q\"\n"}},
                        {"b", Value::Binary{0x00, 0xff}}});
  EXPECT_EQ(v.debug_string(), R"({"a":[null,true,-1,1.5,"q\"\u000a"],"b":b"00ff"})");
  EXPECT_EQ(Value(std::numeric_limits<std::uint64_t>::max()).debug_string(),
            "18446744073709551615");
}

}  // namespace
}  // namespace uvwamp
