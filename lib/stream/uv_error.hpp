// The text of a libuv error for the messages of stream and connector errors: its name, which
// people search for, and its description ("ECONNREFUSED (connection refused)").
#pragma once

#include <uv.h>

#include <string>

namespace uvwamp {

inline std::string uv_error_text(int status) {
  return std::string(uv_err_name(status)) + " (" + uv_strerror(status) + ")";
}

}  // namespace uvwamp
