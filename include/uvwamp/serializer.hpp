// uvwamp::Serializer: turns a Value into bytes and back, for one WAMP serialization.
//
// uvwamp ships three (json, msgpack, cbor); a program can add its own by deriving from
// Serializer and handing an instance to the client. Serializers are stateless: one instance may
// be shared by every connection and called from any thread.
//
// decode() takes exactly one serialized value (one WAMP message frame): trailing bytes are an
// error. It never reads outside [data, data + size), never crashes on hostile input, and stops
// with codec_errc::too_deep or too_large when the input exceeds the DecodeLimits. encode()
// appends to `out` and leaves it unchanged when it fails.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

namespace uvwamp {

enum class codec_errc {
  malformed = 1,  // not valid in this serialization
  truncated,      // the input ends inside a value
  trailing_data,  // bytes follow the value
  too_deep,       // arrays and objects nest deeper than DecodeLimits::max_depth
  too_large,      // a container or string is larger than the DecodeLimits allow
  unsupported,  // valid in the serialization, but has no Value (an ext type, a map key that is not
                // a string)
  not_encodable,  // the Value cannot be written in this serialization (NaN in JSON, invalid UTF-8)
};

const std::error_category& codec_category() noexcept;
std::error_code make_error_code(codec_errc e) noexcept;

struct DecodeLimits {
  std::size_t max_depth = 64;                  // arrays and objects inside each other
  std::size_t max_container_items = 1u << 20;  // elements of one array or members of one object
  std::size_t max_string_bytes = 64u << 20;    // bytes of one string or binary
};

class Serializer {
 public:
  virtual ~Serializer() = default;

  virtual std::string_view name() const noexcept = 0;                   // "json"
  virtual std::string_view websocket_subprotocol() const noexcept = 0;  // "wamp.2.json"
  virtual std::uint8_t rawsocket_id() const noexcept = 0;               // 1 (RawSocket handshake)
  virtual bool is_text() const noexcept = 0;  // sent as WebSocket text frames

  virtual Status encode(const Value& value, std::vector<std::uint8_t>& out) const = 0;
  virtual Result<Value> decode(const std::uint8_t* data, std::size_t size,
                               const DecodeLimits& limits = {}) const = 0;
};

const Serializer& json_serializer() noexcept;
const Serializer& msgpack_serializer() noexcept;
const Serializer& cbor_serializer() noexcept;

// One of the three above by name ("json", "msgpack", "cbor"); nullptr for any other name.
const Serializer* find_serializer(std::string_view name) noexcept;

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::codec_errc> : true_type {};
}  // namespace std
