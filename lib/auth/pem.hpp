// PEM (RFC 7468) as key files use it: "-----BEGIN <label>-----", base64 lines, "-----END
// <label>-----", with any text before the block.
#pragma once

#include <optional>
#include <string_view>

#include "auth/wiped_bytes.hpp"

namespace uvwamp::pem {

// The label of the first line that begins a PEM block, if there is one.
std::optional<std::string_view> first_label(std::string_view text);

// The bytes of the first block labelled `label`: nullopt when its END line is missing, or its body
// is not base64 (PEM headers such as Proc-Type included: no format read here has them).
std::optional<WipedBytes> decode_block(std::string_view text, std::string_view label);

}  // namespace uvwamp::pem
