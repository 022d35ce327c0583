#include "auth/aes.hpp"

#include <mbedtls/aes.h>

#include <array>
#include <utility>

namespace uvwamp::aes {
namespace {

using Block = std::array<unsigned char, block_size>;

bool is_aes_key_size(std::size_t key_size) {
  return key_size == 16 || key_size == 24 || key_size == 32;
}

// An mbedTLS AES context that wipes its round keys when it goes away.
class Context {
 public:
  Context() { mbedtls_aes_init(&context_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() { mbedtls_aes_free(&context_); }
  mbedtls_aes_context* get() { return &context_; }

 private:
  mbedtls_aes_context context_;
};

Block copy_block(const std::uint8_t* bytes) {
  Block block;
  for (std::size_t i = 0; i < block.size(); ++i)
    block[i] = bytes[i];
  return block;
}

}  // namespace

std::optional<WipedBytes> decrypt_cbc(const std::uint8_t* key, std::size_t key_size,
                                      const std::uint8_t* iv, const std::uint8_t* data,
                                      std::size_t size) {
  if (!is_aes_key_size(key_size) || size % block_size != 0) return std::nullopt;
  Context context;
  WipedBytes plain(size);
  Block chain = copy_block(iv);
  const bool ok =
      mbedtls_aes_setkey_dec(context.get(), key, static_cast<unsigned>(key_size * 8)) == 0 &&
      mbedtls_aes_crypt_cbc(context.get(), MBEDTLS_AES_DECRYPT, size, chain.data(), data,
                            plain.data()) == 0;
  if (!ok) return std::nullopt;
  return std::optional<WipedBytes>(std::move(plain));
}

std::optional<WipedBytes> decrypt_ctr(const std::uint8_t* key, std::size_t key_size,
                                      const std::uint8_t* initial_counter, const std::uint8_t* data,
                                      std::size_t size) {
  if (!is_aes_key_size(key_size)) return std::nullopt;
  Context context;
  WipedBytes plain(size);
  Block counter = copy_block(initial_counter);
  Block keystream{};
  std::size_t offset = 0;
  const bool ok =
      mbedtls_aes_setkey_enc(context.get(), key, static_cast<unsigned>(key_size * 8)) == 0 &&
      mbedtls_aes_crypt_ctr(context.get(), size, &offset, counter.data(), keystream.data(), data,
                            plain.data()) == 0;
  crypto::wipe(keystream.data(), keystream.size());
  if (!ok) return std::nullopt;
  return std::optional<WipedBytes>(std::move(plain));
}

}  // namespace uvwamp::aes
