// Base64 (RFC 4648, standard alphabet, with padding): WAMP's JSON binary convention and key
// files both use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp::base64 {

std::string encode(const std::uint8_t* data, std::size_t size);
void encode_append(const std::uint8_t* data, std::size_t size, std::string& out);

// nullopt when `text` is not canonical padded base64 (a wrong length, a foreign character,
// padding in the middle, or non-zero bits in the final, padded group).
std::optional<std::vector<std::uint8_t>> decode(std::string_view text);

}  // namespace uvwamp::base64
