// Key files are read from wherever a user points: any bytes must give a key or a key_errc, never
// a crash, a hang or an unbounded allocation. Without a passphrase an encrypted key stops at
// passphrase_required, before its key derivation, whose cost the file sets within the loaders'
// bounds; signing_key_test covers the decryption paths with real files.
#include <uvwamp/signing_key.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view contents(reinterpret_cast<const char*>(data), size);
  auto key = uvwamp::SigningKey::parse(contents);
  if (key) {
    // A key that loaded must be usable.
    const std::uint8_t message[] = {1, 2, 3};
    (void)key->sign(message, sizeof message);
    if (key->public_key_hex().size() != 64) std::abort();
  } else if (key.error().code.category() != uvwamp::key_category()) {
    std::abort();
  }
  return 0;
}
