// uvwamp::Value: the dynamic value that WAMP payloads, options and details are made of.
//
// A Value is one of: null, bool, a 64-bit integer, a double, a UTF-8 string, binary bytes, an
// array of Values or an object (string keys, kept sorted). It owns its contents; copies are
// deep and moves are cheap (no allocation, the source is left null).
//
// Integers have one representation per number: every integer that fits in int64 is stored as
// Type::int64, only those above INT64_MAX as Type::uint64. So Value(5u) == Value(5), and
// is_integer() covers both. Accessors never invoke undefined behaviour on a type mismatch:
// to_*() return a Result whose error is in value_category(), and if_*() return nullptr.
#pragma once

#include <uvwamp/result.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

namespace uvwamp {

enum class value_errc {
  type_mismatch = 1,  // the value holds another type than the one asked for
  out_of_range,       // an integer does not fit the type asked for
};

const std::error_category& value_category() noexcept;
std::error_code make_error_code(value_errc e) noexcept;

class Value {
 public:
  enum class Type : std::uint8_t {
    null,
    boolean,
    int64,
    uint64,
    real,
    string,
    binary,
    array,
    object
  };

  using Binary = std::vector<std::uint8_t>;
  using Array = std::vector<Value>;
  using Object = std::map<std::string, Value, std::less<>>;

  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : data_(b) {}
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool> &&
                                          !std::is_same_v<I, char>,
                                      int> = 0>
  Value(I i) noexcept {
    if constexpr (std::is_signed_v<I>) {
      data_ = static_cast<std::int64_t>(i);
    } else {
      set_unsigned(static_cast<std::uint64_t>(i));
    }
  }
  Value(double d) noexcept : data_(d) {}
  Value(std::string s) noexcept : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(Binary b) noexcept : data_(std::move(b)) {}
  Value(Array a) noexcept : data_(std::move(a)) {}
  Value(Object o) noexcept : data_(std::move(o)) {}

  Value(const Value&) = default;
  Value& operator=(const Value&) = default;
  Value(Value&& other) noexcept : data_(std::move(other.data_)) { other.data_ = std::monostate{}; }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      data_ = std::move(other.data_);
      other.data_ = std::monostate{};
    }
    return *this;
  }

  Type type() const noexcept { return static_cast<Type>(data_.index()); }
  static const char* type_name(Type t) noexcept;
  const char* type_name() const noexcept { return type_name(type()); }

  bool is_null() const noexcept { return type() == Type::null; }
  bool is_bool() const noexcept { return type() == Type::boolean; }
  bool is_integer() const noexcept { return type() == Type::int64 || type() == Type::uint64; }
  bool is_real() const noexcept { return type() == Type::real; }
  bool is_string() const noexcept { return type() == Type::string; }
  bool is_binary() const noexcept { return type() == Type::binary; }
  bool is_array() const noexcept { return type() == Type::array; }
  bool is_object() const noexcept { return type() == Type::object; }

  Result<bool> to_bool() const;
  // An integer that fits; out_of_range otherwise.
  Result<std::int64_t> to_int64() const;
  Result<std::uint64_t> to_uint64() const;
  // A double, or an integer converted to the nearest double (JSON writes 1.0 as 1).
  Result<double> to_double() const;

  const std::string* if_string() const noexcept { return std::get_if<std::string>(&data_); }
  std::string* if_string() noexcept { return std::get_if<std::string>(&data_); }
  const Binary* if_binary() const noexcept { return std::get_if<Binary>(&data_); }
  Binary* if_binary() noexcept { return std::get_if<Binary>(&data_); }
  const Array* if_array() const noexcept { return std::get_if<Array>(&data_); }
  Array* if_array() noexcept { return std::get_if<Array>(&data_); }
  const Object* if_object() const noexcept { return std::get_if<Object>(&data_); }
  Object* if_object() noexcept { return std::get_if<Object>(&data_); }

  // The member `key` of an object; nullptr when this is not an object or has no such member.
  const Value* find(std::string_view key) const noexcept;

  // Integers compare by number; a real never equals an integer.
  friend bool operator==(const Value& a, const Value& b) noexcept { return a.data_ == b.data_; }
  friend bool operator!=(const Value& a, const Value& b) noexcept { return !(a == b); }

  // A compact, JSON-like rendering for logs, error messages and test failures. Binary is shown
  // as b"<hex>"; it is not a serialization (use a Serializer for that).
  std::string debug_string() const;

 private:
  void set_unsigned(std::uint64_t u) noexcept;

  std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double, std::string, Binary,
               Array, Object>
      data_;
};

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::value_errc> : true_type {};
}  // namespace std
