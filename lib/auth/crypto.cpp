#include "auth/crypto.hpp"

#include <argon2.h>
#include <sodium.h>

#include <limits>

namespace uvwamp::crypto {

Sha256 sha256(const std::uint8_t* data, std::size_t size) {
  Sha256 digest;
  crypto_hash_sha256(digest.data(), data, size);
  return digest;
}

Sha256 hmac_sha256(const std::uint8_t* key, std::size_t key_size, const std::uint8_t* data,
                   std::size_t size) {
  // The state API, because crypto_auth_hmacsha256() takes only 32-byte keys and PBKDF2 and
  // WAMP-CRA use keys of any length.
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key, key_size);
  crypto_auth_hmacsha256_update(&state, data, size);
  Sha256 mac;
  crypto_auth_hmacsha256_final(&state, mac.data());
  wipe(&state, sizeof state);
  return mac;
}

void pbkdf2_hmac_sha256(std::string_view password, const std::uint8_t* salt, std::size_t salt_size,
                        std::uint32_t iterations, std::uint8_t* out, std::size_t out_size) {
  // The keyed state is built once and copied for every PRF call: the password is hashed into the
  // inner and outer pads only once, not once per iteration.
  crypto_auth_hmacsha256_state keyed;
  crypto_auth_hmacsha256_init(&keyed, reinterpret_cast<const std::uint8_t*>(password.data()),
                              password.size());
  crypto_auth_hmacsha256_state state;
  Sha256 u;
  Sha256 t;
  for (std::uint32_t block = 1; out_size > 0; ++block) {
    const std::uint8_t block_index[4] = {
        static_cast<std::uint8_t>(block >> 24), static_cast<std::uint8_t>(block >> 16),
        static_cast<std::uint8_t>(block >> 8), static_cast<std::uint8_t>(block)};
    state = keyed;
    crypto_auth_hmacsha256_update(&state, salt, salt_size);
    crypto_auth_hmacsha256_update(&state, block_index, sizeof block_index);
    crypto_auth_hmacsha256_final(&state, u.data());
    t = u;
    for (std::uint32_t i = 1; i < iterations; ++i) {
      state = keyed;
      crypto_auth_hmacsha256_update(&state, u.data(), u.size());
      crypto_auth_hmacsha256_final(&state, u.data());
      for (std::size_t k = 0; k < t.size(); ++k)
        t[k] ^= u[k];
    }
    const std::size_t take = out_size < t.size() ? out_size : t.size();
    for (std::size_t k = 0; k < take; ++k)
      out[k] = t[k];
    out += take;
    out_size -= take;
  }
  wipe(&keyed, sizeof keyed);
  wipe(&state, sizeof state);
  wipe(u.data(), u.size());
  wipe(t.data(), t.size());
}

namespace {

argon2_type to_argon2_type(Argon2Type type) {
  switch (type) {
    case Argon2Type::d:
      return Argon2_d;
    case Argon2Type::i:
      return Argon2_i;
    case Argon2Type::id:
      break;
  }
  return Argon2_id;
}

bool fits_uint32(std::size_t size) {
  return size <= std::numeric_limits<std::uint32_t>::max();
}

// argon2_context takes non-const pointers but only reads the inputs (no ARGON2_FLAG_CLEAR_*).
std::uint8_t* input_bytes(std::string_view text) {
  return reinterpret_cast<std::uint8_t*>(const_cast<char*>(text.data()));
}

}  // namespace

Result<void, std::string> argon2(const Argon2Params& params, std::string_view password,
                                 std::string_view salt, std::string_view secret,
                                 std::string_view associated, std::uint8_t* out,
                                 std::size_t out_size) {
  if (!fits_uint32(out_size) || !fits_uint32(password.size()) || !fits_uint32(salt.size()) ||
      !fits_uint32(secret.size()) || !fits_uint32(associated.size())) {
    return std::string("Argon2: an input or the output is longer than 4 GiB");
  }
  argon2_context context{};
  context.out = out;
  context.outlen = static_cast<std::uint32_t>(out_size);
  context.pwd = input_bytes(password);
  context.pwdlen = static_cast<std::uint32_t>(password.size());
  context.salt = input_bytes(salt);
  context.saltlen = static_cast<std::uint32_t>(salt.size());
  context.secret = secret.empty() ? nullptr : input_bytes(secret);
  context.secretlen = static_cast<std::uint32_t>(secret.size());
  context.ad = associated.empty() ? nullptr : input_bytes(associated);
  context.adlen = static_cast<std::uint32_t>(associated.size());
  context.t_cost = params.passes;
  context.m_cost = params.memory_kib;
  context.lanes = params.parallelism;
  // One thread: the caller already runs this off the loop, on a machine it shares.
  context.threads = 1;
  context.version = params.version;
  context.flags = ARGON2_DEFAULT_FLAGS;
  const int status = argon2_ctx(&context, to_argon2_type(params.type));
  if (status != ARGON2_OK) return std::string("Argon2: ") + argon2_error_message(status);
  return {};
}

bool random_bytes(std::uint8_t* out, std::size_t size) {
  // sodium_init() is idempotent and thread-safe; it fails only without a random source.
  if (sodium_init() < 0) return false;
  randombytes_buf(out, size);
  return true;
}

bool equal_in_constant_time(const std::uint8_t* a, const std::uint8_t* b, std::size_t size) {
  return sodium_memcmp(a, b, size) == 0;
}

void wipe(void* data, std::size_t size) noexcept {
  sodium_memzero(data, size);
}

}  // namespace uvwamp::crypto
