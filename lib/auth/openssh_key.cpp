#include "auth/openssh_key.hpp"

#include <array>
#include <cstring>
#include <string>

#include "auth/aes.hpp"
#include "auth/bcrypt_pbkdf.hpp"
#include "auth/crypto.hpp"
#include "auth/key_error.hpp"
#include "auth/ssh_wire.hpp"
#include "auth/wiped_bytes.hpp"

namespace uvwamp {
namespace {

constexpr char magic[] = "openssh-key-v1";  // with its NUL, 15 bytes
constexpr std::string_view ed25519 = "ssh-ed25519";
constexpr std::size_t aes256_key_size = 32;
// Far above ssh-keygen's default of 16 and the 100 guides suggest, but bounded: a round takes
// some 10 ms here, and a file must not hold the caller for hours.
constexpr std::uint32_t max_bcrypt_rounds = 4096;

Error failure(key_errc code, const std::string& what) {
  return key_error(code, "OpenSSH private key: " + what);
}

Error damaged(const std::string& what) {
  return failure(key_errc::damaged, what);
}

enum class Cipher { none, aes256_ctr, aes256_cbc };

struct Envelope {
  Cipher cipher = Cipher::none;
  ByteView kdf_options;
  ByteView public_key;
  ByteView private_section;
};

// The unencrypted part: cipher, KDF, the one public key (its type checked) and the private
// section as it is stored.
Result<Envelope> read_envelope(ByteView blob) {
  constexpr std::size_t magic_size = sizeof magic;
  if (blob.size < magic_size || std::memcmp(blob.data, magic, magic_size) != 0)
    return damaged("it does not begin with \"openssh-key-v1\"");
  ssh_wire::Reader reader(blob.data + magic_size, blob.size - magic_size);
  const auto cipher_name = reader.string();
  const auto kdf_name = reader.string();
  const auto kdf_options = reader.string();
  const auto key_count = reader.uint32();
  if (!key_count) return damaged("its header is cut short");
  if (*key_count != 1)
    return damaged("it holds " + std::to_string(*key_count) + " keys; uvwamp reads one");
  const auto public_blob = reader.string();
  const auto private_section = reader.string();
  if (!private_section) return damaged("it is cut short");

  ssh_wire::Reader public_reader(*public_blob);
  const auto key_type = public_reader.string();
  if (!key_type) return damaged("its public key is cut short");
  if (key_type->text() != ed25519) {
    return failure(key_errc::wrong_key_type, "the key is of type " + quoted_name(key_type->text()) +
                                                 "; cryptosign needs ssh-ed25519");
  }
  const auto public_key = public_reader.string();
  if (!public_key || public_key->size != SigningKey::public_key_size || !public_reader.at_end())
    return damaged("its public key is not an Ed25519 key");

  Envelope envelope;
  envelope.kdf_options = *kdf_options;
  envelope.public_key = *public_key;
  envelope.private_section = *private_section;
  const std::string_view cipher = cipher_name->text();
  const std::string_view kdf = kdf_name->text();
  if (cipher == "none") {
    if (kdf != "none" || kdf_options->size != 0)
      return damaged("an unencrypted key names a key derivation");
  } else if (cipher == "aes256-ctr" || cipher == "aes256-cbc") {
    envelope.cipher = cipher == "aes256-ctr" ? Cipher::aes256_ctr : Cipher::aes256_cbc;
    if (kdf != "bcrypt") {
      return failure(key_errc::unsupported_encryption,
                     "the key derivation " + quoted_name(kdf) + " is not implemented");
    }
  } else {
    return failure(key_errc::unsupported_encryption,
                   "the cipher " + quoted_name(cipher) +
                       " is not implemented (aes256-ctr and aes256-cbc are)");
  }
  // Ciphers with a MAC (chacha20-poly1305, AES-GCM) put it here; the ones read above do not.
  if (!reader.at_end()) return damaged("it has bytes after the private section");
  return envelope;
}

Result<WipedBytes> decrypt(const Envelope& envelope, const Secret& passphrase) {
  ssh_wire::Reader options(envelope.kdf_options);
  const auto salt = options.string();
  const auto rounds = options.uint32();
  if (!rounds || !options.at_end() || salt->size == 0 || *rounds == 0)
    return damaged("its bcrypt parameters are malformed");
  if (*rounds > max_bcrypt_rounds) {
    return failure(key_errc::unsupported_encryption,
                   "bcrypt with " + std::to_string(*rounds) + " rounds is more than the " +
                       std::to_string(max_bcrypt_rounds) + " uvwamp allows");
  }
  if (envelope.private_section.size % aes::block_size != 0)
    return damaged("the encrypted section is not a whole number of AES blocks");
  if (passphrase.empty())
    return failure(key_errc::passphrase_required, "the key is encrypted; give its passphrase");

  WipedBytes key_and_iv(aes256_key_size + aes::block_size);
  if (!bcrypt_pbkdf(passphrase.reveal(), salt->data, salt->size, *rounds, key_and_iv.data(),
                    key_and_iv.size())) {
    return damaged("its bcrypt parameters are malformed");
  }
  const std::uint8_t* key = key_and_iv.data();
  const std::uint8_t* iv = key_and_iv.data() + aes256_key_size;
  const ByteView& section = envelope.private_section;
  auto plain = envelope.cipher == Cipher::aes256_ctr
                   ? aes::decrypt_ctr(key, aes256_key_size, iv, section.data, section.size)
                   : aes::decrypt_cbc(key, aes256_key_size, iv, section.data, section.size);
  if (!plain) return damaged("the private section could not be decrypted");
  return std::move(*plain);
}

// The private section: two equal check numbers (equal only if decryption worked), the key, its
// comment, and padding 1, 2, 3, ... up to the cipher's block size.
Result<SigningKey> read_private_section(ByteView section, const Envelope& envelope) {
  const bool encrypted = envelope.cipher != Cipher::none;
  ssh_wire::Reader reader(section);
  const auto check1 = reader.uint32();
  const auto check2 = reader.uint32();
  if (!check2) return damaged("the private section is cut short");
  if (*check1 != *check2) {
    if (encrypted)
      return failure(key_errc::wrong_passphrase, "the passphrase does not decrypt the key");
    return damaged("the check numbers of the private section differ");
  }
  const auto key_type = reader.string();
  const auto public_key = reader.string();
  const auto private_key = reader.string();
  const auto comment = reader.string();
  if (!comment) return damaged("the private section is cut short");
  if (key_type->text() != ed25519) return damaged("the private key is not the public key's type");
  // OpenSSH stores libsodium's form of the private key: the seed followed by the public key.
  if (private_key->size != SigningKey::seed_size + SigningKey::public_key_size)
    return damaged("the private key is not an Ed25519 key");
  const ByteView padding = reader.rest();
  const std::size_t block_size = encrypted ? aes::block_size : 8;
  bool padding_ok = padding.size < block_size;
  for (std::size_t i = 0; i < padding.size; ++i)
    padding_ok = padding_ok && padding.data[i] == i + 1;
  if (!padding_ok) return damaged("the private section's padding is wrong");

  std::array<std::uint8_t, SigningKey::seed_size> seed;
  std::memcpy(seed.data(), private_key->data, seed.size());
  SigningKey key = SigningKey::from_seed(seed);
  crypto::wipe(seed.data(), seed.size());
  const auto& derived = key.public_key();
  if (!public_key->equals(derived.data(), derived.size()) ||
      !envelope.public_key.equals(derived.data(), derived.size()) ||
      std::memcmp(private_key->data + SigningKey::seed_size, derived.data(), derived.size()) != 0) {
    return damaged("the public key does not belong to the private key");
  }
  return key;
}

}  // namespace

Result<SigningKey> parse_openssh_key(ByteView blob, const Secret& passphrase) {
  auto envelope = read_envelope(blob);
  if (!envelope) return envelope.error();
  if (envelope->cipher == Cipher::none)
    return read_private_section(envelope->private_section, *envelope);
  auto plain = decrypt(*envelope, passphrase);
  if (!plain) return plain.error();
  return read_private_section(ByteView{plain->data(), plain->size()}, *envelope);
}

}  // namespace uvwamp
