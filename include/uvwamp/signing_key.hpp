// uvwamp::SigningKey: an Ed25519 private key for cryptosign authentication, loaded from the files
// the usual tools write.
//
//   auto key = uvwamp::SigningKey::load_file("client.key", passphrase);
//   if (!key) return report(key.error().message);   // says what is wrong, never the passphrase
//   options.auth.methods = {uvwamp::auth::cryptosign(*key)};
//   std::cout << key->public_key_hex() << "\n";       // for the router's principal
//
// Formats (recognised from the contents, not the file name):
//   - OpenSSH private keys ("-----BEGIN OPENSSH PRIVATE KEY-----", from ssh-keygen -t ed25519),
//     unencrypted or encrypted with a passphrase (bcrypt-pbkdf with aes256-ctr or aes256-cbc);
//   - PuTTY private key files (.ppk) version 2 and 3, unencrypted or with a passphrase
//     (aes256-cbc), their MAC checked;
//   - PKCS#8 in PEM ("PRIVATE KEY", "ENCRYPTED PRIVATE KEY") or DER, unencrypted or PBES2
//     (PBKDF2 with HMAC-SHA1/SHA-256, AES-128/192/256-CBC);
//   - the 32-byte seed as 64 hex digits or in base64, alone in the file (white space around it
//     is ignored).
//
// The private key lives in wiped memory; copies are independent and each wipes its own.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace uvwamp {

// Why a key could not be loaded. Each has its own message; none quotes a passphrase.
enum class key_errc {
  unreadable = 1,          // the file could not be read
  unknown_format,          // the contents are none of the formats above
  damaged,                 // the format is recognised but the contents are broken or cut short
  wrong_key_type,          // a well-formed key of another type (RSA, ECDSA, ...)
  passphrase_required,     // the key is encrypted and no passphrase was given
  wrong_passphrase,        // the passphrase does not decrypt the key
  mac_mismatch,            // a PuTTY file whose MAC fails: changed, or a wrong passphrase
  unsupported_encryption,  // encrypted with a cipher or KDF uvwamp does not implement
};
const std::error_category& key_category() noexcept;
std::error_code make_error_code(key_errc e) noexcept;

class SigningKey {
 public:
  static constexpr std::size_t seed_size = 32;
  static constexpr std::size_t public_key_size = 32;
  static constexpr std::size_t signature_size = 64;

  // Parses the contents of a key file in any of the formats above. The passphrase is used only
  // for an encrypted key.
  static Result<SigningKey> parse(std::string_view contents, const Secret& passphrase = {});
  // Reads `path` (blocking; load keys before the loop runs) and parses it.
  static Result<SigningKey> load_file(const std::string& path, const Secret& passphrase = {});
  static SigningKey from_seed(const std::array<std::uint8_t, seed_size>& seed);

  SigningKey(const SigningKey& other);
  SigningKey& operator=(const SigningKey& other);
  ~SigningKey();

  const std::array<std::uint8_t, public_key_size>& public_key() const noexcept { return public_; }
  // 64 lower-case hex digits: what a Crossbar principal's "authorized_keys" lists.
  std::string public_key_hex() const;
  // "ssh-ed25519 AAAAC3Nza... comment", an OpenSSH authorized_keys line.
  std::string public_key_openssh(std::string_view comment = {}) const;

  std::array<std::uint8_t, signature_size> sign(const std::uint8_t* message,
                                                std::size_t size) const;

 private:
  SigningKey() = default;
  // libsodium's secret key: the seed followed by the public key.
  std::array<std::uint8_t, 64> secret_{};
  std::array<std::uint8_t, public_key_size> public_{};
};

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::key_errc> : true_type {};
}  // namespace std
