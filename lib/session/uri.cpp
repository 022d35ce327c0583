#include "session/uri.hpp"

namespace uvwamp {
namespace {

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

bool is_valid_uri(std::string_view uri, UriPattern pattern) noexcept {
  if (uri.empty()) return false;
  const bool wildcards = pattern == UriPattern::wildcard;
  char previous = '.';
  for (char c : uri) {
    if (is_space(c) || c == '#') return false;
    if (!wildcards && c == '.' && previous == '.') return false;
    previous = c;
  }
  return wildcards || pattern == UriPattern::prefix || previous != '.';
}

}  // namespace uvwamp
