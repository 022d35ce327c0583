// Hex text for bytes: the CLI's --hex mode, and test vectors written as commented hex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace uvwamp::hex {

// Lower-case digits, no separators.
std::string encode(const std::uint8_t* data, std::size_t size);

// Accepts either case and ignores ASCII white space between digit pairs; nullopt for any other
// character or an odd number of digits.
std::optional<std::vector<std::uint8_t>> decode(std::string_view text);

}  // namespace uvwamp::hex
