// What the C API's source files share: the options and client handles, the mapping between
// uvwamp_value handles and uvwamp::Value, and the guard that keeps C++ exceptions from reaching
// C.
//
// A uvwamp_value* is a uvwamp::Value* under another name: struct uvwamp_value is never defined,
// so C code cannot look inside, and an element or member of a value can be handed out as a
// borrowed handle without any allocation. Owned handles are Values made with new.
#pragma once

#include <uvwamp.h>
#include <uvwamp/client.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <new>
#include <vector>

#include "capi/capi_auth.hpp"

struct uvwamp_options {
  // cpp.auth.methods stays empty: uvwamp_client_new makes them from auth_methods.
  uvwamp::ClientOptions cpp;
  std::vector<uvwamp::capi::AuthMethodMaker> auth_methods;
};

struct uvwamp_client {
  // The calls in flight by the ids uvwamp_client_call gave out, each until its callback runs.
  // Declared before `cpp`, so that it outlives the C++ client, whose completions erase from it.
  std::map<std::uint64_t, uvwamp::CallRequest> calls;
  std::uint64_t last_call_id = 0;
  std::unique_ptr<uvwamp::Client> cpp;
  std::shared_ptr<uvwamp::capi::SecretRequests> secret_requests;
  uvwamp_reconnect_cbs reconnect_cbs{};
  void* reconnect_user_data = nullptr;
  uvwamp_send_pressure_cb on_send_pressure = nullptr;
  void* send_pressure_user_data = nullptr;
  bool closing = false;
};

namespace uvwamp::capi {

inline Value* from_c(uvwamp_value* v) noexcept {
  return reinterpret_cast<Value*>(v);
}
inline const Value* from_c(const uvwamp_value* v) noexcept {
  return reinterpret_cast<const Value*>(v);
}
inline uvwamp_value* to_c(Value* v) noexcept {
  return reinterpret_cast<uvwamp_value*>(v);
}
inline const uvwamp_value* to_c(const Value* v) noexcept {
  return reinterpret_cast<const uvwamp_value*>(v);
}

// Runs `body`, which returns 0 or a UVWAMP_E* code, and turns whatever it throws into a code.
template <class Body>
int guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return UVWAMP_ENOMEM;
  } catch (...) {
    return UVWAMP_EINTERNAL;
  }
}

// A request's payload as C++ wants it: NULL is empty; anything but an array (an object) is
// UVWAMP_EINVAL. Copies, so it may throw std::bad_alloc.
int copy_array(const uvwamp_value* v, Value::Array& out);
int copy_object(const uvwamp_value* v, Value::Object& out);

}  // namespace uvwamp::capi
