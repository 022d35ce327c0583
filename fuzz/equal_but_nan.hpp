// Value's == follows IEEE 754, so a value holding NaN never equals itself. The fuzz targets
// check round trips with this instead: equal, or holding a NaN (then not comparable).
#pragma once

#include <uvwamp/value.hpp>

#include <cmath>

namespace uvwamp::fuzz {

inline bool holds_nan(const Value& v) {
  if (v.is_real()) return std::isnan(v.to_double().value());
  if (const auto* array = v.if_array()) {
    for (const auto& item : *array) {
      if (holds_nan(item)) return true;
    }
  }
  if (const auto* object = v.if_object()) {
    for (const auto& [key, item] : *object) {
      if (holds_nan(item)) return true;
    }
  }
  return false;
}

inline bool equal_but_nan(const Value& a, const Value& b) {
  return holds_nan(a) || a == b;
}

}  // namespace uvwamp::fuzz
