#include "util/base64.hpp"

#include <array>

namespace uvwamp::base64 {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::uint8_t invalid = 0xff;

constexpr std::array<std::uint8_t, 256> make_reverse() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table)
    entry = invalid;
  for (std::uint8_t i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(alphabet[i])] = i;
  return table;
}
constexpr std::array<std::uint8_t, 256> reverse = make_reverse();

}  // namespace

void encode_append(const std::uint8_t* data, std::size_t size, std::string& out) {
  out.reserve(out.size() + (size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t group =
        std::uint32_t{data[i]} << 16 | std::uint32_t{data[i + 1]} << 8 | data[i + 2];
    out += alphabet[group >> 18];
    out += alphabet[(group >> 12) & 63];
    out += alphabet[(group >> 6) & 63];
    out += alphabet[group & 63];
  }
  const std::size_t rest = size - i;
  if (rest == 0) return;
  std::uint32_t group = std::uint32_t{data[i]} << 16;
  if (rest == 2) group |= std::uint32_t{data[i + 1]} << 8;
  out += alphabet[group >> 18];
  out += alphabet[(group >> 12) & 63];
  out += rest == 2 ? alphabet[(group >> 6) & 63] : '=';
  out += '=';
}

std::string encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  encode_append(data, size, out);
  return out;
}

std::optional<std::vector<std::uint8_t>> decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t digits = last ? 4 - padding : 4;
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::uint8_t sextet = 0;
      if (k < digits) {
        sextet = reverse[static_cast<unsigned char>(text[i + k])];
        if (sextet == invalid) return std::nullopt;
      }
      group = group << 6 | sextet;
    }
    out.push_back(static_cast<std::uint8_t>(group >> 16));
    if (digits > 2) out.push_back(static_cast<std::uint8_t>(group >> 8));
    if (digits > 3) out.push_back(static_cast<std::uint8_t>(group));
    // Canonical input only: the bits that padding drops must be zero.
    if (digits == 2 && (group & 0xffff) != 0) return std::nullopt;
    if (digits == 3 && (group & 0xff) != 0) return std::nullopt;
  }
  return out;
}

}  // namespace uvwamp::base64
