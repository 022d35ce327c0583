// A reader for the DER (X.690) that PKCS#8 key files are made of: one-byte tags, definite
// lengths, nothing read past the end of its buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "auth/byte_view.hpp"

namespace uvwamp::der {

namespace tag {
constexpr std::uint8_t integer = 0x02;
constexpr std::uint8_t bit_string = 0x03;
constexpr std::uint8_t octet_string = 0x04;
constexpr std::uint8_t null = 0x05;
constexpr std::uint8_t object_identifier = 0x06;
constexpr std::uint8_t sequence = 0x30;
// [n] with the constructed bit, and [n] IMPLICIT over a primitive type.
constexpr std::uint8_t context_constructed(std::uint8_t n) {
  return static_cast<std::uint8_t>(0xa0 | n);
}
constexpr std::uint8_t context_primitive(std::uint8_t n) {
  return static_cast<std::uint8_t>(0x80 | n);
}
}  // namespace tag

struct Element {
  std::uint8_t tag = 0;
  ByteView contents;
};

// Reads the elements of one level in order.
class Reader {
 public:
  Reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  explicit Reader(ByteView bytes) : Reader(bytes.data, bytes.size) {}

  // The next element: nullopt when the bytes left do not begin with a whole element.
  std::optional<Element> next();
  // The next element if it has tag `expected`, nullopt otherwise (nothing is consumed then).
  std::optional<Element> next(std::uint8_t expected);
  // The tag of the next element, if any.
  std::optional<std::uint8_t> peek_tag() const;
  bool at_end() const { return position_ == size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t position_ = 0;
};

// The value of a non-negative INTEGER that fits 32 bits.
std::optional<std::uint32_t> small_unsigned(const Element& integer);

// Compares an OBJECT IDENTIFIER's contents with `encoded` (its contents octets).
bool is_oid(const Element& element, ByteView encoded);

// The dotted form ("1.3.101.112") of an OBJECT IDENTIFIER's contents, for messages.
std::string oid_text(ByteView contents);

}  // namespace uvwamp::der
