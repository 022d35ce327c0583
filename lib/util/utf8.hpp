// UTF-8 validation (RFC 3629): WAMP strings are UTF-8 in every serialization, and a string
// that arrives as MessagePack or CBOR must stay representable in JSON.
#pragma once

#include <cstddef>

namespace uvwamp::utf8 {

// True when [data, data + size) is well-formed UTF-8: no overlong forms, no surrogates, nothing
// above U+10FFFF, no truncated sequence.
bool is_valid(const char* data, std::size_t size) noexcept;

}  // namespace uvwamp::utf8
