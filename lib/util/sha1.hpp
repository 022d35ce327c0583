// SHA-1 (FIPS 180-4): only for the WebSocket opening handshake, whose Sec-WebSocket-Accept is a
// SHA-1 digest (RFC 6455, section 4.2.2). SHA-1 no longer resists collisions; nothing in uvwamp
// relies on it for security.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace uvwamp::sha1 {

using Digest = std::array<std::uint8_t, 20>;

Digest digest(const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace uvwamp::sha1
