#include "auth/pem.hpp"

#include <string>

#include "auth/byte_view.hpp"
#include "util/base64.hpp"

namespace uvwamp::pem {
namespace {

constexpr std::string_view begin_prefix = "-----BEGIN ";
constexpr std::string_view end_prefix = "-----END ";
constexpr std::string_view dashes = "-----";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Where the line beginning with `prefix` starts, or npos.
std::size_t find_line_starting(std::string_view text, std::string_view prefix, std::size_t from) {
  for (std::size_t at = text.find(prefix, from); at != std::string_view::npos;
       at = text.find(prefix, at + 1)) {
    if (at == 0 || text[at - 1] == '\n') return at;
  }
  return std::string_view::npos;
}

std::string marker(std::string_view prefix, std::string_view label) {
  return std::string(prefix) + std::string(label) + std::string(dashes);
}

}  // namespace

std::optional<std::string_view> first_label(std::string_view text) {
  const std::size_t begin = find_line_starting(text, begin_prefix, 0);
  if (begin == std::string_view::npos) return std::nullopt;
  const std::size_t label_start = begin + begin_prefix.size();
  const std::size_t label_end = text.find(dashes, label_start);
  if (label_end == std::string_view::npos) return std::nullopt;
  const std::string_view label = text.substr(label_start, label_end - label_start);
  if (label.find('\n') != std::string_view::npos) return std::nullopt;
  return label;
}

std::optional<WipedBytes> decode_block(std::string_view text, std::string_view label) {
  const std::string begin_line = marker(begin_prefix, label);
  const std::size_t begin = find_line_starting(text, begin_line, 0);
  if (begin == std::string_view::npos) return std::nullopt;
  const std::size_t body_start = begin + begin_line.size();
  const std::size_t end = find_line_starting(text, marker(end_prefix, label), body_start);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view body = text.substr(body_start, end - body_start);
  // The base64 text without its line breaks: for an unencrypted key, as secret as the key.
  WipedBytes base64_text;
  base64_text.reserve(body.size());
  for (char c : body) {
    if (!is_space(c)) base64_text.append(reinterpret_cast<const std::uint8_t*>(&c), 1);
  }
  auto bytes = base64::decode(ByteView{base64_text.data(), base64_text.size()}.text());
  if (!bytes) return std::nullopt;
  return WipedBytes(std::move(*bytes));
}

}  // namespace uvwamp::pem
