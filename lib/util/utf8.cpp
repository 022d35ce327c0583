#include "util/utf8.hpp"

#include <cstdint>

namespace uvwamp::utf8 {

bool is_valid(const char* data, std::size_t size) noexcept {
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data);
  std::size_t i = 0;
  while (i < size) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    // The second byte's range carries the rules against overlong forms and surrogates.
    std::uint8_t second_min = 0x80, second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) second_min = 0xa0;
      if (lead == 0xed) second_max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) second_min = 0x90;
      if (lead == 0xf4) second_max = 0x8f;
    } else {
      return false;
    }
    if (size - i < length) return false;
    if (bytes[i + 1] < second_min || bytes[i + 1] > second_max) return false;
    for (std::size_t k = 2; k < length; ++k) {
      if ((bytes[i + k] & 0xc0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

}  // namespace uvwamp::utf8
