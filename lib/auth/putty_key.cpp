#include "auth/putty_key.hpp"

#include <mbedtls/md.h>

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "auth/aes.hpp"
#include "auth/byte_view.hpp"
#include "auth/crypto.hpp"
#include "auth/key_error.hpp"
#include "auth/ssh_wire.hpp"
#include "auth/wiped_bytes.hpp"
#include "util/base64.hpp"
#include "util/hex.hpp"

namespace uvwamp {
namespace {

constexpr std::string_view file_prefix = "PuTTY-User-Key-File-";
constexpr std::string_view ed25519 = "ssh-ed25519";
constexpr std::size_t aes256_key_size = 32;
constexpr std::size_t sha1_size = 20;
constexpr std::size_t sha256_size = 32;
// More lines than any key needs; the bound keeps a damaged count from meaning anything.
constexpr std::uint32_t max_lines = 10000;
// Argon2's cost, bounded so that a file cannot take the caller's memory or hours of its time:
// up to 1 GiB, and up to 64 GiB of memory passes in all (puttygen's default is 8 MiB for about
// 0.1 s; a minute's worth is allowed).
constexpr std::uint64_t max_argon2_memory_kib = std::uint64_t{1} << 20;
constexpr std::uint64_t max_argon2_work_kib = std::uint64_t{1} << 26;

Error failure(key_errc code, const std::string& what) {
  return key_error(code, "PuTTY key file: " + what);
}

Error damaged(const std::string& what) {
  return failure(key_errc::damaged, what);
}

ByteView view_of(const WipedBytes& bytes) {
  return {bytes.data(), bytes.size()};
}

class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  // The next line without its "\n" or "\r\n".
  std::optional<std::string_view> next() {
    if (position_ >= text_.size()) return std::nullopt;
    std::size_t end = text_.find('\n', position_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view line = text_.substr(position_, end - position_);
    position_ = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  }
  // The value of the next line, which must be "<name>: <value>".
  std::optional<std::string_view> field(std::string_view name) {
    const auto line = next();
    if (!line || line->size() < name.size() + 2 || line->substr(0, name.size()) != name ||
        line->substr(name.size(), 2) != ": ") {
      return std::nullopt;
    }
    return line->substr(name.size() + 2);
  }
  bool only_blank_lines_left() const {
    return text_.find_first_not_of(" \t\r\n", position_) == std::string_view::npos;
  }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
};

std::optional<std::uint32_t> decimal(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return value;
}

// "<name>: <count>" and that many lines of base64.
std::optional<WipedBytes> base64_lines(LineReader& lines, std::string_view name) {
  const auto count_text = lines.field(name);
  const auto count = count_text ? decimal(*count_text) : std::nullopt;
  if (!count || *count > max_lines) return std::nullopt;
  WipedBytes text;
  for (std::uint32_t i = 0; i < *count; ++i) {
    const auto line = lines.next();
    if (!line) return std::nullopt;
    text.append(reinterpret_cast<const std::uint8_t*>(line->data()), line->size());
  }
  auto bytes = base64::decode(view_of(text).text());
  if (!bytes) return std::nullopt;
  return WipedBytes(std::move(*bytes));
}

struct Argon2Fields {
  std::string_view kdf;
  std::string_view memory;
  std::string_view passes;
  std::string_view parallelism;
  std::string_view salt;
};

struct KeyFile {
  int version = 0;
  std::string_view algorithm;
  std::string_view encryption;
  std::string_view comment;
  WipedBytes public_blob;
  Argon2Fields argon2;
  WipedBytes private_blob;
  std::string_view mac_hex;

  bool encrypted() const { return encryption != "none"; }
};

// The lines of the file, in the order puttygen writes them, with the key's type checked first.
Result<KeyFile> read_lines(std::string_view text) {
  LineReader lines(text);
  KeyFile file;
  const auto header = lines.next();
  if (!header || !looks_like_putty_key(*header)) return damaged("its first line is not PuTTY's");
  const std::size_t colon = header->find(": ");
  if (colon == std::string_view::npos) return damaged("its first line is cut short");
  const std::string_view version = header->substr(file_prefix.size(), colon - file_prefix.size());
  if (version != "2" && version != "3") {
    return failure(key_errc::unknown_format,
                   "version " + quoted_name(version) +
                       " is not read (2 and 3 are; puttygen converts older files)");
  }
  file.version = version == "2" ? 2 : 3;
  file.algorithm = header->substr(colon + 2);
  if (file.algorithm != ed25519) {
    return failure(key_errc::wrong_key_type, "the key is of type " + quoted_name(file.algorithm) +
                                                 "; cryptosign needs ssh-ed25519");
  }
  const auto encryption = lines.field("Encryption");
  const auto comment = encryption ? lines.field("Comment") : std::nullopt;
  auto public_blob = comment ? base64_lines(lines, "Public-Lines") : std::nullopt;
  if (!public_blob) return damaged("its header or public key lines are damaged or cut short");
  file.encryption = *encryption;
  file.comment = *comment;
  file.public_blob = std::move(*public_blob);
  if (file.version == 3 && file.encrypted()) {
    const auto kdf = lines.field("Key-Derivation");
    const auto memory = kdf ? lines.field("Argon2-Memory") : std::nullopt;
    const auto passes = memory ? lines.field("Argon2-Passes") : std::nullopt;
    const auto parallelism = passes ? lines.field("Argon2-Parallelism") : std::nullopt;
    const auto salt = parallelism ? lines.field("Argon2-Salt") : std::nullopt;
    if (!salt) return damaged("its key derivation lines are damaged or cut short");
    file.argon2 = {*kdf, *memory, *passes, *parallelism, *salt};
  }
  auto private_blob = base64_lines(lines, "Private-Lines");
  const auto mac = private_blob ? lines.field("Private-MAC") : std::nullopt;
  if (!mac || !lines.only_blank_lines_left())
    return damaged("its private key lines or MAC are damaged or cut short");
  file.private_blob = std::move(*private_blob);
  file.mac_hex = *mac;
  return file;
}

void sha1(const std::uint8_t* data, std::size_t size, std::uint8_t* out) {
  mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), data, size, out);
}

// The keys an encrypted file's passphrase gives, and the key of the MAC.
struct Keys {
  WipedBytes cipher_key;
  WipedBytes iv;
  WipedBytes mac_key;
};

// Version 2: the cipher key is SHA-1(0, passphrase) || SHA-1(1, passphrase) cut to 32 bytes, with
// a zero IV, and the MAC key SHA-1("putty-private-key-file-mac-key" || passphrase).
Keys version2_keys(const KeyFile& file, const Secret& passphrase) {
  const std::string_view secret = file.encrypted() ? passphrase.reveal() : std::string_view();
  const auto* secret_bytes = reinterpret_cast<const std::uint8_t*>(secret.data());
  Keys keys;
  if (file.encrypted()) {
    WipedBytes digests(2 * sha1_size);
    for (std::uint32_t counter = 0; counter < 2; ++counter) {
      WipedBytes input;
      ssh_wire::append_uint32(input, counter);
      input.append(secret_bytes, secret.size());
      sha1(input.data(), input.size(), digests.data() + counter * sha1_size);
    }
    keys.cipher_key = WipedBytes(digests.data(), aes256_key_size);
    keys.iv = WipedBytes(aes::block_size);
  }
  constexpr std::string_view mac_label = "putty-private-key-file-mac-key";
  WipedBytes input(reinterpret_cast<const std::uint8_t*>(mac_label.data()), mac_label.size());
  input.append(secret_bytes, secret.size());
  keys.mac_key = WipedBytes(sha1_size);
  sha1(input.data(), input.size(), keys.mac_key.data());
  return keys;
}

// Version 3: Argon2 of the passphrase gives the cipher key, the IV and the MAC key; an
// unencrypted file's MAC key is empty.
Result<Keys> version3_keys(const KeyFile& file, const Secret& passphrase) {
  Keys keys;
  if (!file.encrypted()) return keys;
  const Argon2Fields& fields = file.argon2;
  crypto::Argon2Params params;
  if (fields.kdf == "Argon2id") {
    params.type = crypto::Argon2Type::id;
  } else if (fields.kdf == "Argon2i") {
    params.type = crypto::Argon2Type::i;
  } else if (fields.kdf == "Argon2d") {
    params.type = crypto::Argon2Type::d;
  } else {
    return failure(key_errc::unsupported_encryption,
                   "the key derivation " + quoted_name(fields.kdf) + " is not implemented");
  }
  const auto memory = decimal(fields.memory);
  const auto passes = decimal(fields.passes);
  const auto parallelism = decimal(fields.parallelism);
  const auto salt = hex::decode(fields.salt);
  if (!memory || !passes || !parallelism || !salt)
    return damaged("its Argon2 parameters are malformed");
  if (*memory > max_argon2_memory_kib || std::uint64_t{*memory} * *passes > max_argon2_work_kib) {
    return failure(key_errc::unsupported_encryption,
                   "its Argon2 parameters ask for more memory or time than uvwamp allows (1 GiB, "
                   "64 GiB in all passes)");
  }
  params.memory_kib = *memory;
  params.passes = *passes;
  params.parallelism = *parallelism;
  WipedBytes derived(aes256_key_size + aes::block_size + sha256_size);
  auto status =
      crypto::argon2(params, passphrase.reveal(),
                     std::string_view(reinterpret_cast<const char*>(salt->data()), salt->size()),
                     {}, {}, derived.data(), derived.size());
  if (!status) return damaged("its Argon2 parameters are not usable: " + status.error());
  keys.cipher_key = WipedBytes(derived.data(), aes256_key_size);
  keys.iv = WipedBytes(derived.data() + aes256_key_size, aes::block_size);
  keys.mac_key = WipedBytes(derived.data() + aes256_key_size + aes::block_size, sha256_size);
  return keys;
}

// The MAC covers every field that matters, the decrypted private blob included (padding too).
WipedBytes mac_input(const KeyFile& file, ByteView private_plain) {
  WipedBytes input;
  input.reserve(5 * 4 + file.algorithm.size() + file.encryption.size() + file.comment.size() +
                file.public_blob.size() + private_plain.size);
  ssh_wire::append_string(input, file.algorithm);
  ssh_wire::append_string(input, file.encryption);
  ssh_wire::append_string(input, file.comment);
  ssh_wire::append_string(input, file.public_blob.data(), file.public_blob.size());
  ssh_wire::append_string(input, private_plain.data, private_plain.size);
  return input;
}

bool mac_matches(const KeyFile& file, const Keys& keys, ByteView private_plain,
                 const std::vector<std::uint8_t>& expected) {
  const WipedBytes input = mac_input(file, private_plain);
  WipedBytes mac(file.version == 2 ? sha1_size : sha256_size);
  if (file.version == 2) {
    mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), keys.mac_key.data(),
                    keys.mac_key.size(), input.data(), input.size(), mac.data());
  } else {
    // An unencrypted file's MAC key is empty, and an empty vector's data() may be null, which
    // the HMAC's memcpy must not be given.
    const std::uint8_t no_key = 0;
    const std::uint8_t* key = keys.mac_key.empty() ? &no_key : keys.mac_key.data();
    const auto digest = crypto::hmac_sha256(key, keys.mac_key.size(), input.data(), input.size());
    std::memcpy(mac.data(), digest.data(), digest.size());
  }
  return crypto::equal_in_constant_time(expected.data(), mac.data(), mac.size());
}

Result<SigningKey> read_private_blob(const KeyFile& file, ByteView private_plain) {
  ssh_wire::Reader reader(private_plain);
  const auto seed_field = reader.string();
  // Encrypted blobs are padded to the cipher's block size.
  if (!seed_field || seed_field->size != SigningKey::seed_size ||
      reader.rest().size >= aes::block_size) {
    return damaged("the private key is not an Ed25519 key");
  }
  std::array<std::uint8_t, SigningKey::seed_size> seed;
  std::memcpy(seed.data(), seed_field->data, seed.size());
  SigningKey key = SigningKey::from_seed(seed);
  crypto::wipe(seed.data(), seed.size());

  ssh_wire::Reader public_reader(view_of(file.public_blob));
  const auto key_type = public_reader.string();
  const auto public_key = public_reader.string();
  if (!public_key || key_type->text() != ed25519 || !public_reader.at_end() ||
      !public_key->equals(key.public_key().data(), key.public_key().size())) {
    return damaged("the public key does not belong to the private key");
  }
  return key;
}

}  // namespace

bool looks_like_putty_key(std::string_view text) {
  return text.substr(0, file_prefix.size()) == file_prefix;
}

Result<SigningKey> parse_putty_key(std::string_view text, const Secret& passphrase) {
  auto file = read_lines(text);
  if (!file) return file.error();
  if (file->encrypted() && file->encryption != "aes256-cbc") {
    return failure(key_errc::unsupported_encryption, "the cipher " + quoted_name(file->encryption) +
                                                         " is not implemented (aes256-cbc is)");
  }
  const auto expected_mac = hex::decode(file->mac_hex);
  if (!expected_mac || expected_mac->size() != (file->version == 2 ? sha1_size : sha256_size))
    return damaged("its MAC is not " + std::string(file->version == 2 ? "40" : "64") +
                   " hex digits");
  if (file->encrypted() &&
      (file->private_blob.empty() || file->private_blob.size() % aes::block_size != 0)) {
    return damaged("the encrypted private key is not a whole number of AES blocks");
  }
  if (file->encrypted() && passphrase.empty())
    return failure(key_errc::passphrase_required, "the key is encrypted; give its passphrase");

  auto keys = file->version == 2 ? Result<Keys>(version2_keys(*file, passphrase))
                                 : version3_keys(*file, passphrase);
  if (!keys) return keys.error();
  std::optional<WipedBytes> decrypted;
  if (file->encrypted()) {
    decrypted = aes::decrypt_cbc(keys->cipher_key.data(), keys->cipher_key.size(), keys->iv.data(),
                                 file->private_blob.data(), file->private_blob.size());
    if (!decrypted) return damaged("the private key could not be decrypted");
  }
  const ByteView private_plain = decrypted ? view_of(*decrypted) : view_of(file->private_blob);
  if (!mac_matches(*file, *keys, private_plain, *expected_mac)) {
    return failure(key_errc::mac_mismatch,
                   file->encrypted()
                       ? "the MAC does not match: the passphrase is wrong, or the file was changed"
                       : "the MAC does not match: the file was changed");
  }
  return read_private_blob(*file, private_plain);
}

}  // namespace uvwamp
