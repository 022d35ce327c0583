// libFuzzer target for the message layer: the first byte picks a serializer, the rest is one
// serialized message. A message that parses must build back into a Value that parses to the
// same message.
#include <uvwamp/serializer.hpp>

#include <cstdlib>

#include "equal_but_nan.hpp"
#include "message/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const uvwamp::Serializer* serializers[] = {
      &uvwamp::json_serializer(), &uvwamp::msgpack_serializer(), &uvwamp::cbor_serializer()};
  const uvwamp::Serializer& serializer = *serializers[data[0] % 3];
  uvwamp::Result<uvwamp::Value> decoded = serializer.decode(data + 1, size - 1);
  if (!decoded) return 0;
  auto message = uvwamp::msg::parse_message(std::move(decoded).value());
  if (!message) return 0;
  uvwamp::Value built = uvwamp::msg::build_message(message.value());
  auto reparsed = uvwamp::msg::parse_message(built);
  if (!reparsed) std::abort();
  if (!uvwamp::fuzz::equal_but_nan(uvwamp::msg::build_message(reparsed.value()), built))
    std::abort();
  return 0;
}
