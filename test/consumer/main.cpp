// A program outside uvwamp that sees only its public headers and its library, as a user's
// program does. It sends a Value through the JSON serializer and back, prints both forms, and
// exits non-zero when the round trip fails or changes the value.
#include <uvwamp/serializer.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <cstdio>
#include <vector>

int main() {
  using uvwamp::Value;
  const Value sent = Value::Object{
      {"args", Value::Array{1, -2, 0.25, "h\xC3\xA9llo", true, nullptr}},
      {"kwargs", Value::Object{{"empty", Value::Array{}}, {"topic", "com.example.event"}}},
  };

  const uvwamp::Serializer& json = uvwamp::json_serializer();
  std::vector<std::uint8_t> bytes;
  if (const uvwamp::Status encoded = json.encode(sent, bytes); !encoded) {
    std::fprintf(stderr, "encode failed: %s\n", encoded.error().message.c_str());
    return 1;
  }
  std::printf("encoded: %.*s\n", static_cast<int>(bytes.size()),
              reinterpret_cast<const char*>(bytes.data()));

  const uvwamp::Result<Value> received = json.decode(bytes.data(), bytes.size());
  if (!received) {
    std::fprintf(stderr, "decode failed: %s\n", received.error().message.c_str());
    return 1;
  }
  std::printf("decoded: %s\n", received->debug_string().c_str());

  if (received.value() != sent) {
    std::fprintf(stderr, "round trip changed the value: sent %s\n", sent.debug_string().c_str());
    return 1;
  }
  std::puts("round trip ok");
  return 0;
}
