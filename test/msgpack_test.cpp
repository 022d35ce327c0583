#include <uvwamp/serializer.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <new>
#include <ostream>
#include <string>
#include <vector>

// The largest single request to operator new since the last reset: lets a test show that a
// huge count claimed by a tiny input is refused without allocating for it.
namespace {
std::size_t largest_allocation = 0;
}  // namespace

// Not inlined, so that GCC does not take the malloc() and free() inside for a mismatch with
// operator new and delete.
[[gnu::noinline]] void* operator new(std::size_t size) {
  if (size > largest_allocation) largest_allocation = size;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace uvwamp {

// Lets GoogleTest show a Value that differs as text.
void PrintTo(const Value& value, std::ostream* os) {
  *os << value.debug_string();
}

namespace {

using Bytes = std::vector<std::uint8_t>;

const Serializer& msgpack = msgpack_serializer();

std::string hex(const Bytes& bytes) {
  std::string out;
  for (std::uint8_t b : bytes) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", b);
    if (!out.empty()) out += ' ';
    out += two;
  }
  return out;
}

Bytes encode(const Value& value) {
  Bytes out;
  Status status = msgpack.encode(value, out);
  EXPECT_TRUE(status.ok()) << status.error().message;
  return out;
}

Result<Value> decode(const Bytes& bytes, const DecodeLimits& limits = {}) {
  return msgpack.decode(bytes.data(), bytes.size(), limits);
}

// Encoding `value` gives exactly `bytes`, and decoding `bytes` gives back `value`.
void expect_both_ways(const Value& value, const Bytes& bytes) {
  EXPECT_EQ(hex(encode(value)), hex(bytes)) << value.debug_string();
  Result<Value> decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok()) << hex(bytes) << ": " << decoded.error().message;
  EXPECT_EQ(decoded.value(), value) << hex(bytes) << " gave " << decoded.value().debug_string();
}

// Decoding fails with `code`; returns the message so a test can look at it.
std::string expect_error(const Bytes& bytes, codec_errc code, const DecodeLimits& limits = {}) {
  Result<Value> decoded = decode(bytes, limits);
  if (decoded.ok()) {
    ADD_FAILURE() << hex(bytes) << " decoded to " << decoded.value().debug_string();
    return {};
  }
  EXPECT_EQ(decoded.error().code, make_error_code(code))
      << hex(bytes) << ": " << decoded.error().message;
  return decoded.error().message;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Bytes concat(Bytes head, const Bytes& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

// [48, 7814135, {}, "com.myapp.add", [23, 7]]
const Bytes kCall = {
    0x95,                          // array of 5
    0x30,                          // 48 CALL
    0xce, 0x00, 0x77, 0x3b, 0xf7,  // uint 32: 7814135 request id
    0x80,                          // {} options
    0xad, 'c',  'o',  'm',  '.',  'm', 'y', 'a', 'p', 'p', '.', 'a', 'd', 'd',  // fixstr 13
    0x92, 0x17, 0x07,                                                           // [23, 7] arguments
};

// [36, 5512315355, 4429313566, {}, [true, null, -1.5, b"\x01\x02", "é"], {"a": false, "b": -200}]
const Bytes kEvent = {
    0x96,                                                  // array of 6
    0x24,                                                  // 36 EVENT
    0xcf, 0x00, 0x00, 0x00, 0x01, 0x48, 0x8f, 0x41, 0xdb,  // uint 64: 5512315355
    0xcf, 0x00, 0x00, 0x00, 0x01, 0x08, 0x01, 0xf6, 0x1e,  // uint 64: 4429313566
    0x80,                                                  // {} details
    0x95,                                                  // arguments: array of 5
    0xc3,                                                  // true
    0xc0,                                                  // null
    0xcb, 0xbf, 0xf8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // float 64: -1.5
    0xc4, 0x02, 0x01, 0x02,                                // bin 8 of 2
    0xa2, 0xc3, 0xa9,                                      // fixstr 2: U+00E9
    0x82,                                                  // kwargs: map of 2
    0xa1, 'a',  0xc2,                                      // "a": false
    0xa1, 'b',  0xd1, 0xff, 0x38,                          // "b": int 16 -200
};

Value call_value() {
  return Value::Array{48, 7814135, Value::Object{}, "com.myapp.add", Value::Array{23, 7}};
}

Value event_value() {
  return Value::Array{
      36,
      std::int64_t{5512315355},
      std::int64_t{4429313566},
      Value::Object{},
      Value::Array{true, nullptr, -1.5, Value::Binary{0x01, 0x02}, "\xc3\xa9"},
      Value::Object{{"a", false}, {"b", -200}},
  };
}

TEST(Msgpack, DescribesItself) {
  EXPECT_EQ(msgpack.name(), "msgpack");
  EXPECT_EQ(msgpack.websocket_subprotocol(), "wamp.2.msgpack");
  EXPECT_EQ(msgpack.rawsocket_id(), 2);
  EXPECT_FALSE(msgpack.is_text());
  EXPECT_EQ(find_serializer("msgpack"), &msgpack);
}

TEST(Msgpack, WampMessagesBothWays) {
  expect_both_ways(call_value(), kCall);
  expect_both_ways(event_value(), kEvent);

  // [1, "realm1", {"roles": {"caller": {}, "subscriber": {}}}]
  expect_both_ways(
      Value::Array{1, "realm1",
                   Value::Object{{"roles", Value::Object{{"caller", Value::Object{}},
                                                         {"subscriber", Value::Object{}}}}}},
      {
          0x93,                                            // array of 3
          0x01,                                            // 1 HELLO
          0xa6, 'r', 'e',  'a', 'l', 'm', '1',             // "realm1"
          0x81,                                            // details: map of 1
          0xa5, 'r', 'o',  'l', 'e', 's',                  // "roles"
          0x82,                                            // map of 2
          0xa6, 'c', 'a',  'l', 'l', 'e', 'r', 0x80,       // "caller": {}
          0xaa, 's', 'u',  'b', 's', 'c', 'r', 'i',  'b',  // "subscriber" ...
          'e',  'r', 0x80,                                 // ... : {}
      });

  // [8, 48, 7814135, {}, "wamp.error.no_such_procedure"]
  expect_both_ways(Value::Array{8, 48, 7814135, Value::Object{}, "wamp.error.no_such_procedure"},
                   {
                       0x95,                          // array of 5
                       0x08,                          // 8 ERROR
                       0x30,                          // 48 CALL
                       0xce, 0x00, 0x77, 0x3b, 0xf7,  // 7814135
                       0x80,                          // {}
                       0xbc,                          // fixstr 28
                       'w',  'a',  'm',  'p',  '.',  'e', 'r', 'r', 'o', 'r', '.', 'n', 'o', '_',
                       's',  'u',  'c',  'h',  '_',  'p', 'r', 'o', 'c', 'e', 'd', 'u', 'r', 'e',
                   });
}

TEST(Msgpack, ScalarsBothWays) {
  expect_both_ways(nullptr, {0xc0});
  expect_both_ways(false, {0xc2});
  expect_both_ways(true, {0xc3});
  expect_both_ways(0.0, {0xcb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  expect_both_ways(1.0, {0xcb, 0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  expect_both_ways("", {0xa0});
  expect_both_ways(Value::Binary{}, {0xc4, 0x00});
  expect_both_ways(Value::Array{}, {0x90});
  expect_both_ways(Value::Object{}, {0x80});
}

TEST(Msgpack, IntegersTakeTheirShortestForm) {
  const std::pair<Value, Bytes> cases[] = {
      {0, {0x00}},                                                 // positive fixint
      {127, {0x7f}},                                               // positive fixint
      {128, {0xcc, 0x80}},                                         // uint 8
      {255, {0xcc, 0xff}},                                         // uint 8
      {256, {0xcd, 0x01, 0x00}},                                   // uint 16
      {65535, {0xcd, 0xff, 0xff}},                                 // uint 16
      {65536, {0xce, 0x00, 0x01, 0x00, 0x00}},                     // uint 32
      {std::int64_t{0xffffffff}, {0xce, 0xff, 0xff, 0xff, 0xff}},  // uint 32
      {std::int64_t{1} << 32, {0xcf, 0, 0, 0, 0x01, 0, 0, 0, 0}},  // uint 64
      {std::numeric_limits<std::int64_t>::max(),                   // uint 64
       {0xcf, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {std::uint64_t{1} << 63, {0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0}},  // uint 64
      {std::numeric_limits<std::uint64_t>::max(),                   // uint 64
       {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
      {-1, {0xff}},                              // negative fixint
      {-32, {0xe0}},                             // negative fixint
      {-33, {0xd0, 0xdf}},                       // int 8
      {-128, {0xd0, 0x80}},                      // int 8
      {-129, {0xd1, 0xff, 0x7f}},                // int 16
      {-32768, {0xd1, 0x80, 0x00}},              // int 16
      {-32769, {0xd2, 0xff, 0xff, 0x7f, 0xff}},  // int 32
      {std::numeric_limits<std::int32_t>::min(), {0xd2, 0x80, 0x00, 0x00, 0x00}},  // int 32
      {std::int64_t{std::numeric_limits<std::int32_t>::min()} - 1,                 // int 64
       {0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff}},
      {std::numeric_limits<std::int64_t>::min(),  // int 64
       {0xd3, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
  };
  for (const auto& [value, bytes] : cases)
    expect_both_ways(value, bytes);
}

TEST(Msgpack, IntegersKeepTheirKind) {
  Result<Value> above_int64 = decode({0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(above_int64.ok());
  EXPECT_EQ(above_int64->type(), Value::Type::uint64);
  EXPECT_EQ(above_int64->to_uint64().value(), std::uint64_t{1} << 63);

  Result<Value> smallest = decode({0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(smallest.ok());
  EXPECT_EQ(smallest->type(), Value::Type::int64);
  EXPECT_EQ(smallest->to_int64().value(), std::numeric_limits<std::int64_t>::min());
}

TEST(Msgpack, AcceptsLongerIntegerFormsThanNeeded) {
  const Bytes five_forms[] = {
      {0xcc, 0x05},                                            // uint 8
      {0xcd, 0x00, 0x05},                                      // uint 16
      {0xce, 0x00, 0x00, 0x00, 0x05},                          // uint 32
      {0xcf, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05},  // uint 64
      {0xd0, 0x05},                                            // int 8
      {0xd1, 0x00, 0x05},                                      // int 16
      {0xd2, 0x00, 0x00, 0x00, 0x05},                          // int 32
      {0xd3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05},  // int 64
  };
  for (const Bytes& bytes : five_forms) {
    Result<Value> decoded = decode(bytes);
    ASSERT_TRUE(decoded.ok()) << hex(bytes) << ": " << decoded.error().message;
    EXPECT_EQ(decoded.value(), Value(5)) << hex(bytes);
  }
  Result<Value> minus_one = decode({0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  ASSERT_TRUE(minus_one.ok());
  EXPECT_EQ(minus_one.value(), Value(-1));
}

TEST(Msgpack, Float32BecomesDouble) {
  Result<Value> one_and_half = decode({0xca, 0x3f, 0xc0, 0x00, 0x00});  // float 32: 1.5
  ASSERT_TRUE(one_and_half.ok());
  EXPECT_EQ(one_and_half.value(), Value(1.5));

  Result<Value> tenth = decode({0xca, 0x3d, 0xcc, 0xcc, 0xcd});  // float 32 nearest to 0.1
  ASSERT_TRUE(tenth.ok());
  EXPECT_EQ(tenth.value(), Value(static_cast<double>(0.1f)));
  EXPECT_NE(tenth.value(), Value(0.1));
  // Re-encoded as float 64: the value is a double now.
  EXPECT_EQ(hex(encode(one_and_half.value())), "cb 3f f8 00 00 00 00 00 00");
}

TEST(Msgpack, RealsAndIntegersStayApart) {
  Result<Value> real_one = decode({0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0});
  ASSERT_TRUE(real_one.ok());
  EXPECT_TRUE(real_one->is_real());
  EXPECT_NE(real_one.value(), Value(1));
}

Bytes header_then(Bytes header, std::size_t length, std::uint8_t fill) {
  header.insert(header.end(), length, fill);
  return header;
}

TEST(Msgpack, StringLengthBoundaries) {
  const std::pair<std::size_t, Bytes> cases[] = {
      {31, {0xbf}},                             // fixstr
      {32, {0xd9, 0x20}},                       // str 8
      {255, {0xd9, 0xff}},                      // str 8
      {256, {0xda, 0x01, 0x00}},                // str 16
      {65535, {0xda, 0xff, 0xff}},              // str 16
      {65536, {0xdb, 0x00, 0x01, 0x00, 0x00}},  // str 32
  };
  for (const auto& [length, header] : cases) {
    SCOPED_TRACE(length);
    expect_both_ways(std::string(length, 'x'), header_then(header, length, 'x'));
  }
}

TEST(Msgpack, BinaryLengthBoundaries) {
  const std::pair<std::size_t, Bytes> cases[] = {
      {31, {0xc4, 0x1f}},                       // bin 8
      {32, {0xc4, 0x20}},                       // bin 8
      {255, {0xc4, 0xff}},                      // bin 8
      {256, {0xc5, 0x01, 0x00}},                // bin 16
      {65535, {0xc5, 0xff, 0xff}},              // bin 16
      {65536, {0xc6, 0x00, 0x01, 0x00, 0x00}},  // bin 32
  };
  for (const auto& [length, header] : cases) {
    SCOPED_TRACE(length);
    expect_both_ways(Value::Binary(length, 0xab), header_then(header, length, 0xab));
  }
}

TEST(Msgpack, ContainerCountBoundaries) {
  const std::pair<std::size_t, Bytes> arrays[] = {
      {15, {0x9f}},                             // fixarray
      {16, {0xdc, 0x00, 0x10}},                 // array 16
      {65535, {0xdc, 0xff, 0xff}},              // array 16
      {65536, {0xdd, 0x00, 0x01, 0x00, 0x00}},  // array 32
  };
  for (const auto& [count, header] : arrays) {
    SCOPED_TRACE(count);
    expect_both_ways(Value::Array(count, nullptr), header_then(header, count, 0xc0));
  }

  // Maps of 15 and 16 members "a".."p", each mapped to null.
  Value::Object members;
  Bytes body;
  for (char c = 'a'; c < 'a' + 15; ++c) {
    members.emplace(std::string(1, c), nullptr);
    body.insert(body.end(), {0xa1, static_cast<std::uint8_t>(c), 0xc0});
  }
  expect_both_ways(members, concat({0x8f}, body));  // fixmap 15
  members.emplace("p", nullptr);
  body.insert(body.end(), {0xa1, 'p', 0xc0});
  expect_both_ways(members, concat({0xde, 0x00, 0x10}, body));  // map 16
}

TEST(Msgpack, DecodesMapKeysInAnyOrder) {
  Result<Value> decoded = decode({0x82, 0xa1, 'b', 0x02, 0xa1, 'a', 0x01});  // {"b": 2, "a": 1}
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), (Value::Object{{"a", 1}, {"b", 2}}));
}

TEST(Msgpack, EncodeAppendsToOutput) {
  Bytes out = {0xaa};
  ASSERT_TRUE(msgpack.encode(Value::Array{1, "x"}, out).ok());
  EXPECT_EQ(hex(out), "aa 92 01 a1 78");
}

TEST(Msgpack, EncodeRefusesInvalidUtf8AndLeavesOutputUnchanged) {
  const Bytes before = {0xaa, 0xbb};

  Bytes out = before;
  Status bad_string = msgpack.encode(Value::Array{1, "ok", Value::Object{{"k", "\xff"}}}, out);
  ASSERT_FALSE(bad_string.ok());
  EXPECT_EQ(bad_string.error().code, make_error_code(codec_errc::not_encodable));
  EXPECT_TRUE(contains(bad_string.error().message, "[2][\"k\"]")) << bad_string.error().message;
  EXPECT_EQ(hex(out), hex(before));

  Status bad_key = msgpack.encode(Value::Object{{"a", 1}, {"\xc0\x80", 2}}, out);  // overlong NUL
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.error().code, make_error_code(codec_errc::not_encodable));
  EXPECT_TRUE(contains(bad_key.error().message, "key")) << bad_key.error().message;
  EXPECT_EQ(hex(out), hex(before));

  Status bad_top = msgpack.encode("\xed\xa0\x80", out);  // a surrogate
  ASSERT_FALSE(bad_top.ok());
  EXPECT_EQ(bad_top.error().code, make_error_code(codec_errc::not_encodable));
  EXPECT_EQ(hex(out), hex(before));
}

TEST(Msgpack, TruncatedAtEveryOffset) {
  for (const Bytes* message : {&kCall, &kEvent}) {
    for (std::size_t size = 0; size < message->size(); ++size) {
      SCOPED_TRACE(size);
      expect_error(Bytes(message->begin(), message->begin() + size), codec_errc::truncated);
    }
  }
  EXPECT_EQ(msgpack.decode(nullptr, 0).error().code, make_error_code(codec_errc::truncated));
}

TEST(Msgpack, TruncationSaysWhere) {
  // uint 32 cut after two of its four bytes, inside [48, ...]
  const std::string message = expect_error({0x92, 0x30, 0xce, 0x00, 0x77}, codec_errc::truncated);
  EXPECT_TRUE(contains(message, "byte 5")) << message;
  EXPECT_TRUE(contains(message, "byte 2")) << message;
}

TEST(Msgpack, ReservedByteIsMalformed) {
  expect_error({0xc1}, codec_errc::malformed);
  const std::string message = expect_error({0x93, 0x01, 0x02, 0xc1}, codec_errc::malformed);
  EXPECT_TRUE(contains(message, "0xc1")) << message;
  EXPECT_TRUE(contains(message, "byte 3")) << message;
}

TEST(Msgpack, ExtTypesAreUnsupported) {
  const Bytes exts[] = {
      {0xd4, 0x01, 0x00},                          // fixext 1
      {0xd5, 0x01, 0x00, 0x00},                    // fixext 2
      {0xd6, 0xff, 0x00, 0x00, 0x00, 0x00},        // fixext 4: timestamp 32
      {0xd7, 0x01, 0, 0, 0, 0, 0, 0, 0, 0},        // fixext 8
      header_then({0xd8, 0x01}, 16, 0x00),         // fixext 16
      {0xc7, 0x01, 0x01, 0x00},                    // ext 8
      {0xc8, 0x00, 0x01, 0x01, 0x00},              // ext 16
      {0xc9, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00},  // ext 32
      {0x91, 0xd4, 0x01, 0x00},                    // inside an array
  };
  for (const Bytes& bytes : exts)
    expect_error(bytes, codec_errc::unsupported);
}

TEST(Msgpack, MapKeysMustBeStrings) {
  expect_error({0x81, 0x01, 0xc0}, codec_errc::unsupported);             // {1: null}
  expect_error({0x81, 0xc0, 0xc0}, codec_errc::unsupported);             // {null: null}
  expect_error({0x81, 0xc4, 0x01, 'a', 0xc0}, codec_errc::unsupported);  // {b"a": null}
  expect_error({0x81, 0x90, 0xc0}, codec_errc::unsupported);             // {[]: null}
  expect_error({0x81, 0x80, 0xc0}, codec_errc::unsupported);             // {{}: null}
  const std::string message =
      expect_error({0x82, 0xa1, 'a', 0x01, 0x02, 0x03}, codec_errc::unsupported);  // {"a": 1, 2: 3}
  EXPECT_TRUE(contains(message, "byte 4")) << message;
}

TEST(Msgpack, DuplicateMapKeysAreMalformed) {
  const std::string message =
      expect_error({0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02}, codec_errc::malformed);
  EXPECT_TRUE(contains(message, "duplicate")) << message;
  EXPECT_TRUE(contains(message, "byte 4")) << message;
  // The same key in two different maps is fine.
  EXPECT_TRUE(decode({0x92, 0x81, 0xa1, 'a', 0x01, 0x81, 0xa1, 'a', 0x02}).ok());
}

TEST(Msgpack, StringsMustBeUtf8) {
  expect_error({0xa2, 0xc3, 0x28}, codec_errc::malformed);        // bad continuation
  expect_error({0xa2, 0xc0, 0x80}, codec_errc::malformed);        // overlong NUL
  expect_error({0xa3, 0xed, 0xa0, 0x80}, codec_errc::malformed);  // surrogate U+D800
  expect_error({0xd9, 0x01, 0xff}, codec_errc::malformed);        // str 8
  expect_error({0x81, 0xa1, 0xff, 0xc0}, codec_errc::malformed);  // as a map key
  // A binary holds any bytes.
  EXPECT_TRUE(decode({0xc4, 0x01, 0xff}).ok());
}

TEST(Msgpack, TrailingBytesAreAnError) {
  const std::string message = expect_error({0xc0, 0xc0}, codec_errc::trailing_data);
  EXPECT_TRUE(contains(message, "byte 1")) << message;
  expect_error(concat(kCall, {0x00}), codec_errc::trailing_data);
  expect_error(concat(kCall, {0xc1}), codec_errc::trailing_data);
}

TEST(Msgpack, HugeClaimedCountsFailWithoutAllocating) {
  DecodeLimits unlimited;
  unlimited.max_container_items = std::numeric_limits<std::size_t>::max();
  unlimited.max_string_bytes = std::numeric_limits<std::size_t>::max();
  const Bytes claims[] = {
      {0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0},        // array 32 of 2^32-1, one element present
      {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0},        // map 32 of 2^32-1
      {0x91, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0},  // nested inside an array
      {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},         // str 32 of 2^32-1 bytes
      {0xc6, 0xff, 0xff, 0xff, 0xff, 'a'},         // bin 32 of 2^32-1 bytes
      {0xdc, 0x00, 0x03, 0xc0, 0xc0},              // array 16 of 3, two present
      {0x83, 0xa1, 'a', 0xc0, 0xa1, 'b'},          // fixmap of 3, needs 6 bytes, 5 present
  };
  for (const Bytes& bytes : claims) {
    SCOPED_TRACE(hex(bytes));
    largest_allocation = 0;
    expect_error(bytes, codec_errc::truncated, unlimited);
    EXPECT_LT(largest_allocation, 4096u);

    largest_allocation = 0;
    Result<Value> with_defaults = decode(bytes);
    EXPECT_FALSE(with_defaults.ok());
    EXPECT_LT(largest_allocation, 4096u);
  }
  expect_error({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0}, codec_errc::too_large);

  // The counter does see the allocations of a real decode.
  largest_allocation = 0;
  EXPECT_TRUE(decode(header_then({0xda, 0x27, 0x10}, 10000, 'x')).ok());  // str 16 of 10000
  EXPECT_GE(largest_allocation, 10000u);
}

Bytes nested_arrays(std::size_t depth) {
  return concat(Bytes(depth, 0x91), {0xc0});  // [[[...[null]...]]]
}

TEST(Msgpack, DepthLimit) {
  DecodeLimits limits;
  limits.max_depth = 3;
  EXPECT_TRUE(decode(nested_arrays(3), limits).ok());
  std::string message = expect_error(nested_arrays(4), codec_errc::too_deep, limits);
  EXPECT_TRUE(contains(message, "byte 3")) << message;
  // Maps count as well, and so does an empty container.
  EXPECT_TRUE(decode({0x81, 0xa1, 'a', 0x81, 0xa1, 'b', 0x90}, limits).ok());
  expect_error({0x81, 0xa1, 'a', 0x81, 0xa1, 'b', 0x91, 0x80}, codec_errc::too_deep, limits);

  limits.max_depth = 0;
  EXPECT_TRUE(decode({0x01}, limits).ok());
  expect_error({0x90}, codec_errc::too_deep, limits);

  // The default of 64 is honoured, above msgpack-c's own cap of 32.
  EXPECT_TRUE(decode(nested_arrays(64)).ok());
  expect_error(nested_arrays(65), codec_errc::too_deep);
}

TEST(Msgpack, DeepInputDoesNotExhaustTheStack) {
  DecodeLimits unlimited;
  unlimited.max_depth = std::numeric_limits<std::size_t>::max();
  expect_error(Bytes(200'000, 0x91), codec_errc::truncated, unlimited);
}

TEST(Msgpack, ContainerItemsLimit) {
  DecodeLimits limits;
  limits.max_container_items = 3;
  EXPECT_TRUE(decode({0x93, 0x01, 0x02, 0x03}, limits).ok());
  expect_error({0x94, 0x01, 0x02, 0x03, 0x04}, codec_errc::too_large, limits);
  EXPECT_TRUE(decode({0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02, 0xa1, 'c', 0x03}, limits).ok());
  expect_error({0x84, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02, 0xa1, 'c', 0x03, 0xa1, 'd', 0x04},
               codec_errc::too_large, limits);
}

TEST(Msgpack, StringBytesLimit) {
  DecodeLimits limits;
  limits.max_string_bytes = 4;
  EXPECT_TRUE(decode({0xa4, 'a', 'b', 'c', 'd'}, limits).ok());
  expect_error({0xa5, 'a', 'b', 'c', 'd', 'e'}, codec_errc::too_large, limits);
  EXPECT_TRUE(decode({0xc4, 0x04, 1, 2, 3, 4}, limits).ok());
  expect_error({0xc4, 0x05, 1, 2, 3, 4, 5}, codec_errc::too_large, limits);
  EXPECT_TRUE(decode({0x81, 0xa4, 'a', 'b', 'c', 'd', 0xc0}, limits).ok());
  expect_error({0x81, 0xa5, 'a', 'b', 'c', 'd', 'e', 0xc0}, codec_errc::too_large, limits);
}

}  // namespace
}  // namespace uvwamp
