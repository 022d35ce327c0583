#include <uvwamp/serializer.hpp>

namespace uvwamp {
namespace {

class CodecCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.codec"; }
  std::string message(int code) const override {
    switch (static_cast<codec_errc>(code)) {
      case codec_errc::malformed:
        return "malformed input";
      case codec_errc::truncated:
        return "input ends inside a value";
      case codec_errc::trailing_data:
        return "bytes follow the value";
      case codec_errc::too_deep:
        return "nesting deeper than the limit";
      case codec_errc::too_large:
        return "container or string larger than the limit";
      case codec_errc::unsupported:
        return "value has no uvwamp::Value form";
      case codec_errc::not_encodable:
        return "value cannot be written in this serialization";
    }
    return "unknown codec error";
  }
};

}  // namespace

const std::error_category& codec_category() noexcept {
  static const CodecCategory category;
  return category;
}

std::error_code make_error_code(codec_errc e) noexcept {
  return {static_cast<int>(e), codec_category()};
}

const Serializer* find_serializer(std::string_view name) noexcept {
  for (const Serializer* serializer :
       {&json_serializer(), &msgpack_serializer(), &cbor_serializer()}) {
    if (serializer->name() == name) return serializer;
  }
  return nullptr;
}

}  // namespace uvwamp
