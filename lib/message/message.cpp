// PLACEHOLDER: replaced by the real message table.
#include "message/message.hpp"

namespace uvwamp::msg {

uvwamp::Result<Message> parse_message(Value) {
  return uvwamp::Error{protocol_errc::invalid_message, "not implemented"};
}

}  // namespace uvwamp::msg

namespace uvwamp {
const std::error_category& protocol_category() noexcept { return std::generic_category(); }
std::error_code make_error_code(protocol_errc e) noexcept { return {static_cast<int>(e), protocol_category()}; }
}  // namespace uvwamp
