#include "auth/ssh_wire.hpp"

namespace uvwamp::ssh_wire {

std::optional<std::uint32_t> Reader::uint32() {
  const auto field = bytes(4);
  if (!field) return std::nullopt;
  return std::uint32_t{field->data[0]} << 24 | std::uint32_t{field->data[1]} << 16 |
         std::uint32_t{field->data[2]} << 8 | field->data[3];
}

std::optional<ByteView> Reader::string() {
  const auto length = uint32();
  if (!length) return std::nullopt;
  return bytes(*length);
}

std::optional<ByteView> Reader::bytes(std::size_t count) {
  if (failed_ || count > size_ - position_) {
    failed_ = true;
    position_ = size_;
    return std::nullopt;
  }
  const ByteView field{data_ + position_, count};
  position_ += count;
  return field;
}

void append_uint32(WipedBytes& out, std::uint32_t value) {
  const std::uint8_t bytes[4] = {
      static_cast<std::uint8_t>(value >> 24), static_cast<std::uint8_t>(value >> 16),
      static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
  out.append(bytes, sizeof bytes);
}

void append_string(WipedBytes& out, const std::uint8_t* data, std::size_t size) {
  append_uint32(out, static_cast<std::uint32_t>(size));
  out.append(data, size);
}

void append_string(WipedBytes& out, std::string_view text) {
  append_string(out, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

}  // namespace uvwamp::ssh_wire
