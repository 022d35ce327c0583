// Bytes that held key material or a key derived from a passphrase: wiped when they go away, and
// grown only through append(), which wipes the buffer it leaves, so no copy stays behind.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "auth/crypto.hpp"

namespace uvwamp {

class WipedBytes {
 public:
  WipedBytes() = default;
  explicit WipedBytes(std::size_t size) : bytes_(size) {}
  // Takes over the buffer of `bytes` (moving a vector moves its buffer, copying nothing).
  explicit WipedBytes(std::vector<std::uint8_t>&& bytes) : bytes_(std::move(bytes)) {}
  WipedBytes(const std::uint8_t* data, std::size_t size) : bytes_(data, data + size) {}
  WipedBytes(WipedBytes&& other) noexcept = default;
  WipedBytes& operator=(WipedBytes&& other) noexcept {
    wipe();
    bytes_ = std::move(other.bytes_);
    return *this;
  }
  WipedBytes(const WipedBytes&) = delete;
  WipedBytes& operator=(const WipedBytes&) = delete;
  ~WipedBytes() { wipe(); }

  std::uint8_t* data() noexcept { return bytes_.data(); }
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  bool empty() const noexcept { return bytes_.empty(); }
  std::uint8_t& operator[](std::size_t i) noexcept { return bytes_[i]; }
  std::uint8_t operator[](std::size_t i) const noexcept { return bytes_[i]; }

  void reserve(std::size_t capacity) {
    if (capacity > bytes_.capacity()) move_to_buffer_of(capacity);
  }
  void append(const std::uint8_t* data, std::size_t size) {
    if (bytes_.size() + size > bytes_.capacity())
      move_to_buffer_of(std::max(2 * bytes_.capacity(), bytes_.size() + size));
    bytes_.insert(bytes_.end(), data, data + size);
  }

 private:
  void wipe() noexcept { crypto::wipe(bytes_.data(), bytes_.size()); }
  void move_to_buffer_of(std::size_t capacity) {
    std::vector<std::uint8_t> bigger;
    bigger.reserve(capacity);
    bigger.assign(bytes_.begin(), bytes_.end());
    wipe();
    bytes_.swap(bigger);
  }

  std::vector<std::uint8_t> bytes_;
};

}  // namespace uvwamp
