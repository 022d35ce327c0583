// The SSH wire encoding (RFC 4251, section 5) that OpenSSH and PuTTY key files are made of:
// big-endian uint32 and length-prefixed strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "auth/byte_view.hpp"
#include "auth/wiped_bytes.hpp"

namespace uvwamp::ssh_wire {

// Reads fields in order; a read fails (nullopt) instead of reading past the end, and after a
// failed read every later one fails too, so testing the last of several reads tests them all.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  explicit Reader(ByteView bytes) : Reader(bytes.data, bytes.size) {}

  std::optional<std::uint32_t> uint32();
  std::optional<ByteView> string();
  std::optional<ByteView> bytes(std::size_t count);
  // What is left; nothing after a failed read.
  ByteView rest() const { return {data_ + position_, size_ - position_}; }
  bool at_end() const { return !failed_ && position_ == size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
  bool failed_ = false;
};

void append_uint32(WipedBytes& out, std::uint32_t value);
void append_string(WipedBytes& out, const std::uint8_t* data, std::size_t size);
void append_string(WipedBytes& out, std::string_view text);

}  // namespace uvwamp::ssh_wire
