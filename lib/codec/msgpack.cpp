// PLACEHOLDER: replaced by the real codec.
#include <uvwamp/serializer.hpp>

namespace uvwamp {
namespace {

class MsgpackSerializer final : public Serializer {
 public:
  std::string_view name() const noexcept override { return "msgpack"; }
  std::string_view websocket_subprotocol() const noexcept override { return "wamp.2.msgpack"; }
  std::uint8_t rawsocket_id() const noexcept override { return 2; }
  bool is_text() const noexcept override { return false; }
  Status encode(const Value&, std::vector<std::uint8_t>&) const override {
    return Error{codec_errc::not_encodable, "not implemented"};
  }
  Result<Value> decode(const std::uint8_t*, std::size_t, const DecodeLimits&) const override {
    return Error{codec_errc::malformed, "not implemented"};
  }
};

}  // namespace

const Serializer& msgpack_serializer() noexcept {
  static const MsgpackSerializer serializer;
  return serializer;
}

}  // namespace uvwamp
