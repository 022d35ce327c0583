#include <uvwamp/serializer.hpp>

#include "util/base64.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace uvwamp {
namespace {

using namespace std::literals;

const Serializer& json = json_serializer();

// An exactly sized copy: nothing after the last byte for a reader to rely on.
std::vector<std::uint8_t> to_bytes(std::string_view text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

Result<Value> decode(std::string_view text, const DecodeLimits& limits = {}) {
  const std::vector<std::uint8_t> bytes = to_bytes(text);
  return json.decode(bytes.data(), bytes.size(), limits);
}

std::string encode(const Value& value) {
  std::vector<std::uint8_t> out;
  const Status status = json.encode(value, out);
  EXPECT_TRUE(status.ok()) << value.debug_string() << ": " << status.error().message;
  return std::string(out.begin(), out.end());
}

// Encoding `value` gives exactly `text`, and decoding `text` gives `value`.
void expect_both_ways(const Value& value, std::string_view text) {
  EXPECT_EQ(encode(value), text);
  const Result<Value> decoded = decode(text);
  ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error().message;
  EXPECT_EQ(decoded.value(), value) << text;
  EXPECT_EQ(decoded->type(), value.type()) << text;
}

void expect_decode_error(std::string_view text, codec_errc code, const DecodeLimits& limits = {}) {
  const Result<Value> decoded = decode(text, limits);
  ASSERT_FALSE(decoded.ok()) << text << " decoded as " << decoded->debug_string();
  EXPECT_EQ(decoded.error().code, code) << text << ": " << decoded.error().message;
  EXPECT_EQ(decoded.error().message.rfind("JSON: ", 0), 0u) << decoded.error().message;
}

void expect_encode_error(const Value& value) {
  std::vector<std::uint8_t> out = to_bytes("prefix");
  const Status status = json.encode(value, out);
  ASSERT_FALSE(status.ok()) << value.debug_string();
  EXPECT_EQ(status.error().code, codec_errc::not_encodable) << status.error().message;
  EXPECT_EQ(out, to_bytes("prefix")) << "a failed encode changed `out`";
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

Value::Binary bytes_of(std::initializer_list<int> values) {
  Value::Binary bytes;
  for (int v : values)
    bytes.push_back(static_cast<std::uint8_t>(v));
  return bytes;
}

Value nested_arrays(std::size_t depth) {
  Value value = Value::Array{};
  for (std::size_t i = 1; i < depth; ++i)
    value = Value::Array{std::move(value)};
  return value;
}

TEST(Json, Identity) {
  EXPECT_EQ(json.name(), "json");
  EXPECT_EQ(json.websocket_subprotocol(), "wamp.2.json");
  EXPECT_EQ(json.rawsocket_id(), 1);
  EXPECT_TRUE(json.is_text());
  EXPECT_EQ(find_serializer("json"), &json);
}

TEST(Json, WampMessagesBothWays) {
  expect_both_ways(Value::Array{48, 7814135, Value::Object{}, "com.myapp.add", Value::Array{23, 7}},
                   R"([48,7814135,{},"com.myapp.add",[23,7]])");
  expect_both_ways(
      Value::Array{1, "realm1",
                   Value::Object{{"roles", Value::Object{{"caller", Value::Object{}},
                                                         {"subscriber", Value::Object{}}}}}},
      R"([1,"realm1",{"roles":{"caller":{},"subscriber":{}}}])");
  expect_both_ways(Value::Array{8, 48, 7814135, Value::Object{}, "wamp.error.no_such_procedure"},
                   R"([8,48,7814135,{},"wamp.error.no_such_procedure"])");
  expect_both_ways(
      Value::Array{16, 713845233, Value::Object{{"acknowledge", true}}, "com.myapp.topic1",
                   Value::Array{"Hello, world!"},
                   Value::Object{{"color", "orange"}, {"sizes", Value::Array{23, 42, 7}}}},
      R"([16,713845233,{"acknowledge":true},"com.myapp.topic1",["Hello, world!"],)"
      R"({"color":"orange","sizes":[23,42,7]}])");
  expect_both_ways(Value::Array{70, 6131533, Value::Object{{"progress", true}},
                                Value::Array{0.5, bytes_of({1, 2, 3}), nullptr, false}},
                   R"([70,6131533,{"progress":true},[0.5,"\u0000AQID",null,false]])");
}

TEST(Json, EveryValueTypeBothWays) {
  expect_both_ways(Value(), "null");
  expect_both_ways(true, "true");
  expect_both_ways(false, "false");
  expect_both_ways(42, "42");
  expect_both_ways(-7, "-7");
  expect_both_ways(1.5, "1.5");
  expect_both_ways("text", R"("text")");
  expect_both_ways(bytes_of({0xde, 0xad}), R"("\u00003q0=")");
  expect_both_ways(Value::Array{}, "[]");
  expect_both_ways(Value::Object{}, "{}");
}

TEST(Json, StringsAreEscapedAndKeptAsUtf8) {
  expect_both_ways("quote\" backslash\\ newline\n tab\t bell\x07",
                   R"("quote\" backslash\\ newline\n tab\t bell\u0007")");
  // Only a leading NUL means binary.
  expect_both_ways("a\0b"s, R"("a\u0000b")");
  expect_both_ways("caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
  const Result<Value> escaped = decode(R"("caf\u00e9 \ud83d\ude00")");
  ASSERT_TRUE(escaped.ok()) << escaped.error().message;
  EXPECT_EQ(escaped.value(), Value("caf\xc3\xa9 \xf0\x9f\x98\x80"));
}

TEST(Json, ObjectsAreWrittenInSortedKeyOrder) {
  Value::Object members;
  members.emplace("zebra", 1);
  members.emplace("apple", 2);
  members.emplace("mango", 3);
  EXPECT_EQ(encode(members), R"({"apple":2,"mango":3,"zebra":1})");
  const Result<Value> decoded = decode(R"({"zebra":1,"apple":2,"mango":3})");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), Value(members));
}

TEST(Json, IntegerEdges) {
  expect_both_ways(0, "0");
  expect_both_ways(-1, "-1");
  expect_both_ways(std::int64_t{1} << 53, "9007199254740992");
  expect_both_ways((std::int64_t{1} << 53) + 1, "9007199254740993");
  expect_both_ways(std::numeric_limits<std::int64_t>::max(), "9223372036854775807");
  expect_both_ways(std::numeric_limits<std::int64_t>::min(), "-9223372036854775808");
  // Value keeps an unsigned number that fits in int64 as int64: it is written.
  expect_both_ways(std::uint64_t{9223372036854775807u}, "9223372036854775807");
}

TEST(Json, IntegersBeyondInt64AreRefused) {
  const std::uint64_t above = std::uint64_t{1} << 63;
  expect_encode_error(above);
  expect_encode_error(std::numeric_limits<std::uint64_t>::max());
  expect_encode_error(Value::Array{1, Value::Object{{"n", above}}});
  std::vector<std::uint8_t> out;
  const Status status = json.encode(above, out);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(contains(status.error().message, "9223372036854775808")) << status.error().message;

  expect_decode_error("9223372036854775808", codec_errc::unsupported);
  expect_decode_error("[-9223372036854775809]", codec_errc::unsupported);
}

TEST(Json, RealsStayReals) {
  expect_both_ways(1.0, "1.0");
  expect_both_ways(-0.5, "-0.5");
  expect_both_ways(1e22, "1e22");
  EXPECT_NE(decode("1.0").value(), Value(1));
  EXPECT_EQ(decode("1e2").value(), Value(100.0));
  EXPECT_EQ(decode("-0").value(), Value(0));

  const Result<Value> negative_zero = decode(encode(-0.0));
  ASSERT_TRUE(negative_zero.ok());
  ASSERT_TRUE(negative_zero->is_real());
  EXPECT_TRUE(std::signbit(negative_zero->to_double().value()));
}

// 17 significant digits: 0.1 gets noise digits, but comes back as exactly the same double.
TEST(Json, PointOneRoundTripsExactly) {
  const std::string text = encode(0.1);
  EXPECT_EQ(text, "0.10000000000000001");
  const Result<Value> decoded = decode(text);
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(decoded->is_real());
  EXPECT_EQ(decoded->to_double().value(), 0.1);
}

void expect_real_round_trip(double real) {
  const std::string text = encode(real);
  const Result<Value> decoded = decode(text);
  ASSERT_TRUE(decoded.ok()) << text << ": " << decoded.error().message;
  ASSERT_TRUE(decoded->is_real()) << text;
  const double back = decoded->to_double().value();
  EXPECT_EQ(std::memcmp(&back, &real, sizeof real), 0) << text;
}

TEST(Json, EveryFiniteDoubleRoundTripsExactly) {
  for (double real : {0.1 + 0.2, 1.0 / 3, std::acos(-1.0), DBL_MAX, -DBL_MAX, DBL_MIN, DBL_EPSILON,
                      std::numeric_limits<double>::denorm_min(), -2.5e-300, 9007199254740993.0,
                      123456789012345678.0})
    expect_real_round_trip(real);
  // Random bit patterns reach every exponent, subnormals included.
  std::mt19937_64 random(20240611);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t bits = random();
    double real;
    std::memcpy(&real, &bits, sizeof real);
    if (std::isfinite(real)) expect_real_round_trip(real);
  }
}

TEST(Json, NonFiniteRealsAreRefused) {
  expect_encode_error(std::numeric_limits<double>::quiet_NaN());
  expect_encode_error(std::numeric_limits<double>::infinity());
  expect_encode_error(Value::Array{-std::numeric_limits<double>::infinity()});
  expect_decode_error("1e400", codec_errc::unsupported);
  expect_decode_error("NaN", codec_errc::malformed);
  expect_decode_error("Infinity", codec_errc::malformed);
}

TEST(Json, BinaryConvention) {
  expect_both_ways(Value::Binary{}, R"("\u0000")");
  // RFC 4648's vectors, one per padding length.
  expect_both_ways(bytes_of({'f', 'o', 'o', 'b', 'a', 'r'}), R"("\u0000Zm9vYmFy")");
  expect_both_ways(bytes_of({'f', 'o', 'o', 'b'}), R"("\u0000Zm9vYg==")");
  expect_both_ways(bytes_of({'f', 'o', 'o', 'b', 'a'}), R"("\u0000Zm9vYmE=")");
  expect_both_ways(bytes_of({0xff}), R"("\u0000/w==")");
  expect_both_ways(Value::Object{{"key", bytes_of({0, 0, 0})}}, R"({"key":"\u0000AAAA"})");

  Value::Binary every_byte;
  for (int i = 0; i < 256; ++i)
    every_byte.push_back(static_cast<std::uint8_t>(i));
  expect_both_ways(every_byte,
                   "\"\\u0000" + base64::encode(every_byte.data(), every_byte.size()) + "\"");
}

TEST(Json, BinaryThatIsNotBase64IsMalformed) {
  for (const char* text : {R"("\u0000Zm9")", R"("\u0000Zm9v!A==")", R"("\u0000Zh==")",
                           R"("\u0000Z===")", R"("\u0000=Zm9")", R"(["\u0000 AAA"])"}) {
    expect_decode_error(text, codec_errc::malformed);
    EXPECT_TRUE(contains(decode(text).error().message, "base64")) << decode(text).error().message;
  }
}

TEST(Json, NulLeadingStringIsRefused) {
  expect_encode_error("\0abc"s);
  expect_encode_error("\0"s);
  expect_encode_error(Value::Object{{"a", 1}, {"b", "\0"s}});
}

TEST(Json, InvalidUtf8IsRefusedOnEncode) {
  expect_encode_error("\xff");
  expect_encode_error("\xed\xa0\x80");  // an encoded surrogate
  expect_encode_error("\xc0\xaf");      // an overlong '/'
  expect_encode_error(Value::Object{{"\xff", 1}});
  expect_encode_error(Value::Array{"fine", Value::Array{"bad\xc3"}});
}

TEST(Json, EncodeAppendsAndLeavesOutAloneOnFailure) {
  std::vector<std::uint8_t> out = to_bytes("[1]");
  ASSERT_TRUE(json.encode(Value::Array{2}, out).ok());
  EXPECT_EQ(out, to_bytes("[1][2]"));
  // The bad member comes after good ones, so a partial encode would show.
  const Status status =
      json.encode(Value::Object{{"a", "ok"}, {"b", Value::Array{1, 2}}, {"c", "\xff"}}, out);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(out, to_bytes("[1][2]"));
}

TEST(Json, MalformedInputs) {
  for (std::string_view text : {"nul", "[1,]", "{1:2}", "01", "[1 2]", "'a'", R"("\x")", R"({"a"})",
                                "+1", "[1,2}", "\"tab\there\"", "\"a\x01\"", "}"}) {
    expect_decode_error(text, codec_errc::malformed);
  }
}

// jansson skips a raw NUL byte after a number or keyword; it must not turn bad input into good.
TEST(Json, RawNulByteIsMalformed) {
  for (std::string_view text : {"[1,2\0]"sv, "1\0"sv, "true\0"sv, "\0"sv, "[\"a\"]\0"sv}) {
    expect_decode_error(text, codec_errc::malformed);
  }
}

TEST(Json, TruncatedInputs) {
  for (std::string_view text : {"", "   ", "[", "[1,2", R"({"a":)", R"({"a")", R"("abc)", "[{}"}) {
    expect_decode_error(text, codec_errc::truncated);
  }
}

// jansson reports a premature end when the input stops between tokens or inside a string.
TEST(Json, EveryProperPrefixOfAMessageIsTruncated) {
  const std::string_view message = R"([48,7814135,{"disclose_me":"yes"},"com.myapp.add",[23,7]])";
  for (std::size_t size = 0; size < message.size(); ++size) {
    expect_decode_error(message.substr(0, size), codec_errc::truncated);
  }
  ASSERT_TRUE(decode(message).ok());
}

// ...but an input that stops inside a keyword, a number's fraction or exponent, an escape or a
// UTF-8 sequence is an invalid token to jansson, and uvwamp keeps its verdict.
TEST(Json, InputCutInsideATokenIsMalformed) {
  for (std::string_view text : {"[tru", "[1.", "-", "1e+", R"("\u00)", "\"\xc3"}) {
    expect_decode_error(text, codec_errc::malformed);
  }
}

TEST(Json, TrailingData) {
  for (std::string_view text : {"[1] [2]", "1 2", "{}x", R"("a""b")", "null,"}) {
    expect_decode_error(text, codec_errc::trailing_data);
  }
  EXPECT_TRUE(decode(" [1]\r\n\t ").ok());
}

TEST(Json, DuplicateKeysAreMalformed) {
  expect_decode_error(R"({"a":1,"a":2})", codec_errc::malformed);
  expect_decode_error(R"([{"x":{"k":null,"k":null}}])", codec_errc::malformed);
  EXPECT_TRUE(decode(R"({"a":{"a":1}})").ok());
}

TEST(Json, InvalidUtf8InputIsMalformed) {
  for (std::string_view text : {"\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xe2\x82\"",
                                "{\"\xfe\":1}", "\"\xf4\x90\x80\x80\""}) {
    expect_decode_error(text, codec_errc::malformed);
  }
}

TEST(Json, LoneSurrogateEscapeIsMalformed) {
  for (std::string_view text :
       {R"("\ud800")", R"("\udc00")", R"("\ud800x")", R"("\ud800\u0041")"}) {
    expect_decode_error(text, codec_errc::malformed);
  }
}

// JSON allows it, but jansson cannot hold such a key; so it is refused both ways.
TEST(Json, NulInObjectKeyIsUnsupported) {
  expect_decode_error(R"({"a\u0000b":1})", codec_errc::unsupported);
  expect_encode_error(Value::Object{{"a\0b"s, 1}});
}

TEST(Json, ErrorsCarryJanssonsPositionAndText) {
  const Result<Value> truncated = decode("[1,2");
  ASSERT_FALSE(truncated.ok());
  EXPECT_TRUE(contains(truncated.error().message, "']' expected")) << truncated.error().message;
  EXPECT_TRUE(contains(truncated.error().message, "byte 4")) << truncated.error().message;

  const Result<Value> duplicate = decode(R"({"a":1,"a":2})");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_TRUE(contains(duplicate.error().message, "duplicate")) << duplicate.error().message;
  EXPECT_TRUE(contains(duplicate.error().message, "byte 10")) << duplicate.error().message;

  const Result<Value> nul = decode("[1,2\0]"sv);
  ASSERT_FALSE(nul.ok());
  EXPECT_TRUE(contains(nul.error().message, "byte 4")) << nul.error().message;
}

TEST(Json, DepthLimit) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(decode("[[[1]]]", limits).ok());
  EXPECT_TRUE(decode(R"({"a":[{}]})", limits).ok());
  EXPECT_TRUE(decode(R"([[1],[2],{"a":[]}])", limits).ok());
  expect_decode_error("[[[[1]]]]", codec_errc::too_deep, limits);
  expect_decode_error(R"({"a":[{"b":[]}]})", codec_errc::too_deep, limits);
  expect_decode_error(R"([1,[2,[3,{}]]])", codec_errc::too_deep, limits);

  limits.max_depth = 0;
  EXPECT_TRUE(decode(R"("scalar")", limits).ok());
  expect_decode_error("[]", codec_errc::too_deep, limits);
}

TEST(Json, DefaultDepthLimit) {
  const std::size_t depth = DecodeLimits{}.max_depth;
  EXPECT_TRUE(decode(encode(nested_arrays(depth))).ok());
  expect_decode_error(encode(nested_arrays(depth + 1)), codec_errc::too_deep);
}

// jansson stops at 2048 levels whatever the limit says.
TEST(Json, JanssonsOwnNestingCapIsTooDeep) {
  DecodeLimits limits;
  limits.max_depth = std::numeric_limits<std::size_t>::max();
  expect_decode_error(std::string(3000, '[') + std::string(3000, ']'), codec_errc::too_deep,
                      limits);
}

TEST(Json, ContainerItemsLimit) {
  DecodeLimits limits;
  limits.max_container_items = 3;
  EXPECT_TRUE(decode("[1,2,3]", limits).ok());
  EXPECT_TRUE(decode("[[1,2,3],[4,5,6],[7,8,9]]", limits).ok());
  EXPECT_TRUE(decode(R"({"a":1,"b":2,"c":3})", limits).ok());
  expect_decode_error("[1,2,3,4]", codec_errc::too_large, limits);
  expect_decode_error("[[1,2,3,4]]", codec_errc::too_large, limits);
  expect_decode_error(R"({"a":1,"b":2,"c":3,"d":4})", codec_errc::too_large, limits);
}

TEST(Json, StringBytesLimit) {
  DecodeLimits limits;
  limits.max_string_bytes = 4;
  EXPECT_TRUE(decode(R"("abcd")", limits).ok());
  expect_decode_error(R"("abcde")", codec_errc::too_large, limits);
  // Bytes, not characters, and after escapes are resolved.
  EXPECT_TRUE(decode("\"\xc3\xa9\xc3\xa9\"", limits).ok());
  expect_decode_error("\"\xc3\xa9\xc3\xa9\xc3\xa9\"", codec_errc::too_large, limits);
  EXPECT_TRUE(decode(R"("\u00e9\u00e9")", limits).ok());
  expect_decode_error(R"("\u00e9\u00e9a")", codec_errc::too_large, limits);
  // Binary counts its bytes, not its base64 text.
  EXPECT_EQ(decode(R"("\u0000AQIDBA==")", limits).value(), Value(bytes_of({1, 2, 3, 4})));
  expect_decode_error(R"("\u0000AQIDBAU=")", codec_errc::too_large, limits);
  // Keys are strings too.
  EXPECT_TRUE(decode(R"({"abcd":1})", limits).ok());
  expect_decode_error(R"({"abcde":1})", codec_errc::too_large, limits);
}

TEST(Json, LargeValueRoundTrips) {
  Value::Array items;
  for (int i = 0; i < 1000; ++i) {
    Value::Object item;
    item.emplace("id", i);
    item.emplace("name", "item " + std::to_string(i));
    item.emplace("ratio", i / 7.0);
    item.emplace("blob", Value::Binary(static_cast<std::size_t>(i % 17), 0xa5));
    item.emplace("tags", Value::Array{nullptr, i % 2 == 0, -i});
    items.emplace_back(std::move(item));
  }
  const Value value(std::move(items));
  const Result<Value> decoded = decode(encode(value));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), value);
}

}  // namespace
}  // namespace uvwamp
