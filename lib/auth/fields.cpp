#include "auth/fields.hpp"

namespace uvwamp::auth_fields {

namespace {

const Value* present(const Value::Object& object, std::string_view key) {
  auto found = object.find(key);
  if (found == object.end() || found->second.is_null()) return nullptr;
  return &found->second;
}

std::string name_of(std::string_view where, std::string_view key) {
  return std::string(where) + ": '" + std::string(key) + "'";
}

}  // namespace

Result<const std::string*, std::string> optional_string(const Value::Object& object,
                                                        std::string_view key,
                                                        std::string_view where) {
  const Value* value = present(object, key);
  if (!value) return static_cast<const std::string*>(nullptr);
  if (const std::string* text = value->if_string()) return text;
  return name_of(where, key) + " must be a string, got " + value->type_name();
}

Result<const std::string*, std::string> required_string(const Value::Object& object,
                                                        std::string_view key,
                                                        std::string_view where) {
  auto text = optional_string(object, key, where);
  if (text && !*text) return name_of(where, key) + " is missing";
  return text;
}

Result<std::uint32_t, std::string> bounded_integer(const Value::Object& object,
                                                   std::string_view key, std::string_view where,
                                                   std::uint32_t min, std::uint32_t max,
                                                   std::optional<std::uint32_t> fallback) {
  const Value* value = present(object, key);
  if (!value) {
    if (fallback) return *fallback;
    return name_of(where, key) + " is missing";
  }
  const std::string range = " from " + std::to_string(min) + " to " + std::to_string(max);
  if (!value->is_integer()) {
    return name_of(where, key) + " must be an integer" + range + ", got " + value->type_name();
  }
  auto number = value->to_int64();
  if (!number || *number < min || *number > max) {
    return name_of(where, key) + " must be" + range + ", got " + value->debug_string();
  }
  return static_cast<std::uint32_t>(*number);
}

}  // namespace uvwamp::auth_fields
