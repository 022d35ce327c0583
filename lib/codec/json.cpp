// PLACEHOLDER: replaced by the real codec.
#include <uvwamp/serializer.hpp>

namespace uvwamp {
namespace {

class JsonSerializer final : public Serializer {
 public:
  std::string_view name() const noexcept override { return "json"; }
  std::string_view websocket_subprotocol() const noexcept override { return "wamp.2.json"; }
  std::uint8_t rawsocket_id() const noexcept override { return 1; }
  bool is_text() const noexcept override { return true; }
  Status encode(const Value&, std::vector<std::uint8_t>&) const override {
    return Error{codec_errc::not_encodable, "not implemented"};
  }
  Result<Value> decode(const std::uint8_t*, std::size_t, const DecodeLimits&) const override {
    return Error{codec_errc::malformed, "not implemented"};
  }
};

}  // namespace

const Serializer& json_serializer() noexcept {
  static const JsonSerializer serializer;
  return serializer;
}

}  // namespace uvwamp
