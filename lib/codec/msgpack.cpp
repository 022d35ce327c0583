// MessagePack (github.com/msgpack/msgpack/blob/master/spec.md), WAMP's "wamp.2.msgpack".
//
// Encoding goes through msgpack-c's packer, which already picks the shortest form of every
// integer, str, bin, array and map header.
//
// Decoding does not use msgpack-c's unpacker (4.0), because it cannot honour DecodeLimits safely:
// - When it reads an array or map header it allocates count * sizeof(msgpack_object) from its
//   zone before any element is there (start_container in msgpack/unpack_template.h calls
//   template_callback_array/map in libmsgpackc, which call msgpack_zone_malloc). Six bytes
//   claiming 2^32-1 elements make it ask malloc for a 128 GiB zone chunk: AddressSanitizer
//   aborts the process, and without it the call fails as out of memory or, where memory is
//   overcommitted, reserves that much address space for one message.
// - Nesting is capped by MSGPACK_EMBED_STACK_SIZE (32, msgpack/unpack_define.h), fixed when
//   libmsgpackc was built, and hitting the cap is reported as MSGPACK_UNPACK_NOMEM_ERROR. So a
//   max_depth above 32 cannot be honoured, and too_deep cannot be told from out of memory.
// The decoder below reads straight into Value in one pass. It keeps the open containers on an
// explicit stack instead of recursing, checks every read against the end of the input, and
// refuses a count the remaining input could not hold before it reserves anything.
#include <uvwamp/serializer.hpp>

#include "codec/append_all_or_nothing.hpp"
#include "util/utf8.hpp"

#include <msgpack/pack.h>

#include <cstring>
#include <string>
#include <utility>

namespace uvwamp {
namespace {

// str 32, bin 32, array 32 and map 32 carry a 32-bit length; msgpack-c would silently truncate
// a longer one.
constexpr std::size_t kMaxLength = 0xffffffff;

std::string at_byte(std::size_t offset) {
  return "at byte " + std::to_string(offset);
}

Error fail(codec_errc code, const std::string& sentence) {
  return Error{code, "msgpack: " + sentence};
}

int append_to_vector(void* data, const char* buf, std::size_t len) {
  auto& out = *static_cast<std::vector<std::uint8_t>*>(data);
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(buf);
  out.insert(out.end(), bytes, bytes + len);
  return 0;
}

// Writes one Value through msgpack-c's packer. The packer's only failure would come from
// append_to_vector, which never reports one, so the msgpack_pack_* results are not checked.
class Encoder {
 public:
  explicit Encoder(std::vector<std::uint8_t>& out) {
    msgpack_packer_init(&packer_, &out, append_to_vector);
  }

  Status write_top(const Value& value) {
    if (write(value)) return {};
    return fail(
        codec_errc::not_encodable,
        "cannot encode the value " + (path_.empty() ? "itself" : "at " + path_) + ": " + reason_);
  }

 private:
  bool write(const Value& value) {
    switch (value.type()) {
      case Value::Type::null:
        msgpack_pack_nil(&packer_);
        return true;
      case Value::Type::boolean:
        if (value.to_bool().value()) {
          msgpack_pack_true(&packer_);
        } else {
          msgpack_pack_false(&packer_);
        }
        return true;
      case Value::Type::int64:
        msgpack_pack_int64(&packer_, value.to_int64().value());
        return true;
      case Value::Type::uint64:
        msgpack_pack_uint64(&packer_, value.to_uint64().value());
        return true;
      case Value::Type::real:
        msgpack_pack_double(&packer_, value.to_double().value());
        return true;
      case Value::Type::string:
        return write_string(*value.if_string(), "string");
      case Value::Type::binary:
        return write_binary(*value.if_binary());
      case Value::Type::array:
        return write_array(*value.if_array());
      case Value::Type::object:
        return write_object(*value.if_object());
    }
    reason_ = "unknown value type";
    return false;
  }

  bool write_string(const std::string& s, const char* what) {
    if (s.size() > kMaxLength) {
      reason_ = std::string(what) + " of " + std::to_string(s.size()) +
                " bytes is longer than str 32 allows";
      return false;
    }
    if (!utf8::is_valid(s.data(), s.size())) {
      reason_ = std::string(what) + " is not valid UTF-8";
      return false;
    }
    msgpack_pack_str_with_body(&packer_, s.data(), s.size());
    return true;
  }

  bool write_binary(const Value::Binary& bytes) {
    if (bytes.size() > kMaxLength) {
      reason_ = "binary of " + std::to_string(bytes.size()) + " bytes is longer than bin 32 allows";
      return false;
    }
    msgpack_pack_bin_with_body(&packer_, bytes.data(), bytes.size());
    return true;
  }

  bool write_array(const Value::Array& array) {
    if (array.size() > kMaxLength) {
      reason_ =
          "array of " + std::to_string(array.size()) + " elements is longer than array 32 allows";
      return false;
    }
    msgpack_pack_array(&packer_, array.size());
    for (std::size_t i = 0; i < array.size(); ++i) {
      if (!write(array[i])) {
        path_.insert(0, "[" + std::to_string(i) + "]");
        return false;
      }
    }
    return true;
  }

  bool write_object(const Value::Object& object) {
    if (object.size() > kMaxLength) {
      reason_ =
          "object of " + std::to_string(object.size()) + " members is longer than map 32 allows";
      return false;
    }
    msgpack_pack_map(&packer_, object.size());
    for (const auto& [key, member] : object) {
      if (!write_string(key, "a member key")) return false;
      if (!write(member)) {
        path_.insert(0, "[\"" + key + "\"]");
        return false;
      }
    }
    return true;
  }

  msgpack_packer packer_;
  std::string path_;    // where the failure is, e.g. [3]["options"], built while unwinding
  std::string reason_;  // what is wrong there
};

// One MessagePack item: a whole scalar, or the header of an array or map.
struct Item {
  enum class Kind { scalar, array, map };
  Kind kind = Kind::scalar;
  std::size_t at = 0;  // offset of its type byte
  Value scalar;
  std::size_t count = 0;  // elements of an array, members of a map
};

const char* container_name(Item::Kind kind) {
  return kind == Item::Kind::array ? "array" : "map";
}

// An array or map whose elements are still being read.
struct OpenContainer {
  Value value;  // a Value::Array or Value::Object, filled as its elements complete
  std::size_t remaining;
  std::string key;  // in a map: the key whose value is being read, once has_key is set
  bool has_key = false;
};

class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size, const DecodeLimits& limits)
      : data_(data), size_(size), limits_(limits) {}

  Result<Value> run() {
    std::vector<OpenContainer> open;
    for (;;) {
      Item item;
      Status read = read_item(item);
      if (!read) return read.error();
      if (!open.empty() && open.back().value.is_object() && !open.back().has_key) {
        Status key = take_key(open.back(), item);
        if (!key) return key.error();
        continue;
      }

      Value value;
      if (item.kind == Item::Kind::scalar) {
        value = std::move(item.scalar);
      } else {
        Status fits = check_container(item, open.size() + 1);
        if (!fits) return fits.error();
        if (item.count > 0) {
          open.push_back(start_container(item));
          continue;
        }
        value = item.kind == Item::Kind::array ? Value(Value::Array{}) : Value(Value::Object{});
      }

      // The value may complete its container, and that one its own, and so on upwards.
      while (!open.empty()) {
        OpenContainer& top = open.back();
        if (Value::Array* array = top.value.if_array()) {
          array->push_back(std::move(value));
        } else {
          top.value.if_object()->emplace(std::move(top.key), std::move(value));
          top.has_key = false;
        }
        if (--top.remaining > 0) break;
        value = std::move(top.value);
        open.pop_back();
      }
      if (open.empty()) {
        if (offset_ < size_) {
          return fail(codec_errc::trailing_data, std::to_string(size_ - offset_) +
                                                     " bytes follow the value that ends " +
                                                     at_byte(offset_));
        }
        return value;
      }
    }
  }

 private:
  std::size_t left() const { return size_ - offset_; }

  // The next `n` bytes; false, reading nothing, when fewer are left.
  bool take(std::size_t n, const std::uint8_t*& bytes) {
    if (n > left()) return false;
    bytes = data_ + offset_;
    offset_ += n;
    return true;
  }

  // An unsigned big-endian number of `width` bytes.
  bool read_number(std::size_t width, std::uint64_t& number) {
    const std::uint8_t* bytes;
    if (!take(width, bytes)) return false;
    number = 0;
    for (std::size_t i = 0; i < width; ++i) {
      number = number << 8 | bytes[i];
    }
    return true;
  }

  Error truncated(const char* what, std::size_t at) const {
    return fail(codec_errc::truncated, "input ends " + at_byte(size_) + ", inside the " + what +
                                           " that starts " + at_byte(at));
  }

  Status read_item(Item& item) {
    item.at = offset_;
    std::uint64_t type;
    if (!read_number(1, type)) {
      return fail(codec_errc::truncated,
                  "input ends " + at_byte(size_) + ", where a value should start");
    }
    if (type <= 0x7f) {  // positive fixint
      item.scalar = Value(type);
      return {};
    }
    if (type >= 0xe0) {  // negative fixint
      item.scalar = Value(static_cast<std::int8_t>(type));
      return {};
    }
    if (type <= 0x8f) return container(item, Item::Kind::map, type & 0x0f);
    if (type <= 0x9f) return container(item, Item::Kind::array, type & 0x0f);
    if (type <= 0xbf) return read_bytes(item, Value::Type::string, type & 0x1f);
    switch (type) {
      case 0xc0:
        item.scalar = nullptr;
        return {};
      case 0xc1:
        return fail(codec_errc::malformed, "reserved type byte 0xc1 " + at_byte(item.at));
      case 0xc2:
      case 0xc3:
        item.scalar = type == 0xc3;
        return {};
      case 0xc4:
      case 0xc5:
      case 0xc6:
        return read_sized_bytes(item, Value::Type::binary, std::size_t{1} << (type - 0xc4));
      case 0xca:
      case 0xcb:
        return read_float(item, type == 0xca ? 4 : 8);
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        return read_integer(item, std::size_t{1} << (type - 0xcc), false);
      case 0xd0:
      case 0xd1:
      case 0xd2:
      case 0xd3:
        return read_integer(item, std::size_t{1} << (type - 0xd0), true);
      case 0xd9:
      case 0xda:
      case 0xdb:
        return read_sized_bytes(item, Value::Type::string, std::size_t{1} << (type - 0xd9));
      case 0xdc:
      case 0xdd:
        return read_sized_container(item, Item::Kind::array, type == 0xdc ? 2 : 4);
      case 0xde:
      case 0xdf:
        return read_sized_container(item, Item::Kind::map, type == 0xde ? 2 : 4);
      default:  // ext 8/16/32 and fixext 1/2/4/8/16
        return fail(codec_errc::unsupported,
                    "ext type " + at_byte(item.at) + " has no uvwamp::Value form");
    }
  }

  Status read_integer(Item& item, std::size_t width, bool is_signed) {
    std::uint64_t bits;
    if (!read_number(width, bits)) return truncated(is_signed ? "int" : "uint", item.at);
    if (!is_signed) {
      item.scalar = Value(bits);
      return {};
    }
    switch (width) {
      case 1:
        item.scalar = Value(static_cast<std::int8_t>(bits));
        break;
      case 2:
        item.scalar = Value(static_cast<std::int16_t>(bits));
        break;
      case 4:
        item.scalar = Value(static_cast<std::int32_t>(bits));
        break;
      default:
        item.scalar = Value(static_cast<std::int64_t>(bits));
        break;
    }
    return {};
  }

  Status read_float(Item& item, std::size_t width) {
    std::uint64_t bits;
    if (!read_number(width, bits)) return truncated(width == 4 ? "float 32" : "float 64", item.at);
    if (width == 4) {
      const auto bits32 = static_cast<std::uint32_t>(bits);
      float single;
      std::memcpy(&single, &bits32, sizeof single);
      item.scalar = Value(static_cast<double>(single));
    } else {
      double real;
      std::memcpy(&real, &bits, sizeof real);
      item.scalar = Value(real);
    }
    return {};
  }

  Status read_sized_bytes(Item& item, Value::Type type, std::size_t width) {
    std::uint64_t length;
    if (!read_number(width, length)) {
      return truncated(type == Value::Type::string ? "str" : "bin", item.at);
    }
    return read_bytes(item, type, length);
  }

  Status read_bytes(Item& item, Value::Type type, std::uint64_t length) {
    const bool is_string = type == Value::Type::string;
    const char* what = is_string ? "str" : "bin";
    if (length > limits_.max_string_bytes) {
      return fail(codec_errc::too_large, std::string(what) + " " + at_byte(item.at) + " is " +
                                             std::to_string(length) + " bytes long, the limit is " +
                                             std::to_string(limits_.max_string_bytes));
    }
    const std::uint8_t* body;
    if (!take(static_cast<std::size_t>(length), body)) return truncated(what, item.at);
    if (!is_string) {
      item.scalar = Value(Value::Binary(body, body + length));
      return {};
    }
    const auto* text = reinterpret_cast<const char*>(body);
    if (!utf8::is_valid(text, length)) {
      return fail(codec_errc::malformed, "str " + at_byte(item.at) + " is not valid UTF-8");
    }
    item.scalar = Value(std::string(text, length));
    return {};
  }

  Status read_sized_container(Item& item, Item::Kind kind, std::size_t width) {
    std::uint64_t count;
    if (!read_number(width, count)) return truncated(container_name(kind), item.at);
    return container(item, kind, count);
  }

  static Status container(Item& item, Item::Kind kind, std::uint64_t count) {
    item.kind = kind;
    item.count = static_cast<std::size_t>(count);
    return {};
  }

  Status check_container(const Item& item, std::size_t depth) const {
    const char* what = container_name(item.kind);
    const bool is_map = item.kind == Item::Kind::map;
    if (depth > limits_.max_depth) {
      return fail(codec_errc::too_deep, std::string(what) + " " + at_byte(item.at) + " is nested " +
                                            std::to_string(depth) + " deep, the limit is " +
                                            std::to_string(limits_.max_depth));
    }
    const char* items = is_map ? " members" : " elements";
    if (item.count > limits_.max_container_items) {
      return fail(codec_errc::too_large, std::string(what) + " " + at_byte(item.at) + " has " +
                                             std::to_string(item.count) + items +
                                             ", the limit is " +
                                             std::to_string(limits_.max_container_items));
    }
    // Every element takes at least one byte, every member two (key and value): a count that the
    // rest of the input cannot hold is refused here, before anything is reserved for it.
    const std::size_t min_bytes = is_map ? 2 : 1;
    if (item.count > left() / min_bytes) {
      return fail(codec_errc::truncated, "input ends " + at_byte(size_) + ", before the " +
                                             std::to_string(item.count) + items + " of the " +
                                             what + " " + at_byte(item.at));
    }
    return {};
  }

  static OpenContainer start_container(const Item& item) {
    OpenContainer open;
    open.remaining = item.count;
    if (item.kind == Item::Kind::array) {
      Value::Array array;
      array.reserve(item.count);
      open.value = Value(std::move(array));
    } else {
      open.value = Value(Value::Object{});
    }
    return open;
  }

  static Status take_key(OpenContainer& map, Item& item) {
    std::string* key = item.kind == Item::Kind::scalar ? item.scalar.if_string() : nullptr;
    if (key == nullptr) {
      const char* type =
          item.kind == Item::Kind::scalar ? item.scalar.type_name() : container_name(item.kind);
      return fail(codec_errc::unsupported, "map key " + at_byte(item.at) + " is " + type +
                                               ", uvwamp::Value keys are strings");
    }
    if (map.value.if_object()->count(*key) > 0) {
      return fail(codec_errc::malformed, "duplicate map key " + at_byte(item.at));
    }
    map.key = std::move(*key);
    map.has_key = true;
    return {};
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t offset_ = 0;
  const DecodeLimits& limits_;
};

class MsgpackSerializer final : public Serializer {
 public:
  std::string_view name() const noexcept override { return "msgpack"; }
  std::string_view websocket_subprotocol() const noexcept override { return "wamp.2.msgpack"; }
  std::uint8_t rawsocket_id() const noexcept override { return 2; }
  bool is_text() const noexcept override { return false; }

  Status encode(const Value& value, std::vector<std::uint8_t>& out) const override {
    return append_all_or_nothing(out, [&] { return Encoder(out).write_top(value); });
  }

  Result<Value> decode(const std::uint8_t* data, std::size_t size,
                       const DecodeLimits& limits) const override {
    return Decoder(data, size, limits).run();
  }
};

}  // namespace

const Serializer& msgpack_serializer() noexcept {
  static const MsgpackSerializer serializer;
  return serializer;
}

}  // namespace uvwamp
