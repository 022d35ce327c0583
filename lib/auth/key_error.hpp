// The errors the key file readers return: a key_errc and a sentence that names the format and
// what is wrong, never the passphrase or key material.
#pragma once

#include <uvwamp/signing_key.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace uvwamp {

inline Error key_error(key_errc code, std::string message) {
  return Error{make_error_code(code), std::move(message)};
}

// A name read from a key file (a key type, a cipher), quoted for a message; a name that is not
// short printable ASCII is described instead of repeated.
inline std::string quoted_name(std::string_view name) {
  constexpr std::size_t longest = 64;
  bool printable = !name.empty() && name.size() <= longest;
  for (char c : name)
    printable = printable && c >= 0x21 && c <= 0x7e;
  return printable ? "\"" + std::string(name) + "\"" : std::string("an unreadable name");
}

}  // namespace uvwamp
