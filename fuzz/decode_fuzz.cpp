// One libFuzzer target per serializer (UVWAMP_FUZZ_SERIALIZER picks it at build time). Beyond
// "no crash, no leak, no read out of bounds", it checks the codec's promise that whatever it
// decodes it can encode again, and that the result decodes to the same Value.
#include <uvwamp/serializer.hpp>

#include <cstdlib>

#include "equal_but_nan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const uvwamp::Serializer& serializer = uvwamp::UVWAMP_FUZZ_SERIALIZER();
  uvwamp::Result<uvwamp::Value> decoded = serializer.decode(data, size);
  if (!decoded) return 0;
  std::vector<std::uint8_t> encoded;
  if (!serializer.encode(decoded.value(), encoded)) std::abort();
  uvwamp::Result<uvwamp::Value> again = serializer.decode(encoded.data(), encoded.size());
  if (!again) std::abort();
  if (!uvwamp::fuzz::equal_but_nan(again.value(), decoded.value())) std::abort();
  return 0;
}
