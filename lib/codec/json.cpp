// WAMP's JSON serialization (WAMP spec, basic profile, "Serializations"), built on jansson.
//
// JSON has no bytes type, so WAMP writes binary as a string made of a NUL character followed by
// the standard base64 of the bytes, and reads every string that starts with NUL back as binary.
#include <uvwamp/serializer.hpp>

#include "util/base64.hpp"

#include <jansson.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <utility>

namespace uvwamp {
namespace {

struct JsonRelease {
  void operator()(json_t* json) const noexcept { json_decref(json); }
};
using JsonPtr = std::unique_ptr<json_t, JsonRelease>;

constexpr std::size_t load_flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES;

// jansson writes reals with printf's "%.<precision>g" and appends ".0" when that looks like an
// integer, so 1.0 is written "1.0" and stays a real. 17 significant digits (DBL_DECIMAL_DIG) is
// the least that brings every finite double back exactly; with 15, 0.1 would print as "0.1" but
// 0.1 + 0.2 would come back as 0.3. The cost is noise digits: 0.1 prints as
// "0.10000000000000001", which every JSON reader parses back to the same double.
constexpr std::size_t dump_flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);

Error encode_error(std::string message) {
  return Error{codec_errc::not_encodable, "JSON: " + std::move(message)};
}

// Builds jansson's tree for a Value; nullptr, with `error` set, when the Value has no JSON form.
class TreeWriter {
 public:
  JsonPtr write(const Value& value) {
    switch (value.type()) {
      case Value::Type::null:
        return JsonPtr(json_null());
      case Value::Type::boolean:
        return JsonPtr(json_boolean(value.to_bool().value()));
      case Value::Type::int64:
        return JsonPtr(json_integer(value.to_int64().value()));
      case Value::Type::uint64:
        // Value keeps only integers above INT64_MAX as uint64, and json_int_t is int64.
        return fail("integer " + std::to_string(value.to_uint64().value()) +
                    " is above INT64_MAX, which jansson cannot write");
      case Value::Type::real:
        return write_real(value.to_double().value());
      case Value::Type::string:
        return write_string(*value.if_string());
      case Value::Type::binary:
        return write_binary(*value.if_binary());
      case Value::Type::array:
        return write_array(*value.if_array());
      case Value::Type::object:
        return write_object(*value.if_object());
    }
    return fail("unknown value type");
  }

  Error take_error() { return std::move(error_); }

 private:
  JsonPtr fail(std::string message) {
    error_ = encode_error(std::move(message));
    return nullptr;
  }

  JsonPtr write_real(double real) {
    if (!std::isfinite(real)) return fail("NaN and infinity have no JSON form");
    return JsonPtr(json_real(real));
  }

  JsonPtr write_string(const std::string& text) {
    if (!text.empty() && text.front() == '\0') {
      return fail("a string that starts with NUL would be read back as binary");
    }
    JsonPtr json(json_stringn(text.data(), text.size()));
    if (!json) return fail("string is not valid UTF-8");
    return json;
  }

  JsonPtr write_binary(const Value::Binary& bytes) {
    std::string text;
    text.reserve(1 + (bytes.size() + 2) / 3 * 4);
    text += '\0';
    base64::encode_append(bytes.data(), bytes.size(), text);
    // NUL and base64 digits are ASCII, so jansson's UTF-8 check has nothing to find.
    return JsonPtr(json_stringn_nocheck(text.data(), text.size()));
  }

  JsonPtr write_array(const Value::Array& items) {
    JsonPtr array(json_array());
    if (!array) return fail("out of memory");
    for (const Value& item : items) {
      JsonPtr json = write(item);
      if (!json) return nullptr;
      // The *_new calls take the reference even when they fail.
      if (json_array_append_new(array.get(), json.release()) != 0) return fail("out of memory");
    }
    return array;
  }

  // jansson keeps members in insertion order, so the output has Value's sorted key order.
  JsonPtr write_object(const Value::Object& members) {
    JsonPtr object(json_object());
    if (!object) return fail("out of memory");
    for (const auto& [key, member] : members) {
      // Decoding refuses such a key (jansson cannot hold it), so encoding must not write one.
      if (key.find('\0') != std::string::npos) return fail("object key contains a NUL byte");
      JsonPtr json = write(member);
      if (!json) return nullptr;
      if (json_object_setn_new(object.get(), key.data(), key.size(), json.release()) != 0) {
        return fail("object key is not valid UTF-8");
      }
    }
    return object;
  }

  Error error_;
};

int append_to_vector(const char* buffer, std::size_t size, void* data) {
  auto& out = *static_cast<std::vector<std::uint8_t>*>(data);
  // jansson is C: an exception must not unwind through it.
  try {
    out.insert(out.end(), buffer, buffer + size);
  } catch (const std::bad_alloc&) {
    return -1;
  }
  return 0;
}

Error load_error(const json_error_t& error) {
  codec_errc code = codec_errc::malformed;
  switch (json_error_code(&error)) {
    case json_error_premature_end_of_input:
      code = codec_errc::truncated;
      break;
    case json_error_end_of_input_expected:
      code = codec_errc::trailing_data;
      break;
    case json_error_numeric_overflow:  // an integer beyond int64 or a real beyond double
    case json_error_null_byte_in_key:  // valid JSON, but jansson cannot hold such a key
      code = codec_errc::unsupported;
      break;
    case json_error_stack_overflow:  // jansson's own nesting cap, 2048
      code = codec_errc::too_deep;
      break;
    case json_error_out_of_memory:
      code = codec_errc::too_large;
      break;
    default:
      break;
  }
  return Error{
      code, std::string("JSON: ") + error.text + " (byte " + std::to_string(error.position) + ")"};
}

// Turns jansson's tree into a Value, within the DecodeLimits. jansson has no hook to stop early,
// so the limits bound the Value built here; jansson's own tree is bounded by the input size.
class ValueReader {
 public:
  explicit ValueReader(const DecodeLimits& limits) : limits_(limits) {}

  // `depth` counts the arrays and objects around `json`. False, with error() set, on failure.
  bool read(json_t* json, std::size_t depth, Value& out) {
    switch (json_typeof(json)) {
      case JSON_NULL:
        out = Value();
        return true;
      case JSON_TRUE:
        out = Value(true);
        return true;
      case JSON_FALSE:
        out = Value(false);
        return true;
      case JSON_INTEGER:
        out = Value(static_cast<std::int64_t>(json_integer_value(json)));
        return true;
      case JSON_REAL:
        out = Value(json_real_value(json));
        return true;
      case JSON_STRING:
        return read_string(json_string_value(json), json_string_length(json), out);
      case JSON_ARRAY:
        return read_array(json, depth + 1, out);
      case JSON_OBJECT:
        return read_object(json, depth + 1, out);
    }
    return fail(codec_errc::malformed, "unknown jansson type");
  }

  Error take_error() { return std::move(error_); }

 private:
  bool fail(codec_errc code, std::string message) {
    error_ = Error{code, "JSON: " + std::move(message)};
    return false;
  }

  bool check_string_size(std::size_t size, const char* what) {
    if (size <= limits_.max_string_bytes) return true;
    return fail(codec_errc::too_large, std::string(what) + " of " + std::to_string(size) +
                                           " bytes exceeds the limit of " +
                                           std::to_string(limits_.max_string_bytes));
  }

  bool check_container(std::size_t depth, std::size_t items, const char* what) {
    if (depth > limits_.max_depth) {
      return fail(codec_errc::too_deep, "arrays and objects nest deeper than the limit of " +
                                            std::to_string(limits_.max_depth));
    }
    if (items > limits_.max_container_items) {
      return fail(codec_errc::too_large, std::string(what) + " of " + std::to_string(items) +
                                             " items exceeds the limit of " +
                                             std::to_string(limits_.max_container_items));
    }
    return true;
  }

  bool read_string(const char* text, std::size_t size, Value& out) {
    if (size == 0 || text[0] != '\0') {
      if (!check_string_size(size, "string")) return false;
      out = Value(std::string(text, size));
      return true;
    }
    auto bytes = base64::decode(std::string_view(text + 1, size - 1));
    if (!bytes) {
      return fail(codec_errc::malformed,
                  "a string that starts with NUL is binary, but the rest is not padded base64");
    }
    if (!check_string_size(bytes->size(), "binary")) return false;
    out = Value(std::move(*bytes));
    return true;
  }

  bool read_array(json_t* json, std::size_t depth, Value& out) {
    const std::size_t size = json_array_size(json);
    if (!check_container(depth, size, "array")) return false;
    Value::Array items(size);
    for (std::size_t i = 0; i < size; ++i) {
      if (!read(json_array_get(json, i), depth, items[i])) return false;
    }
    out = Value(std::move(items));
    return true;
  }

  bool read_object(json_t* json, std::size_t depth, Value& out) {
    if (!check_container(depth, json_object_size(json), "object")) return false;
    Value::Object members;
    for (void* it = json_object_iter(json); it; it = json_object_iter_next(json, it)) {
      const std::size_t key_size = json_object_iter_key_len(it);
      if (!check_string_size(key_size, "object key")) return false;
      // REJECT_DUPLICATES made the keys unique, so every insertion succeeds.
      auto member =
          members.try_emplace(members.end(), std::string(json_object_iter_key(it), key_size));
      if (!read(json_object_iter_value(it), depth, member->second)) return false;
    }
    out = Value(std::move(members));
    return true;
  }

  const DecodeLimits& limits_;
  Error error_;
};

class JsonSerializer final : public Serializer {
 public:
  std::string_view name() const noexcept override { return "json"; }
  std::string_view websocket_subprotocol() const noexcept override { return "wamp.2.json"; }
  std::uint8_t rawsocket_id() const noexcept override { return 1; }
  bool is_text() const noexcept override { return true; }

  Status encode(const Value& value, std::vector<std::uint8_t>& out) const override {
    TreeWriter writer;
    JsonPtr root = writer.write(value);
    if (!root) return writer.take_error();
    const std::size_t original_size = out.size();
    if (json_dump_callback(root.get(), append_to_vector, &out, dump_flags) != 0) {
      out.resize(original_size);
      return encode_error("out of memory");
    }
    return {};
  }

  Result<Value> decode(const std::uint8_t* data, std::size_t size,
                       const DecodeLimits& limits) const override {
    if (size == 0) return Error{codec_errc::truncated, "JSON: empty input"};
    const char* text = reinterpret_cast<const char*>(data);
    // JSON allows no raw control character anywhere, but jansson's reader takes a NUL byte for
    // the end of its refill buffer and skips it after a number or a keyword ("[1\0]" loads).
    if (const void* nul = std::memchr(text, '\0', size)) {
      return Error{
          codec_errc::malformed,
          "JSON: raw NUL byte (byte " + std::to_string(static_cast<const char*>(nul) - text) + ")"};
    }
    json_error_t error;
    JsonPtr root(json_loadb(text, size, load_flags, &error));
    if (!root) return load_error(error);
    // The receive path never throws: an allocation that fails becomes an error.
    try {
      ValueReader reader(limits);
      Value value;
      if (!reader.read(root.get(), 0, value)) return reader.take_error();
      return value;
    } catch (const std::bad_alloc&) {
      return Error{codec_errc::too_large, "JSON: out of memory while building the value"};
    }
  }
};

}  // namespace

const Serializer& json_serializer() noexcept {
  static const JsonSerializer serializer;
  return serializer;
}

}  // namespace uvwamp
