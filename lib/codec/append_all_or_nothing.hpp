// Serializer::encode() promises to leave `out` as it was when it fails, even when the vector's
// growth throws. The streaming encoders append as they go; this undoes a partial append.
#pragma once

#include <uvwamp/result.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace uvwamp {

template <class Write>
Status append_all_or_nothing(std::vector<std::uint8_t>& out, Write&& write) {
  const std::size_t original_size = out.size();
  Status status;
  try {
    status = write();
  } catch (...) {
    out.resize(original_size);
    throw;
  }
  if (!status) out.resize(original_size);
  return status;
}

}  // namespace uvwamp
