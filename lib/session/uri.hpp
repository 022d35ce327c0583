// The spec's loose URI rule, for what the session sends: no whitespace or '#' anywhere, and no
// empty component, except where a pattern makes empty components wildcards.
// Internal to the library (not installed).
#pragma once

#include <string_view>

namespace uvwamp {

enum class UriPattern {
  none,      // a concrete URI: no empty component
  prefix,    // a prefix: its last component may be empty ("com.example.")
  wildcard,  // empty components are wildcards ("com..get")
};

bool is_valid_uri(std::string_view uri, UriPattern pattern = UriPattern::none) noexcept;

}  // namespace uvwamp
