#include "auth/der.hpp"

namespace uvwamp::der {
namespace {

// Lengths this long are far beyond any key file; refusing them keeps the arithmetic in range.
constexpr std::size_t max_length_octets = 4;

}  // namespace

std::optional<Element> Reader::next() {
  std::size_t at = position_;
  if (size_ - at < 2) return std::nullopt;
  const std::uint8_t element_tag = data_[at++];
  // Tag numbers above 30 take more octets: no structure read here uses them.
  if ((element_tag & 0x1f) == 0x1f) return std::nullopt;
  std::size_t length = data_[at++];
  if (length & 0x80) {
    const std::size_t octets = length & 0x7f;
    // 0x80 is BER's indefinite length, which DER forbids.
    if (octets == 0 || octets > max_length_octets || size_ - at < octets) return std::nullopt;
    length = 0;
    for (std::size_t i = 0; i < octets; ++i)
      length = length << 8 | data_[at++];
  }
  if (length > size_ - at) return std::nullopt;
  position_ = at + length;
  return Element{element_tag, ByteView{data_ + at, length}};
}

std::optional<Element> Reader::next(std::uint8_t expected) {
  if (peek_tag() != expected) return std::nullopt;
  return next();
}

std::optional<std::uint8_t> Reader::peek_tag() const {
  if (at_end()) return std::nullopt;
  return data_[position_];
}

std::optional<std::uint32_t> small_unsigned(const Element& integer) {
  const ByteView& value = integer.contents;
  if (integer.tag != tag::integer || value.size == 0) return std::nullopt;
  if (value.data[0] & 0x80) return std::nullopt;  // negative
  std::size_t start = 0;
  // One leading zero octet is how a positive INTEGER with its top bit set is written.
  while (start + 1 < value.size && value.data[start] == 0)
    ++start;
  if (value.size - start > 4) return std::nullopt;
  std::uint32_t result = 0;
  for (std::size_t i = start; i < value.size; ++i)
    result = result << 8 | value.data[i];
  return result;
}

bool is_oid(const Element& element, ByteView encoded) {
  return element.tag == tag::object_identifier &&
         element.contents.equals(encoded.data, encoded.size);
}

std::string oid_text(ByteView contents) {
  std::string text;
  std::uint64_t arc = 0;
  bool first = true;
  for (std::size_t i = 0; i < contents.size; ++i) {
    // An arc too long for 64 bits is no OID any key file uses; stop rather than overflow.
    if (arc >> 57) return text + "...";
    arc = arc << 7 | (contents.data[i] & 0x7f);
    if (contents.data[i] & 0x80) continue;
    if (first) {
      const std::uint64_t top = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      text = std::to_string(top) + "." + std::to_string(arc - 40 * top);
      first = false;
    } else {
      text += "." + std::to_string(arc);
    }
    arc = 0;
  }
  return text;
}

}  // namespace uvwamp::der
