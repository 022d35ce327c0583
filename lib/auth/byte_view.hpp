// A read-only view of bytes inside a buffer that outlives it (C++17 has no std::span).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace uvwamp {

struct ByteView {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;

  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
  bool equals(const std::uint8_t* other, std::size_t other_size) const {
    return size == other_size && (size == 0 || std::memcmp(data, other, size) == 0);
  }
};

}  // namespace uvwamp
