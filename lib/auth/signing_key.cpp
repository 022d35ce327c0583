#include <uvwamp/signing_key.hpp>

#include <sodium.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "auth/byte_view.hpp"
#include "auth/crypto.hpp"
#include "auth/key_error.hpp"
#include "auth/openssh_key.hpp"
#include "auth/pem.hpp"
#include "auth/pkcs8_key.hpp"
#include "auth/putty_key.hpp"
#include "auth/ssh_wire.hpp"
#include "auth/wiped_bytes.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"

namespace uvwamp {
namespace {

// Key files are a few kilobytes; anything much larger is something else.
constexpr std::size_t max_file_size = 1 << 20;

class KeyCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.key"; }
  std::string message(int code) const override {
    switch (static_cast<key_errc>(code)) {
      case key_errc::unreadable:
        return "the key file could not be read";
      case key_errc::unknown_format:
        return "the contents are not a key in a format uvwamp reads";
      case key_errc::damaged:
        return "the key file is damaged or cut short";
      case key_errc::wrong_key_type:
        return "the key is not an Ed25519 key";
      case key_errc::passphrase_required:
        return "the key is encrypted and needs a passphrase";
      case key_errc::wrong_passphrase:
        return "the passphrase does not decrypt the key";
      case key_errc::mac_mismatch:
        return "the key file's MAC does not match: it was changed, or the passphrase is wrong";
      case key_errc::unsupported_encryption:
        return "the key is encrypted with a cipher or key derivation uvwamp does not implement";
    }
    return "unknown key error";
  }
};

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

// The seed alone: 64 hex digits, or the base64 of 32 bytes.
std::optional<WipedBytes> seed_text(std::string_view contents) {
  const std::string_view text = trimmed(contents);
  constexpr std::size_t hex_digits = 2 * SigningKey::seed_size;
  constexpr std::size_t base64_digits = (SigningKey::seed_size + 2) / 3 * 4;
  std::optional<std::vector<std::uint8_t>> seed;
  if (text.size() == hex_digits && text.find_first_of(" \t\r\n") == std::string_view::npos) {
    seed = hex::decode(text);
  } else if (text.size() == base64_digits) {
    seed = base64::decode(text);
  }
  if (!seed) return std::nullopt;
  WipedBytes bytes(std::move(*seed));
  if (bytes.size() != SigningKey::seed_size) return std::nullopt;
  return std::optional<WipedBytes>(std::move(bytes));
}

Result<SigningKey> parse_pem(std::string_view contents, std::string_view label,
                             const Secret& passphrase) {
  const bool openssh = label == openssh_pem_label;
  const bool pkcs8 = label == pkcs8_pem_label || label == pkcs8_encrypted_pem_label;
  if (openssh || pkcs8) {
    const auto blob = pem::decode_block(contents, label);
    if (!blob) {
      return key_error(key_errc::damaged, std::string(openssh ? "OpenSSH" : "PKCS#8") +
                                              " private key: the PEM block is cut short or its "
                                              "base64 is damaged");
    }
    const ByteView bytes{blob->data(), blob->size()};
    return openssh ? parse_openssh_key(bytes, passphrase) : parse_pkcs8_key(bytes, passphrase);
  }
  // OpenSSL's older formats, one per key type, none of them for Ed25519.
  for (std::string_view type : {"RSA", "EC", "DSA"}) {
    if (label == std::string(type) + " PRIVATE KEY") {
      return key_error(key_errc::wrong_key_type,
                       "an OpenSSL " + std::string(type) +
                           " private key (its traditional format); cryptosign needs Ed25519");
    }
  }
  return key_error(key_errc::unknown_format,
                   "a PEM block labelled " + quoted_name(label) + ", which holds no private key");
}

Error unreadable(const std::string& path, int error) {
  return key_error(key_errc::unreadable, path + ": " + std::strerror(error));
}

}  // namespace

const std::error_category& key_category() noexcept {
  static const KeyCategory category;
  return category;
}

std::error_code make_error_code(key_errc e) noexcept {
  return {static_cast<int>(e), key_category()};
}

Result<SigningKey> SigningKey::parse(std::string_view contents, const Secret& passphrase) {
  if (const auto label = pem::first_label(contents)) return parse_pem(contents, *label, passphrase);
  if (looks_like_putty_key(contents)) return parse_putty_key(contents, passphrase);
  const ByteView bytes{reinterpret_cast<const std::uint8_t*>(contents.data()), contents.size()};
  if (looks_like_pkcs8_der(bytes)) return parse_pkcs8_key(bytes, passphrase);
  if (const auto seed = seed_text(contents)) {
    std::array<std::uint8_t, seed_size> array;
    std::memcpy(array.data(), seed->data(), array.size());
    SigningKey key = from_seed(array);
    crypto::wipe(array.data(), array.size());
    return key;
  }
  return key_error(key_errc::unknown_format,
                   "not a key file uvwamp reads (OpenSSH, PuTTY .ppk, PKCS#8, or a 32-byte seed "
                   "in hex or base64)");
}

Result<SigningKey> SigningKey::load_file(const std::string& path, const Secret& passphrase) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return unreadable(path, errno);
  // Unbuffered, so that no stdio buffer keeps a copy of the contents.
  std::setvbuf(file, nullptr, _IONBF, 0);
  WipedBytes contents(max_file_size + 1);
  const std::size_t size = std::fread(contents.data(), 1, contents.size(), file);
  const int read_error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (read_error != 0) return unreadable(path, read_error);
  if (size > max_file_size) {
    return key_error(
        key_errc::unknown_format,
        path + ": larger than any key file (" + std::to_string(max_file_size) + " bytes at most)");
  }
  auto key =
      parse(std::string_view(reinterpret_cast<const char*>(contents.data()), size), passphrase);
  if (!key) return Error{key.error().code, path + ": " + key.error().message};
  return key;
}

SigningKey SigningKey::from_seed(const std::array<std::uint8_t, seed_size>& seed) {
  SigningKey key;
  crypto_sign_seed_keypair(key.public_.data(), key.secret_.data(), seed.data());
  return key;
}

SigningKey::SigningKey(const SigningKey& other) : secret_(other.secret_), public_(other.public_) {}

SigningKey& SigningKey::operator=(const SigningKey& other) {
  secret_ = other.secret_;
  public_ = other.public_;
  return *this;
}

SigningKey::~SigningKey() {
  crypto::wipe(secret_.data(), secret_.size());
}

std::string SigningKey::public_key_hex() const {
  return hex::encode(public_.data(), public_.size());
}

std::string SigningKey::public_key_openssh(std::string_view comment) const {
  constexpr std::string_view type = "ssh-ed25519";
  WipedBytes blob;
  ssh_wire::append_string(blob, type);
  ssh_wire::append_string(blob, public_.data(), public_.size());
  std::string line(type);
  line += ' ';
  base64::encode_append(blob.data(), blob.size(), line);
  if (!comment.empty()) {
    line += ' ';
    line += comment;
  }
  return line;
}

std::array<std::uint8_t, SigningKey::signature_size> SigningKey::sign(const std::uint8_t* message,
                                                                      std::size_t size) const {
  std::array<std::uint8_t, signature_size> signature;
  crypto_sign_detached(signature.data(), nullptr, message, size, secret_.data());
  return signature;
}

}  // namespace uvwamp
