// The C API's values and error codes (include/uvwamp.h): thin functions over uvwamp::Value.
#include <uvwamp.h>
#include <uvwamp/value.hpp>

#include <climits>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

#include "capi/capi_internal.hpp"

using uvwamp::Value;
using uvwamp::capi::from_c;
using uvwamp::capi::guarded;
using uvwamp::capi::to_c;

namespace uvwamp::capi {

int copy_array(const uvwamp_value* v, Value::Array& out) {
  if (v == nullptr) return 0;
  const Value::Array* array = from_c(v)->if_array();
  if (array == nullptr) return UVWAMP_EINVAL;
  out = *array;
  return 0;
}

int copy_object(const uvwamp_value* v, Value::Object& out) {
  if (v == nullptr) return 0;
  const Value::Object* object = from_c(v)->if_object();
  if (object == nullptr) return UVWAMP_EINVAL;
  out = *object;
  return 0;
}

}  // namespace uvwamp::capi

namespace {

// For the constructors that cannot throw: NULL when memory runs out.
template <class... Args>
uvwamp_value* make_value(Args&&... args) noexcept {
  return to_c(new (std::nothrow) Value(std::forward<Args>(args)...));
}

// For the ones that allocate: whatever `build` throws becomes NULL too.
template <class Build>
uvwamp_value* make_guarded(Build&& build) noexcept {
  try {
    return to_c(new Value(build()));
  } catch (...) {
    return nullptr;
  }
}

int value_error_code(const std::error_code& code) noexcept {
  if (code == uvwamp::value_errc::out_of_range) return UVWAMP_ERANGE;
  return UVWAMP_ETYPE;
}

// The item handed to an append or set: taken, and freed unless it ends up in the container.
std::unique_ptr<Value> take_item(uvwamp_value* container, uvwamp_value* item) noexcept {
  if (item == container) return nullptr;
  return std::unique_ptr<Value>(from_c(item));
}

}  // namespace

extern "C" {

const char* uvwamp_strerror(int code) {
  switch (code) {
    case 0:
      return "success";
    case UVWAMP_EINVAL:
      return "invalid argument";
    case UVWAMP_ENOMEM:
      return "out of memory";
    case UVWAMP_ETYPE:
      return "the value holds another type";
    case UVWAMP_ERANGE:
      return "out of range";
    case UVWAMP_EWAMP:
      return "the router or the callee answered with an error";
    case UVWAMP_ENOTJOINED:
      return "no session is open";
    case UVWAMP_EALREADYJOINED:
      return "a session is already open or opening";
    case UVWAMP_ESESSIONENDED:
      return "the session ended";
    case UVWAMP_ETRANSPORT:
      return "the connection to the router was lost";
    case UVWAMP_ECLOSED:
      return "the client is closed";
    case UVWAMP_EPROTOCOL:
      return "the router broke the WAMP protocol";
    case UVWAMP_ECONNECT:
      return "no router URL could be connected to";
    case UVWAMP_ETIMEDOUT:
      return "the router did not answer in time";
    case UVWAMP_EALREADY:
      return "the invocation was already answered";
    case UVWAMP_EINTERNAL:
      return "internal error in uvwamp";
    case UVWAMP_ENOTSENT:
      return "the answer did not go to the router";
    case UVWAMP_EAUTH:
      return "the client could not authenticate";
    case UVWAMP_EKEY:
      return "the signing key could not be loaded";
    case UVWAMP_ECANCELED:
      return "the call was canceled";
    case UVWAMP_ENOTSUP:
      return "the router does not support what the request needs";
    case UVWAMP_ETOOLARGE:
      return "the message is over the size limit";
    default:
      return "unknown error";
  }
}

uvwamp_value* uvwamp_value_new_null(void) {
  return make_value();
}
uvwamp_value* uvwamp_value_new_bool(int b) {
  return make_value(b != 0);
}
uvwamp_value* uvwamp_value_new_int64(int64_t i) {
  return make_value(i);
}
uvwamp_value* uvwamp_value_new_uint64(uint64_t u) {
  return make_value(u);
}
uvwamp_value* uvwamp_value_new_double(double d) {
  return make_value(d);
}
uvwamp_value* uvwamp_value_new_array(void) {
  return make_value(Value::Array{});
}
uvwamp_value* uvwamp_value_new_object(void) {
  return make_value(Value::Object{});
}

uvwamp_value* uvwamp_value_new_string(const char* s) {
  if (s == nullptr) return nullptr;
  return uvwamp_value_new_stringn(s, std::strlen(s));
}

uvwamp_value* uvwamp_value_new_stringn(const char* s, size_t n) {
  if (s == nullptr && n != 0) return nullptr;
  return make_guarded([&] { return Value(n == 0 ? std::string() : std::string(s, n)); });
}

uvwamp_value* uvwamp_value_new_binary(const void* data, size_t n) {
  if (data == nullptr && n != 0) return nullptr;
  return make_guarded([&] {
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    return Value(n == 0 ? Value::Binary() : Value::Binary(bytes, bytes + n));
  });
}

uvwamp_value* uvwamp_value_copy(const uvwamp_value* v) {
  if (v == nullptr) return nullptr;
  return make_guarded([&] { return *from_c(v); });
}

void uvwamp_value_free(uvwamp_value* v) {
  delete from_c(v);
}

uvwamp_value_type uvwamp_value_type_of(const uvwamp_value* v) {
  if (v == nullptr) return UVWAMP_VALUE_NULL;
  switch (from_c(v)->type()) {
    case Value::Type::null:
      return UVWAMP_VALUE_NULL;
    case Value::Type::boolean:
      return UVWAMP_VALUE_BOOL;
    case Value::Type::int64:
      return UVWAMP_VALUE_INT64;
    case Value::Type::uint64:
      return UVWAMP_VALUE_UINT64;
    case Value::Type::real:
      return UVWAMP_VALUE_DOUBLE;
    case Value::Type::string:
      return UVWAMP_VALUE_STRING;
    case Value::Type::binary:
      return UVWAMP_VALUE_BINARY;
    case Value::Type::array:
      return UVWAMP_VALUE_ARRAY;
    case Value::Type::object:
      return UVWAMP_VALUE_OBJECT;
  }
  return UVWAMP_VALUE_NULL;
}

int uvwamp_value_equal(const uvwamp_value* a, const uvwamp_value* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return *from_c(a) == *from_c(b);
}

int uvwamp_value_get_bool(const uvwamp_value* v, int* out) {
  if (v == nullptr || out == nullptr) return UVWAMP_EINVAL;
  const uvwamp::Result<bool> b = from_c(v)->to_bool();
  if (!b) return value_error_code(b.error().code);
  *out = b.value() ? 1 : 0;
  return 0;
}

int uvwamp_value_get_int64(const uvwamp_value* v, int64_t* out) {
  if (v == nullptr || out == nullptr) return UVWAMP_EINVAL;
  const uvwamp::Result<std::int64_t> i = from_c(v)->to_int64();
  if (!i) return value_error_code(i.error().code);
  *out = i.value();
  return 0;
}

int uvwamp_value_get_uint64(const uvwamp_value* v, uint64_t* out) {
  if (v == nullptr || out == nullptr) return UVWAMP_EINVAL;
  const uvwamp::Result<std::uint64_t> u = from_c(v)->to_uint64();
  if (!u) return value_error_code(u.error().code);
  *out = u.value();
  return 0;
}

int uvwamp_value_get_double(const uvwamp_value* v, double* out) {
  if (v == nullptr || out == nullptr) return UVWAMP_EINVAL;
  const uvwamp::Result<double> d = from_c(v)->to_double();
  if (!d) return value_error_code(d.error().code);
  *out = d.value();
  return 0;
}

int uvwamp_value_get_string(const uvwamp_value* v, const char** data, size_t* len) {
  if (v == nullptr || data == nullptr) return UVWAMP_EINVAL;
  const std::string* s = from_c(v)->if_string();
  if (s == nullptr) return UVWAMP_ETYPE;
  *data = s->c_str();
  if (len != nullptr) *len = s->size();
  return 0;
}

int uvwamp_value_get_binary(const uvwamp_value* v, const uint8_t** data, size_t* len) {
  static const std::uint8_t no_bytes = 0;
  if (v == nullptr || data == nullptr) return UVWAMP_EINVAL;
  const Value::Binary* b = from_c(v)->if_binary();
  if (b == nullptr) return UVWAMP_ETYPE;
  *data = b->empty() ? &no_bytes : b->data();
  if (len != nullptr) *len = b->size();
  return 0;
}

size_t uvwamp_value_size(const uvwamp_value* v) {
  if (v == nullptr) return 0;
  if (const Value::Array* array = from_c(v)->if_array()) return array->size();
  if (const Value::Object* object = from_c(v)->if_object()) return object->size();
  return 0;
}

const uvwamp_value* uvwamp_value_array_get(const uvwamp_value* array, size_t index) {
  if (array == nullptr) return nullptr;
  const Value::Array* elements = from_c(array)->if_array();
  if (elements == nullptr || index >= elements->size()) return nullptr;
  return to_c(&(*elements)[index]);
}

int uvwamp_value_array_append(uvwamp_value* array, uvwamp_value* item) {
  std::unique_ptr<Value> taken = take_item(array, item);
  if (array == nullptr || taken == nullptr) return UVWAMP_EINVAL;
  Value::Array* elements = from_c(array)->if_array();
  if (elements == nullptr) return UVWAMP_ETYPE;
  return guarded([&]() -> int {
    elements->push_back(std::move(*taken));
    return 0;
  });
}

int uvwamp_value_array_set(uvwamp_value* array, size_t index, uvwamp_value* item) {
  std::unique_ptr<Value> taken = take_item(array, item);
  if (array == nullptr || taken == nullptr) return UVWAMP_EINVAL;
  Value::Array* elements = from_c(array)->if_array();
  if (elements == nullptr) return UVWAMP_ETYPE;
  if (index >= elements->size()) return UVWAMP_ERANGE;
  (*elements)[index] = std::move(*taken);
  return 0;
}

const uvwamp_value* uvwamp_value_object_get(const uvwamp_value* object, const char* key) {
  if (object == nullptr || key == nullptr) return nullptr;
  return to_c(from_c(object)->find(key));
}

int uvwamp_value_object_set(uvwamp_value* object, const char* key, uvwamp_value* item) {
  std::unique_ptr<Value> taken = take_item(object, item);
  if (object == nullptr || key == nullptr || taken == nullptr) return UVWAMP_EINVAL;
  Value::Object* members = from_c(object)->if_object();
  if (members == nullptr) return UVWAMP_ETYPE;
  return guarded([&]() -> int {
    (*members)[key] = std::move(*taken);
    return 0;
  });
}

int uvwamp_value_object_foreach(const uvwamp_value* object, uvwamp_value_member_fn fn,
                                void* user_data) {
  if (object == nullptr || fn == nullptr) return UVWAMP_EINVAL;
  const Value::Object* members = from_c(object)->if_object();
  if (members == nullptr) return UVWAMP_ETYPE;
  for (const auto& [key, member] : *members) {
    const int stop = fn(key.c_str(), key.size(), to_c(&member), user_data);
    if (stop != 0) return stop;
  }
  return 0;
}

int uvwamp_value_dump(const uvwamp_value* v, char* buf, size_t size) {
  if (v == nullptr || (buf == nullptr && size != 0)) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    const std::string text = from_c(v)->debug_string();
    if (text.size() > static_cast<std::size_t>(INT_MAX)) return UVWAMP_ERANGE;
    if (size > 0) {
      const std::size_t copied = text.size() < size ? text.size() : size - 1;
      std::memcpy(buf, text.data(), copied);
      buf[copied] = '\0';
    }
    return static_cast<int>(text.size());
  });
}

}  // extern "C"
