#include <uvwamp/value.hpp>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>

namespace uvwamp {
namespace {

class ValueCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.value"; }
  std::string message(int code) const override {
    switch (static_cast<value_errc>(code)) {
      case value_errc::type_mismatch:
        return "value has another type";
      case value_errc::out_of_range:
        return "integer out of range";
    }
    return "unknown value error";
  }
};

Error mismatch(const Value& v, const char* wanted) {
  return Error{value_errc::type_mismatch,
               std::string("expected ") + wanted + ", got " + v.type_name()};
}

Error out_of_range(const char* wanted) {
  return Error{value_errc::out_of_range, std::string("integer does not fit in ") + wanted};
}

void append_quoted(std::string& out, const std::string& s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void append_debug(std::string& out, const Value& v) {
  char number[32];
  switch (v.type()) {
    case Value::Type::null:
      out += "null";
      return;
    case Value::Type::boolean:
      out += v.to_bool().value() ? "true" : "false";
      return;
    case Value::Type::int64:
      std::snprintf(number, sizeof number, "%" PRId64, v.to_int64().value());
      out += number;
      return;
    case Value::Type::uint64:
      std::snprintf(number, sizeof number, "%" PRIu64, v.to_uint64().value());
      out += number;
      return;
    case Value::Type::real:
      std::snprintf(number, sizeof number, "%.17g", v.to_double().value());
      out += number;
      return;
    case Value::Type::string:
      append_quoted(out, *v.if_string());
      return;
    case Value::Type::binary:
      out += "b\"";
      for (std::uint8_t byte : *v.if_binary()) {
        std::snprintf(number, sizeof number, "%02x", byte);
        out += number;
      }
      out += '"';
      return;
    case Value::Type::array: {
      out += '[';
      const char* separator = "";
      for (const Value& item : *v.if_array()) {
        out += separator;
        append_debug(out, item);
        separator = ",";
      }
      out += ']';
      return;
    }
    case Value::Type::object: {
      out += '{';
      const char* separator = "";
      for (const auto& [key, item] : *v.if_object()) {
        out += separator;
        append_quoted(out, key);
        out += ':';
        append_debug(out, item);
        separator = ",";
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

const std::error_category& value_category() noexcept {
  static const ValueCategory category;
  return category;
}

std::error_code make_error_code(value_errc e) noexcept {
  return {static_cast<int>(e), value_category()};
}

const char* Value::type_name(Type t) noexcept {
  switch (t) {
    case Type::null:
      return "null";
    case Type::boolean:
      return "bool";
    case Type::int64:
    case Type::uint64:
      return "integer";
    case Type::real:
      return "real";
    case Type::string:
      return "string";
    case Type::binary:
      return "binary";
    case Type::array:
      return "array";
    case Type::object:
      return "object";
  }
  return "unknown";
}

void Value::set_unsigned(std::uint64_t u) noexcept {
  if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    data_ = static_cast<std::int64_t>(u);
  } else {
    data_ = u;
  }
}

Result<bool> Value::to_bool() const {
  if (const bool* b = std::get_if<bool>(&data_)) return *b;
  return mismatch(*this, "bool");
}

Result<std::int64_t> Value::to_int64() const {
  if (const std::int64_t* i = std::get_if<std::int64_t>(&data_)) return *i;
  if (is_integer()) return out_of_range("int64");
  return mismatch(*this, "integer");
}

Result<std::uint64_t> Value::to_uint64() const {
  if (const std::uint64_t* u = std::get_if<std::uint64_t>(&data_)) return *u;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&data_)) {
    if (*i < 0) return out_of_range("uint64");
    return static_cast<std::uint64_t>(*i);
  }
  return mismatch(*this, "integer");
}

Result<double> Value::to_double() const {
  if (const double* d = std::get_if<double>(&data_)) return *d;
  if (const std::int64_t* i = std::get_if<std::int64_t>(&data_)) return static_cast<double>(*i);
  if (const std::uint64_t* u = std::get_if<std::uint64_t>(&data_)) return static_cast<double>(*u);
  return mismatch(*this, "number");
}

const Value* Value::find(std::string_view key) const noexcept {
  const Object* object = if_object();
  if (object == nullptr) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &it->second;
}

std::string Value::debug_string() const {
  std::string out;
  append_debug(out, *this);
  return out;
}

}  // namespace uvwamp
