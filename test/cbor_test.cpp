#include <uvwamp/serializer.hpp>
#include <uvwamp/value.hpp>

#include "util/hex.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

// Counts what operator new hands out, so that tests can show that a hostile length claim
// allocates nothing of its size.
namespace {
std::atomic<std::size_t> allocated_bytes{0};
}  // namespace

__attribute__((noinline)) void* operator new(std::size_t size) {
  allocated_bytes += size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
__attribute__((noinline)) void operator delete(void* p) noexcept {
  std::free(p);
}
__attribute__((noinline)) void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace uvwamp {

void PrintTo(const Value& value, std::ostream* os) {
  *os << value.debug_string();
}

namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::int64_t kInt64Min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t kUint64Max = std::numeric_limits<std::uint64_t>::max();

const Serializer& cbor = cbor_serializer();

Bytes from_hex(std::string_view text) {
  auto bytes = hex::decode(text);
  if (!bytes) {
    ADD_FAILURE() << "bad hex in test: " << text;
    return {};
  }
  return *bytes;
}

std::string to_hex(const Bytes& bytes) {
  return hex::encode(bytes.data(), bytes.size());
}

Result<Value> decode(const Bytes& input, const DecodeLimits& limits = {}) {
  return cbor.decode(input.data(), input.size(), limits);
}

Value decoded(const Bytes& input, const DecodeLimits& limits = {}) {
  Result<Value> result = decode(input, limits);
  if (!result) {
    ADD_FAILURE() << to_hex(input) << ": " << result.error().message;
    return Value();
  }
  return std::move(result).value();
}

Error decode_failure(const Bytes& input, const DecodeLimits& limits = {}) {
  Result<Value> result = decode(input, limits);
  if (result) {
    ADD_FAILURE() << to_hex(input) << " decoded to " << result.value().debug_string();
    return Error{};
  }
  return result.error();
}

std::string encoded_hex(const Value& value) {
  Bytes out;
  Status status = cbor.encode(value, out);
  if (!status) ADD_FAILURE() << value.debug_string() << ": " << status.error().message;
  return to_hex(out);
}

// Encoding `value` gives exactly `hex_text`, and decoding `hex_text` gives `value` back.
void expect_both_ways(const Value& value, std::string_view hex_text) {
  const Bytes bytes = from_hex(hex_text);
  EXPECT_EQ(encoded_hex(value), to_hex(bytes)) << value.debug_string();
  EXPECT_EQ(decoded(bytes), value) << hex_text;
}

Bytes repeated(std::uint8_t byte, std::size_t count) {
  return Bytes(count, byte);
}

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// [48, 7814135, {}, "com.myapp.add", [23, 7]], a WAMP CALL.
const char* const kCallHex =
    "85"                             // array(5)
    "18 30"                          // 48
    "1a 00 77 3b f7"                 // 7814135
    "a0"                             // {}
    "6d 63 6f 6d 2e 6d 79 61 70 70"  // text(13) "com.myap
    "   2e 61 64 64"                 //            p.add"
    "82 17 07";                      // [23, 7]

Value call_message() {
  return Value::Array{48, 7814135, Value::Object{}, "com.myapp.add", Value::Array{23, 7}};
}

TEST(Cbor, Identity) {
  EXPECT_EQ(cbor.name(), "cbor");
  EXPECT_EQ(cbor.websocket_subprotocol(), "wamp.2.cbor");
  EXPECT_EQ(cbor.rawsocket_id(), 3);
  EXPECT_FALSE(cbor.is_text());
  EXPECT_EQ(find_serializer("cbor"), &cbor);
}

TEST(Cbor, CallMessageBothWays) {
  expect_both_ways(call_message(), kCallHex);
}

// RFC 8949 Appendix A examples whose preferred serialization is also ours.
TEST(Cbor, RfcExamplesBothWays) {
  expect_both_ways(0, "00");
  expect_both_ways(1, "01");
  expect_both_ways(10, "0a");
  expect_both_ways(100, "18 64");
  expect_both_ways(1000, "19 03 e8");
  expect_both_ways(1000000, "1a 00 0f 42 40");
  expect_both_ways(std::int64_t{1000000000000}, "1b 00 00 00 e8 d4 a5 10 00");
  expect_both_ways(-10, "29");
  expect_both_ways(-100, "38 63");
  expect_both_ways(-1000, "39 03 e7");
  expect_both_ways(false, "f4");
  expect_both_ways(true, "f5");
  expect_both_ways(nullptr, "f6");
  expect_both_ways(Value::Binary{}, "40");
  expect_both_ways(Value::Binary{1, 2, 3, 4}, "44 01 02 03 04");
  expect_both_ways("", "60");
  expect_both_ways("a", "61 61");
  expect_both_ways("IETF", "64 49 45 54 46");
  expect_both_ways("\"\\", "62 22 5c");
  expect_both_ways("\xc3\xbc", "62 c3 bc");                // "ü"
  expect_both_ways("\xe6\xb0\xb4", "63 e6 b0 b4");         // "水"
  expect_both_ways("\xf0\x90\x85\x91", "64 f0 90 85 91");  // U+10151
  expect_both_ways(Value::Array{}, "80");
  expect_both_ways(Value::Array{1, 2, 3}, "83 01 02 03");
  expect_both_ways(Value::Array{1, Value::Array{2, 3}, Value::Array{4, 5}},
                   "83 01 82 02 03 82 04 05");
  Value::Array one_to_25;
  for (int i = 1; i <= 25; ++i)
    one_to_25.push_back(i);
  expect_both_ways(one_to_25,
                   "98 19"                                // array(25)
                   "01 02 03 04 05 06 07 08 09 0a 0b 0c"  // 1..12
                   "0d 0e 0f 10 11 12 13 14 15 16 17"     // 13..23
                   "18 18 18 19");                        // 24, 25
  expect_both_ways(Value::Object{}, "a0");
  expect_both_ways(Value::Object{{"a", 1}, {"b", Value::Array{2, 3}}},
                   "a2 61 61 01 61 62 82 02 03");  // {"a": 1, "b": [2, 3]}
  expect_both_ways(Value::Array{"a", Value::Object{{"b", "c"}}},
                   "82 61 61 a1 61 62 61 63");  // ["a", {"b": "c"}]
  expect_both_ways(Value::Object{{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}, {"e", "E"}},
                   "a5 61 61 61 41 61 62 61 42 61 63 61 43 61 64 61 44 61 65 61 45");
}

TEST(Cbor, IntegerHeadBoundariesBothWays) {
  expect_both_ways(23, "17");
  expect_both_ways(24, "18 18");
  expect_both_ways(255, "18 ff");
  expect_both_ways(256, "19 01 00");
  expect_both_ways(65535, "19 ff ff");
  expect_both_ways(65536, "1a 00 01 00 00");
  expect_both_ways(std::uint32_t{0xffffffff}, "1a ff ff ff ff");
  expect_both_ways(std::uint64_t{0x100000000}, "1b 00 00 00 01 00 00 00 00");
  expect_both_ways(-1, "20");
  expect_both_ways(-24, "37");
  expect_both_ways(-25, "38 18");
  expect_both_ways(-256, "38 ff");
  expect_both_ways(-257, "39 01 00");
  expect_both_ways(kInt64Min, "3b 7f ff ff ff ff ff ff ff");
  expect_both_ways(kInt64Max, "1b 7f ff ff ff ff ff ff ff");
  expect_both_ways(kUint64Max, "1b ff ff ff ff ff ff ff ff");
}

TEST(Cbor, IntegersAboveInt64StayUnsigned) {
  EXPECT_EQ(decoded(from_hex("1b 7f ff ff ff ff ff ff ff")).type(), Value::Type::int64);
  const Value above = decoded(from_hex("1b 80 00 00 00 00 00 00 00"));
  EXPECT_EQ(above.type(), Value::Type::uint64);
  EXPECT_EQ(above.to_uint64().value(), std::uint64_t{1} << 63);
}

TEST(Cbor, AcceptsIntegersInLongerHeadsThanNeeded) {
  EXPECT_EQ(decoded(from_hex("18 00")), Value(0));
  EXPECT_EQ(decoded(from_hex("19 00 17")), Value(23));
  EXPECT_EQ(decoded(from_hex("1b 00 00 00 00 00 00 00 01")), Value(1));
  EXPECT_EQ(decoded(from_hex("38 00")), Value(-1));
  EXPECT_EQ(decoded(from_hex("3b 00 00 00 00 00 00 00 00")), Value(-1));
}

TEST(Cbor, NegativeIntegersBelowInt64AreUnsupported) {
  EXPECT_EQ(decode_failure(from_hex("3b 80 00 00 00 00 00 00 00")).code,  // -2^63 - 1
            codec_errc::unsupported);
  EXPECT_EQ(decode_failure(from_hex("3b ff ff ff ff ff ff ff ff")).code,  // -2^64
            codec_errc::unsupported);
}

TEST(Cbor, DecodesEveryFloatWidthAsDouble) {
  struct Case {
    const char* hex;
    double value;
  };
  const Case cases[] = {
      {"f9 00 00", 0.0},
      {"f9 3c 00", 1.0},
      {"f9 3e 00", 1.5},
      {"f9 7b ff", 65504.0},
      {"f9 00 01", 5.960464477539063e-8},  // smallest half subnormal
      {"f9 04 00", 0.00006103515625},      // smallest half normal
      {"f9 c4 00", -4.0},
      {"fa 47 c3 50 00", 100000.0},
      {"fa 7f 7f ff ff", 3.4028234663852886e+38},
      {"fb 3f f1 99 99 99 99 99 9a", 1.1},
      {"fb 7e 37 e4 3c 88 00 75 9c", 1.0e+300},
      {"fb c0 10 66 66 66 66 66 66", -4.1},
  };
  for (const Case& c : cases) {
    const Value value = decoded(from_hex(c.hex));
    EXPECT_EQ(value.type(), Value::Type::real) << c.hex;
    EXPECT_EQ(value, Value(c.value)) << c.hex;
  }
  const Value negative_zero = decoded(from_hex("f9 80 00"));
  ASSERT_TRUE(negative_zero.is_real());
  EXPECT_TRUE(std::signbit(negative_zero.to_double().value()));
  EXPECT_EQ(decoded(from_hex("f9 7c 00")), Value(HUGE_VAL));
  EXPECT_EQ(decoded(from_hex("f9 fc 00")), Value(-HUGE_VAL));
  for (const char* nan : {"f9 7e 00", "fa 7f c0 00 00", "fb 7f f8 00 00 00 00 00 00"}) {
    const Value value = decoded(from_hex(nan));
    ASSERT_TRUE(value.is_real()) << nan;
    EXPECT_TRUE(std::isnan(value.to_double().value())) << nan;
  }
}

TEST(Cbor, EncodesDoublesAsEightByteFloats) {
  EXPECT_EQ(encoded_hex(1.0), "fb3ff0000000000000");
  EXPECT_EQ(encoded_hex(100000.0), "fb40f86a0000000000");
  EXPECT_EQ(encoded_hex(1.1), "fb3ff199999999999a");
  EXPECT_EQ(encoded_hex(-4.1), "fbc010666666666666");
  EXPECT_EQ(encoded_hex(-0.0), "fb8000000000000000");
}

TEST(Cbor, StringLengthHeadsBothWays) {
  expect_both_ways(std::string(23, 'x'), "77" + to_hex(repeated('x', 23)));
  expect_both_ways(std::string(24, 'x'), "78 18" + to_hex(repeated('x', 24)));
  expect_both_ways(std::string(256, 'x'), "79 01 00" + to_hex(repeated('x', 256)));
  expect_both_ways(Value::Binary(24, 7), "58 18" + to_hex(repeated(7, 24)));
  expect_both_ways(Value::Binary(65536, 7), "5a 00 01 00 00" + to_hex(repeated(7, 65536)));
}

TEST(Cbor, EncodeAppendsToOut) {
  Bytes out = from_hex("aa bb");
  ASSERT_TRUE(cbor.encode(Value::Array{1, "a"}, out));
  EXPECT_EQ(to_hex(out), "aabb82016161");
}

TEST(Cbor, ComplexValueRoundTrips) {
  const Value value = Value::Object{
      {"args", Value::Array{kUint64Max, kInt64Min, -0.5, Value::Binary{0, 255}, nullptr}},
      {"kwargs", Value::Object{{"\xe2\x82\xac", Value::Array{}}, {"nested", Value::Object{}}}},
      {"flag", false},
  };
  Bytes out;
  ASSERT_TRUE(cbor.encode(value, out));
  EXPECT_EQ(decoded(out), value);
}

// RFC 8949 Appendix A examples of indefinite-length items.
TEST(Cbor, DecodesIndefiniteLengthItems) {
  // (_ h'0102', h'030405')
  EXPECT_EQ(decoded(from_hex("5f 42 01 02 43 03 04 05 ff")), Value(Value::Binary{1, 2, 3, 4, 5}));
  // (_ "strea", "ming")
  EXPECT_EQ(decoded(from_hex("7f 65 73 74 72 65 61 64 6d 69 6e 67 ff")), Value("streaming"));
  EXPECT_EQ(decoded(from_hex("9f ff")), Value(Value::Array{}));  // [_ ]
  const Value nested = Value::Array{1, Value::Array{2, 3}, Value::Array{4, 5}};
  EXPECT_EQ(decoded(from_hex("9f 01 82 02 03 9f 04 05 ff ff")), nested);  // [_ 1, [2, 3], [_ 4, 5]]
  EXPECT_EQ(decoded(from_hex("9f 01 82 02 03 82 04 05 ff")), nested);     // [_ 1, [2, 3], [4, 5]]
  EXPECT_EQ(decoded(from_hex("83 01 82 02 03 9f 04 05 ff")), nested);     // [1, [2, 3], [_ 4, 5]]
  EXPECT_EQ(decoded(from_hex("83 01 9f 02 03 ff 82 04 05")), nested);     // [1, [_ 2, 3], [4, 5]]
  Value::Array one_to_25;
  for (int i = 1; i <= 25; ++i)
    one_to_25.push_back(i);
  EXPECT_EQ(decoded(from_hex("9f"                                   // [_
                             "01 02 03 04 05 06 07 08 09 0a 0b 0c"  //    1..12
                             "0d 0e 0f 10 11 12 13 14 15 16 17"     //    13..23
                             "18 18 18 19"                          //    24, 25
                             "ff")),                                //  ]
            Value(one_to_25));
  // {_ "a": 1, "b": [_ 2, 3]}
  EXPECT_EQ(decoded(from_hex("bf 61 61 01 61 62 9f 02 03 ff ff")),
            Value(Value::Object{{"a", 1}, {"b", Value::Array{2, 3}}}));
  // ["a", {_ "b": "c"}]
  EXPECT_EQ(decoded(from_hex("82 61 61 bf 61 62 61 63 ff")),
            Value(Value::Array{"a", Value::Object{{"b", "c"}}}));
  // {_ "Fun": true, "Amt": -2}
  EXPECT_EQ(decoded(from_hex("bf 63 46 75 6e f5 63 41 6d 74 21 ff")),
            Value(Value::Object{{"Fun", true}, {"Amt", -2}}));
}

TEST(Cbor, IndefiniteStringEdgeCases) {
  EXPECT_EQ(decoded(from_hex("7f ff")), Value(""));
  EXPECT_EQ(decoded(from_hex("5f ff")), Value(Value::Binary{}));
  EXPECT_EQ(decoded(from_hex("7f 60 60 ff")), Value(""));
  // {_ (_ "a"): 1}: an indefinite-length text string as a key.
  EXPECT_EQ(decoded(from_hex("bf 7f 61 61 ff 01 ff")), Value(Value::Object{{"a", 1}}));
}

TEST(Cbor, ReencodesIndefiniteItemsWithDefiniteLengths) {
  EXPECT_EQ(encoded_hex(decoded(from_hex("9f 01 7f 61 61 61 62 ff ff"))), "8201626162");
}

TEST(Cbor, SkipsTheSelfDescribeTag) {
  // 55799([1, 2, 3])
  EXPECT_EQ(decoded(from_hex("d9 d9 f7 83 01 02 03")), Value(Value::Array{1, 2, 3}));
  // [55799(1), 2]
  EXPECT_EQ(decoded(from_hex("82 d9 d9 f7 01 02")), Value(Value::Array{1, 2}));
  // 55799(55799(1))
  EXPECT_EQ(decoded(from_hex("d9 d9 f7 d9 d9 f7 01")), Value(1));
  // {55799("a"): 1}
  EXPECT_EQ(decoded(from_hex("a1 d9 d9 f7 61 61 01")), Value(Value::Object{{"a", 1}}));
  // 55799 written with an eight-byte head
  EXPECT_EQ(decoded(from_hex("db 00 00 00 00 00 00 d9 f7 f6")), Value());
}

TEST(Cbor, RefusesOtherTags) {
  for (const char* tagged : {
           "c0 60",                          // 0("")
           "c1 1a 51 4b 67 b0",              // 1(1363896240)
           "c2 41 01",                       // 2(h'01'), a bignum
           "c6 00",                          // 6(0), which libcbor 0.8 does not know
           "d4 00",                          // 20(0)
           "d7 44 01 02 03 04",              // 23(h'01020304')
           "d8 20 60",                       // 32("")
           "d9 d9 f8 00",                    // 55800(0)
           "82 01 c1 00",                    // [1, 1(0)]
           "a1 61 61 c1 00",                 // {"a": 1(0)}
           "db ff ff ff ff ff ff ff ff 00",  // 18446744073709551615(0)
       }) {
    EXPECT_EQ(decode_failure(from_hex(tagged)).code, codec_errc::unsupported) << tagged;
  }
}

TEST(Cbor, RefusesUndefinedAndOtherSimpleValues) {
  EXPECT_EQ(decode_failure(from_hex("f7")).code, codec_errc::unsupported);     // undefined
  EXPECT_EQ(decode_failure(from_hex("e0")).code, codec_errc::unsupported);     // simple(0)
  EXPECT_EQ(decode_failure(from_hex("f0")).code, codec_errc::unsupported);     // simple(16)
  EXPECT_EQ(decode_failure(from_hex("f8 20")).code, codec_errc::unsupported);  // simple(32)
  EXPECT_EQ(decode_failure(from_hex("f8 ff")).code, codec_errc::unsupported);  // simple(255)
  EXPECT_EQ(decode_failure(from_hex("82 01 f7")).code, codec_errc::unsupported);
  // Simple values below 32 have only the one-byte form (RFC 8949 section 3.3).
  EXPECT_EQ(decode_failure(from_hex("f8 18")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("f8 14")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("f8")).code, codec_errc::truncated);
}

TEST(Cbor, TruncatedAtEveryOffset) {
  const Bytes messages[] = {
      from_hex(kCallHex),
      from_hex("bf"                                        // {_
               "61 61 f9 3c 00"                            //    "a": 1.0,
               "61 62 7f 61 61 61 62 ff"                   //    "b": (_ "a", "b"),
               "61 63 5f 41 00 ff"                         //    "c": (_ h'00'),
               "61 64 9f fa 47 c3 50 00"                   //    "d": [_ 100000.0,
               "     1b 00 00 00 01 00 00 00 00"           //          4294967296,
               "     d9 d9 f7 3b 00 00 00 00 00 00 00 00"  //  55799(-1),
               "     fb 3f f1 99 99 99 99 99 9a ff"        //        1.1]
               "ff"),                                      //  }
  };
  for (const Bytes& message : messages) {
    ASSERT_TRUE(decode(message)) << to_hex(message);
    for (std::size_t size = 0; size < message.size(); ++size) {
      const Bytes prefix(message.begin(), message.begin() + size);
      EXPECT_EQ(decode_failure(prefix).code, codec_errc::truncated) << to_hex(prefix);
    }
  }
  EXPECT_EQ(decode_failure({}).message, "input is empty");
}

TEST(Cbor, TruncationErrorsSayWhere) {
  EXPECT_EQ(decode_failure(from_hex("82 01")).message,
            "array at byte 0 claims 2 entries, but the input ends at byte 2");
  EXPECT_EQ(decode_failure(from_hex("9f 01")).message,
            "input ends at byte 2 inside the array that starts at byte 0");
  EXPECT_EQ(decode_failure(from_hex("81 19 01")).message,
            "the item at byte 1 runs past the end of the input");
}

TEST(Cbor, RefusesInvalidUtf8) {
  EXPECT_EQ(decode_failure(from_hex("62 c3 28")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("62 c0 80")).code, codec_errc::malformed);     // overlong
  EXPECT_EQ(decode_failure(from_hex("63 ed a0 80")).code, codec_errc::malformed);  // surrogate
  EXPECT_EQ(decode_failure(from_hex("a1 61 ff 01")).code, codec_errc::malformed);  // in a key
  // "ü" split between two chunks: each chunk must be UTF-8 by itself.
  EXPECT_EQ(decode_failure(from_hex("7f 61 c3 61 bc ff")).code, codec_errc::malformed);
  const Error error = decode_failure(from_hex("82 01 62 c3 28"));
  EXPECT_EQ(error.message, "text string at byte 2 is not valid UTF-8");
}

TEST(Cbor, RefusesMapKeysThatAreNotText) {
  EXPECT_EQ(decode_failure(from_hex("a1 01 02")).code, codec_errc::unsupported);     // {1: 2}
  EXPECT_EQ(decode_failure(from_hex("a1 41 61 01")).code, codec_errc::unsupported);  // {h'61': 1}
  EXPECT_EQ(decode_failure(from_hex("a1 80 01")).code, codec_errc::unsupported);     // {[]: 1}
  EXPECT_EQ(decode_failure(from_hex("a1 f6 01")).code, codec_errc::unsupported);     // {null: 1}
  EXPECT_EQ(decode_failure(from_hex("bf 01 02 ff")).code, codec_errc::unsupported);  // {_ 1: 2}
  EXPECT_EQ(decode_failure(from_hex("a1 5f ff 01")).code, codec_errc::unsupported);  // {(_ ): 1}
  EXPECT_EQ(decode_failure(from_hex("a2 61 61 01 02 03")).message,
            "map key at byte 4 is an integer; only text keys are supported");
}

TEST(Cbor, RefusesDuplicateKeys) {
  // {"a": 1, "a": 2}
  const Error error = decode_failure(from_hex("a2 61 61 01 61 61 02"));
  EXPECT_EQ(error.code, codec_errc::malformed);
  EXPECT_EQ(error.message, "duplicate map key at byte 4");
  // {_ "a": 1, (_ "a"): 2}
  EXPECT_EQ(decode_failure(from_hex("bf 61 61 01 7f 61 61 ff 02 ff")).code, codec_errc::malformed);
}

TEST(Cbor, RefusesBreaksOutsideIndefiniteItems) {
  EXPECT_EQ(decode_failure(from_hex("ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("81 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("a1 61 61 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("9f 81 ff ff")).code, codec_errc::malformed);
  // A tag needs an item to wrap.
  EXPECT_EQ(decode_failure(from_hex("9f d9 d9 f7 ff")).code, codec_errc::malformed);
  // {_ "a" }: a key without a value.
  EXPECT_EQ(decode_failure(from_hex("bf 61 61 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("82 01 ff")).message,
            "break at byte 2 outside an indefinite-length item");
}

TEST(Cbor, RefusesChunksOfTheWrongType) {
  EXPECT_EQ(decode_failure(from_hex("5f 61 61 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("7f 41 61 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("7f 01 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("7f 80 ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("7f 7f ff ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("5f 5f ff ff")).code, codec_errc::malformed);
  EXPECT_EQ(decode_failure(from_hex("7f d9 d9 f7 61 61 ff")).code, codec_errc::malformed);
}

TEST(Cbor, RefusesReservedInitialBytes) {
  for (const char* reserved :
       {"1c", "1d", "1e", "1f", "3c", "3f", "5c", "7e", "9c", "be", "dc", "df", "fc", "fe"}) {
    EXPECT_EQ(decode_failure(from_hex(reserved)).code, codec_errc::malformed) << reserved;
  }
  EXPECT_EQ(decode_failure(from_hex("82 01 1c")).message, "invalid initial byte 0x1c at byte 2");
}

TEST(Cbor, RefusesTrailingData) {
  const Error error = decode_failure(from_hex("01 02"));
  EXPECT_EQ(error.code, codec_errc::trailing_data);
  EXPECT_EQ(error.message, "the value ends at byte 1, but the input has 2 bytes");
  EXPECT_EQ(decode_failure(concat(from_hex(kCallHex), from_hex("00"))).code,
            codec_errc::trailing_data);
  EXPECT_EQ(decode_failure(from_hex("80 ff")).code, codec_errc::trailing_data);
}

std::size_t bytes_allocated_while(const std::function<void()>& run) {
  const std::size_t before = allocated_bytes;
  run();
  return allocated_bytes - before;
}

TEST(Cbor, HugeClaimedLengthsFailWithoutAllocating) {
  DecodeLimits unlimited;
  unlimited.max_container_items = std::numeric_limits<std::size_t>::max();
  unlimited.max_string_bytes = std::numeric_limits<std::size_t>::max();
  for (const char* claim : {
           "9b ff ff ff ff ff ff ff ff",        // array(2^64 - 1)
           "9b 00 00 00 01 00 00 00 00 01 02",  // array(2^32), two bytes of it
           "9a ff ff ff ff 01 02 03",           // array(2^32 - 1)
           "bb 7f ff ff ff ff ff ff ff",        // map(2^63 - 1)
           "a3 61 61 01 61",                    // map(3) in five bytes
           "5b ff ff ff ff ff ff ff ff",        // bytes(2^64 - 1)
           "7a ff ff ff ff 61",                 // text(2^32 - 1)
           "81 81 81 9b ff ff ff ff ff ff ff ff",
       }) {
    Error error;
    const std::size_t allocated =
        bytes_allocated_while([&] { error = decode_failure(from_hex(claim), unlimited); });
    EXPECT_EQ(error.code, codec_errc::truncated) << claim;
    EXPECT_LT(allocated, 4096u) << claim;
  }
  // Under the default limits the same claim is first of all too large.
  EXPECT_EQ(decode_failure(from_hex("9b ff ff ff ff ff ff ff ff")).code, codec_errc::too_large);
}

// Each of 64 nested arrays claims exactly the bytes that follow it, which no single claim
// contradicts; together the claims must not reserve a multiple of the input.
TEST(Cbor, NestedClaimsShareOneReservationBudget) {
  constexpr std::size_t kLevels = 64;
  constexpr std::size_t kFiller = 10000;
  const std::size_t total = kLevels * 5 + kFiller;
  Bytes input;
  for (std::size_t level = 0; level < kLevels; ++level) {
    const std::size_t follow = total - (level + 1) * 5;
    input.push_back(0x9a);  // array with a four-byte count
    for (int shift = 24; shift >= 0; shift -= 8) {
      input.push_back(static_cast<std::uint8_t>(follow >> shift));
    }
  }
  input.resize(total, 0x00);
  Error error;
  const std::size_t allocated = bytes_allocated_while([&] { error = decode_failure(input); });
  EXPECT_EQ(error.code, codec_errc::truncated);
  EXPECT_LT(allocated, 8 * total * sizeof(Value));
}

TEST(Cbor, DeepNestingNeedsNoRecursion) {
  DecodeLimits unlimited;
  unlimited.max_depth = std::numeric_limits<std::size_t>::max();
  EXPECT_EQ(decode_failure(repeated(0x81, 200000), unlimited).code, codec_errc::truncated);
  EXPECT_EQ(decode_failure(repeated(0x9f, 200000), unlimited).code, codec_errc::truncated);
}

TEST(Cbor, DepthLimit) {
  // The top-level container is depth 1.
  const DecodeLimits defaults;
  EXPECT_TRUE(decode(concat(repeated(0x81, defaults.max_depth), from_hex("00"))));
  EXPECT_EQ(decode_failure(concat(repeated(0x81, defaults.max_depth + 1), from_hex("00"))).code,
            codec_errc::too_deep);

  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_EQ(decoded(from_hex("81 9f a1 61 61 00 ff"), limits),  // [[_ {"a": 0}]]
            Value(Value::Array{Value::Array{Value::Object{{"a", 0}}}}));
  EXPECT_EQ(decode_failure(from_hex("81 9f a1 61 61 80 ff"), limits).code,  // [[_ {"a": []}]]
            codec_errc::too_deep);
  EXPECT_TRUE(decode(from_hex("81 81 bf ff"), limits));  // [[{_ }]]
  EXPECT_EQ(decode_failure(from_hex("81 81 81 bf ff"), limits).code, codec_errc::too_deep);
  limits.max_depth = 0;
  EXPECT_EQ(decoded(from_hex("61 61"), limits), Value("a"));
  EXPECT_EQ(decode_failure(from_hex("80"), limits).code, codec_errc::too_deep);
}

TEST(Cbor, ContainerItemLimit) {
  DecodeLimits limits;
  limits.max_container_items = 3;
  EXPECT_TRUE(decode(from_hex("83 01 02 03"), limits));
  EXPECT_EQ(decode_failure(from_hex("84 01 02 03 04"), limits).code, codec_errc::too_large);
  EXPECT_TRUE(decode(from_hex("9f 01 02 03 ff"), limits));
  EXPECT_EQ(decode_failure(from_hex("9f 01 02 03 04 ff"), limits).code, codec_errc::too_large);
  // {"a": 1, "b": 2, "c": 3} and one member more
  EXPECT_TRUE(decode(from_hex("a3 61 61 01 61 62 02 61 63 03"), limits));
  EXPECT_EQ(decode_failure(from_hex("a4 61 61 01 61 62 02 61 63 03 61 64 04"), limits).code,
            codec_errc::too_large);
  EXPECT_TRUE(decode(from_hex("bf 61 61 01 61 62 02 61 63 03 ff"), limits));
  EXPECT_EQ(decode_failure(from_hex("bf 61 61 01 61 62 02 61 63 03 61 64 04 ff"), limits).code,
            codec_errc::too_large);
}

TEST(Cbor, StringByteLimit) {
  DecodeLimits limits;
  limits.max_string_bytes = 4;
  EXPECT_EQ(decoded(from_hex("64 49 45 54 46"), limits), Value("IETF"));
  EXPECT_EQ(decode_failure(from_hex("65 49 45 54 46 46"), limits).code, codec_errc::too_large);
  EXPECT_TRUE(decode(from_hex("44 01 02 03 04"), limits));
  EXPECT_EQ(decode_failure(from_hex("45 01 02 03 04 05"), limits).code, codec_errc::too_large);
  // For indefinite-length strings the limit is on the whole: (_ "IE", "TF") and (_ "IE", "TFx").
  EXPECT_EQ(decoded(from_hex("7f 62 49 45 62 54 46 ff"), limits), Value("IETF"));
  EXPECT_EQ(decode_failure(from_hex("7f 62 49 45 63 54 46 78 ff"), limits).code,
            codec_errc::too_large);
  EXPECT_TRUE(decode(from_hex("5f 42 01 02 42 03 04 ff"), limits));
  EXPECT_EQ(decode_failure(from_hex("5f 42 01 02 43 03 04 05 ff"), limits).code,
            codec_errc::too_large);
  EXPECT_EQ(decode_failure(from_hex("a1 65 6b 65 79 73 73 01"), limits).code,  // {"keyss": 1}
            codec_errc::too_large);
}

TEST(Cbor, EncodeRefusesInvalidUtf8AndLeavesOutUnchanged) {
  const Value bad_values[] = {
      Value("\xff"), Value(Value::Array{1, "ok", Value::Object{{"k", "\xc3"}}}),
      Value(Value::Object{{"a", 1}, {"\xed\xa0\x80", 2}}),  // a surrogate in a key
  };
  for (const Value& bad : bad_values) {
    Bytes out = from_hex("aa bb");
    const Status status = cbor.encode(bad, out);
    ASSERT_FALSE(status) << bad.debug_string();
    EXPECT_EQ(status.error().code, codec_errc::not_encodable);
    EXPECT_EQ(to_hex(out), "aabb");
  }
}

TEST(Cbor, ErrorsUseTheCodecCategory) {
  EXPECT_EQ(&decode_failure(from_hex("ff")).code.category(), &codec_category());
}

}  // namespace
}  // namespace uvwamp
