#include "auth/pkcs8_key.hpp"

#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>

#include <array>
#include <cstring>
#include <string>

#include "auth/aes.hpp"
#include "auth/crypto.hpp"
#include "auth/der.hpp"
#include "auth/key_error.hpp"
#include "auth/wiped_bytes.hpp"

namespace uvwamp {
namespace {

// Object identifiers, as the contents octets of their DER encoding.
constexpr std::uint8_t ed25519_oid[] = {0x2b, 0x65, 0x70};  // 1.3.101.112
constexpr std::uint8_t pbes2_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                      0x0d, 0x01, 0x05, 0x0d};  // 1.2.840.113549.1.5.13
constexpr std::uint8_t pbkdf2_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                       0x0d, 0x01, 0x05, 0x0c};  // 1.2.840.113549.1.5.12
constexpr std::uint8_t hmac_sha1_oid[] = {0x2a, 0x86, 0x48, 0x86,
                                          0xf7, 0x0d, 0x02, 0x07};  // 1.2.840.113549.2.7
constexpr std::uint8_t hmac_sha256_oid[] = {0x2a, 0x86, 0x48, 0x86,
                                            0xf7, 0x0d, 0x02, 0x09};  // 1.2.840.113549.2.9
constexpr std::uint8_t aes128_cbc_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                           0x03, 0x04, 0x01, 0x02};  // 2.16.840.1.101.3.4.1.2
constexpr std::uint8_t aes192_cbc_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                           0x03, 0x04, 0x01, 0x16};  // 2.16.840.1.101.3.4.1.22
constexpr std::uint8_t aes256_cbc_oid[] = {0x60, 0x86, 0x48, 0x01, 0x65,
                                           0x03, 0x04, 0x01, 0x2a};  // 2.16.840.1.101.3.4.1.42

// Names for the messages: the key algorithms and encryption schemes a user is likely to meet.
struct NamedOid {
  const char* dotted;
  const char* name;
};
constexpr NamedOid known_oids[] = {
    {"1.2.840.113549.1.1.1", "RSA"},
    {"1.2.840.113549.1.1.10", "RSA-PSS"},
    {"1.2.840.10045.2.1", "EC"},
    {"1.2.840.10040.4.1", "DSA"},
    {"1.3.101.110", "X25519"},
    {"1.3.101.111", "X448"},
    {"1.3.101.113", "Ed448"},
    {"1.3.6.1.4.1.11591.4.11", "scrypt"},
    {"1.2.840.113549.3.7", "DES-EDE3-CBC"},
    {"1.3.14.3.2.7", "DES-CBC"},
    {"1.2.840.113549.1.5.3", "PBES1 with MD5 and DES"},
    {"1.2.840.113549.1.5.10", "PBES1 with SHA-1 and DES"},
    {"1.2.840.113549.1.12.1.3", "PKCS#12 PBE with SHA-1 and 3DES"},
    {"1.2.840.113549.2.10", "HMAC-SHA384"},
    {"1.2.840.113549.2.11", "HMAC-SHA512"},
};

// OpenSSL's default is 2048 and current advice some 600000; the bound only stops a file from
// holding the caller for hours.
constexpr std::uint32_t max_iterations = 10'000'000;

Error failure(key_errc code, const std::string& what) {
  return key_error(code, "PKCS#8 private key: " + what);
}

Error damaged(const std::string& what) {
  return failure(key_errc::damaged, what);
}

template <std::size_t N>
ByteView view_of(const std::uint8_t (&bytes)[N]) {
  return {bytes, N};
}

std::string describe_oid(const der::Element& oid) {
  const std::string dotted = der::oid_text(oid.contents);
  for (const auto& known : known_oids) {
    if (dotted == known.dotted) return std::string(known.name) + " (" + dotted + ")";
  }
  return "OID " + dotted;
}

// PrivateKeyInfo / OneAsymmetricKey: version, algorithm, the key as an OCTET STRING wrapping
// the 32-byte seed, then optional attributes and (version 2) the public key.
Result<SigningKey> read_private_key_info(ByteView contents) {
  der::Reader fields(contents);
  const auto version_field = fields.next(der::tag::integer);
  const auto version = version_field ? der::small_unsigned(*version_field) : std::nullopt;
  if (!version || *version > 1) return damaged("its version is not 1 or 2");
  const auto algorithm = fields.next(der::tag::sequence);
  if (!algorithm) return damaged("it names no key algorithm");
  der::Reader algorithm_fields(algorithm->contents);
  const auto oid = algorithm_fields.next(der::tag::object_identifier);
  if (!oid) return damaged("it names no key algorithm");
  if (!der::is_oid(*oid, view_of(ed25519_oid))) {
    return failure(key_errc::wrong_key_type,
                   "the key is " + describe_oid(*oid) + "; cryptosign needs Ed25519");
  }
  // RFC 8410: the Ed25519 algorithm identifier has no parameters.
  if (!algorithm_fields.at_end()) return damaged("its Ed25519 algorithm has parameters");
  const auto private_key = fields.next(der::tag::octet_string);
  if (!private_key) return damaged("it holds no private key");
  der::Reader private_key_fields(private_key->contents);
  const auto seed_field = private_key_fields.next(der::tag::octet_string);
  if (!seed_field || seed_field->contents.size != SigningKey::seed_size ||
      !private_key_fields.at_end()) {
    return damaged("its private key is not a 32-byte Ed25519 seed");
  }
  if (fields.peek_tag() == der::tag::context_constructed(0)) fields.next();  // attributes
  std::optional<der::Element> public_key;
  if (fields.peek_tag() == der::tag::context_primitive(1)) public_key = fields.next();
  if (!fields.at_end()) return damaged("it has fields after the key");

  std::array<std::uint8_t, SigningKey::seed_size> seed;
  std::memcpy(seed.data(), seed_field->contents.data, seed.size());
  SigningKey key = SigningKey::from_seed(seed);
  crypto::wipe(seed.data(), seed.size());
  if (public_key) {
    // A BIT STRING: the count of unused bits (0), then the key.
    const ByteView bits = public_key->contents;
    const auto& derived = key.public_key();
    if (bits.size != 1 + derived.size() || bits.data[0] != 0 ||
        std::memcmp(bits.data + 1, derived.data(), derived.size()) != 0) {
      return damaged("its public key does not belong to its private key");
    }
  }
  return key;
}

enum class Prf { hmac_sha1, hmac_sha256 };

struct Pbes2 {
  ByteView salt;
  std::uint32_t iterations = 0;
  Prf prf = Prf::hmac_sha1;
  std::size_t key_size = 0;
  ByteView iv;
};

Error unsupported(const std::string& what) {
  return failure(key_errc::unsupported_encryption,
                 what + " is not implemented (PBES2 with PBKDF2 and AES-CBC is)");
}

// PBKDF2-params: salt, iteration count, optional key length, optional PRF (HMAC-SHA1 when
// absent).
Status read_pbkdf2_params(ByteView contents, Pbes2& scheme,
                          std::optional<std::uint32_t>& key_length) {
  der::Reader fields(contents);
  const auto salt = fields.next(der::tag::octet_string);
  const auto iterations_field = salt ? fields.next(der::tag::integer) : std::nullopt;
  const auto iterations = iterations_field ? der::small_unsigned(*iterations_field) : std::nullopt;
  if (!iterations || *iterations == 0) return damaged("its PBKDF2 parameters are malformed");
  scheme.salt = salt->contents;
  scheme.iterations = *iterations;
  if (fields.peek_tag() == der::tag::integer) {
    const auto length_field = fields.next();
    key_length = length_field ? der::small_unsigned(*length_field) : std::nullopt;
    if (!key_length) return damaged("its PBKDF2 key length is malformed");
  }
  if (fields.peek_tag() == der::tag::sequence) {
    const auto prf_field = fields.next();
    if (!prf_field) return damaged("its PBKDF2 parameters are malformed");
    der::Reader prf(prf_field->contents);
    const auto oid = prf.next(der::tag::object_identifier);
    if (!oid) return damaged("its PBKDF2 parameters are malformed");
    if (der::is_oid(*oid, view_of(hmac_sha1_oid))) {
      scheme.prf = Prf::hmac_sha1;
    } else if (der::is_oid(*oid, view_of(hmac_sha256_oid))) {
      scheme.prf = Prf::hmac_sha256;
    } else {
      return unsupported("PBKDF2 with " + describe_oid(*oid));
    }
    if (prf.peek_tag() == der::tag::null) prf.next();
    if (!prf.at_end()) return damaged("its PBKDF2 parameters are malformed");
  }
  if (!fields.at_end()) return damaged("its PBKDF2 parameters are malformed");
  return {};
}

// The encryptionScheme: an AES-CBC OID and its IV.
Status read_cipher(ByteView contents, Pbes2& scheme) {
  der::Reader fields(contents);
  const auto oid = fields.next(der::tag::object_identifier);
  if (!oid) return damaged("its cipher is malformed");
  if (der::is_oid(*oid, view_of(aes128_cbc_oid))) {
    scheme.key_size = 16;
  } else if (der::is_oid(*oid, view_of(aes192_cbc_oid))) {
    scheme.key_size = 24;
  } else if (der::is_oid(*oid, view_of(aes256_cbc_oid))) {
    scheme.key_size = 32;
  } else {
    return unsupported("the cipher " + describe_oid(*oid));
  }
  const auto iv = fields.next(der::tag::octet_string);
  if (!iv || iv->contents.size != aes::block_size || !fields.at_end())
    return damaged("its AES-CBC IV is malformed");
  scheme.iv = iv->contents;
  return {};
}

// PBES2-params: the key derivation (PBKDF2 only) and the cipher.
Result<Pbes2> read_pbes2(const der::Element& algorithm) {
  der::Reader fields(algorithm.contents);
  const auto oid = fields.next(der::tag::object_identifier);
  if (!oid) return damaged("its encryption algorithm is malformed");
  if (!der::is_oid(*oid, view_of(pbes2_oid)))
    return unsupported("the scheme " + describe_oid(*oid));
  const auto params = fields.next(der::tag::sequence);
  if (!params || !fields.at_end()) return damaged("its PBES2 parameters are malformed");
  der::Reader parts(params->contents);
  const auto kdf = parts.next(der::tag::sequence);
  const auto cipher = kdf ? parts.next(der::tag::sequence) : std::nullopt;
  if (!cipher || !parts.at_end()) return damaged("its PBES2 parameters are malformed");

  der::Reader kdf_fields(kdf->contents);
  const auto kdf_oid = kdf_fields.next(der::tag::object_identifier);
  if (!kdf_oid) return damaged("its key derivation is malformed");
  if (!der::is_oid(*kdf_oid, view_of(pbkdf2_oid)))
    return unsupported("the key derivation " + describe_oid(*kdf_oid));
  const auto kdf_params = kdf_fields.next(der::tag::sequence);
  if (!kdf_params || !kdf_fields.at_end()) return damaged("its PBKDF2 parameters are malformed");

  Pbes2 scheme;
  std::optional<std::uint32_t> key_length;
  if (auto status = read_pbkdf2_params(kdf_params->contents, scheme, key_length); !status)
    return status.error();
  if (auto status = read_cipher(cipher->contents, scheme); !status) return status.error();
  if (key_length && *key_length != scheme.key_size)
    return damaged("its PBKDF2 key length does not fit its cipher");
  if (scheme.iterations > max_iterations) {
    return failure(key_errc::unsupported_encryption,
                   "PBKDF2 with " + std::to_string(scheme.iterations) +
                       " iterations is more than the " + std::to_string(max_iterations) +
                       " uvwamp allows");
  }
  return scheme;
}

bool pbkdf2_hmac_sha1(std::string_view passphrase, const Pbes2& scheme, std::uint8_t* out) {
  mbedtls_md_context_t context;
  mbedtls_md_init(&context);
  const bool ok = mbedtls_md_setup(&context, mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), 1) == 0 &&
                  mbedtls_pkcs5_pbkdf2_hmac(
                      &context, reinterpret_cast<const unsigned char*>(passphrase.data()),
                      passphrase.size(), scheme.salt.data, scheme.salt.size, scheme.iterations,
                      static_cast<std::uint32_t>(scheme.key_size), out) == 0;
  mbedtls_md_free(&context);  // wipes the keyed HMAC state
  return ok;
}

// The PKCS#7 padding of the decrypted bytes: how many there are, or nullopt when they are not
// padding (a wrong passphrase, almost always).
std::optional<std::size_t> padding_size(const WipedBytes& plain) {
  const std::size_t count = plain[plain.size() - 1];
  if (count == 0 || count > aes::block_size) return std::nullopt;
  for (std::size_t i = plain.size() - count; i < plain.size(); ++i) {
    if (plain[i] != count) return std::nullopt;
  }
  return count;
}

Result<SigningKey> read_encrypted_private_key_info(ByteView contents, const Secret& passphrase) {
  der::Reader fields(contents);
  const auto algorithm = fields.next(der::tag::sequence);
  const auto data = algorithm ? fields.next(der::tag::octet_string) : std::nullopt;
  if (!data || !fields.at_end()) return damaged("its structure is malformed");
  auto scheme = read_pbes2(*algorithm);
  if (!scheme) return scheme.error();
  const ByteView encrypted = data->contents;
  if (encrypted.size == 0 || encrypted.size % aes::block_size != 0)
    return damaged("the encrypted key is not a whole number of AES blocks");
  if (passphrase.empty())
    return failure(key_errc::passphrase_required, "the key is encrypted; give its passphrase");

  WipedBytes key(scheme->key_size);
  if (scheme->prf == Prf::hmac_sha256) {
    crypto::pbkdf2_hmac_sha256(passphrase.reveal(), scheme->salt.data, scheme->salt.size,
                               scheme->iterations, key.data(), key.size());
  } else if (!pbkdf2_hmac_sha1(passphrase.reveal(), *scheme, key.data())) {
    return damaged("its PBKDF2 parameters are not usable");
  }
  const auto plain =
      aes::decrypt_cbc(key.data(), key.size(), scheme->iv.data, encrypted.data, encrypted.size);
  if (!plain) return damaged("the key could not be decrypted");
  const Error wrong_passphrase =
      failure(key_errc::wrong_passphrase, "the passphrase does not decrypt the key");
  const auto padding = padding_size(*plain);
  if (!padding) return wrong_passphrase;
  der::Reader inner(plain->data(), plain->size() - *padding);
  const auto info = inner.next(der::tag::sequence);
  if (!info || !inner.at_end()) return wrong_passphrase;
  auto result = read_private_key_info(info->contents);
  // Decrypted with a wrong key, the bytes are noise that happened to end in valid padding.
  if (!result && result.error().code == key_errc::damaged) return wrong_passphrase;
  return result;
}

}  // namespace

bool looks_like_pkcs8_der(ByteView bytes) {
  if (bytes.size < 3 || bytes.data[0] != der::tag::sequence) return false;
  std::size_t header = 2;
  if (bytes.data[1] & 0x80) header += bytes.data[1] & 0x7f;
  if (bytes.data[1] == 0x80 || header >= bytes.size) return false;
  return bytes.data[header] == der::tag::integer || bytes.data[header] == der::tag::sequence;
}

Result<SigningKey> parse_pkcs8_key(ByteView der, const Secret& passphrase) {
  der::Reader outer(der);
  const auto top = outer.next(der::tag::sequence);
  if (!top || !outer.at_end()) return damaged("it is not one whole DER structure");
  der::Reader fields(top->contents);
  if (fields.peek_tag() == der::tag::sequence)
    return read_encrypted_private_key_info(top->contents, passphrase);
  return read_private_key_info(top->contents);
}

}  // namespace uvwamp
