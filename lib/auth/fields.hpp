// Reading the members of a CHALLENGE's extra (or of HELLO and WELCOME details), each refusal a
// sentence that names the message and the member. Only routers' values appear in the sentences,
// never a secret.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uvwamp::auth_fields {

// The string member `key` of `object`, or nullptr when it is absent or null. `where` names the
// object in the refusal ("CHALLENGE for wampcra") when the member is of another type.
Result<const std::string*, std::string> optional_string(const Value::Object& object,
                                                        std::string_view key,
                                                        std::string_view where);
// As optional_string, but an absent or null member is refused too.
Result<const std::string*, std::string> required_string(const Value::Object& object,
                                                        std::string_view key,
                                                        std::string_view where);

// The integer member `key` of `object`, which must lie in [min, max]; `fallback` when it is
// absent or null (refused when there is no fallback).
Result<std::uint32_t, std::string> bounded_integer(const Value::Object& object,
                                                   std::string_view key, std::string_view where,
                                                   std::uint32_t min, std::uint32_t max,
                                                   std::optional<std::uint32_t> fallback = {});

}  // namespace uvwamp::auth_fields
