#include <uvwamp/auth.hpp>

#include "auth/crypto.hpp"

#include <utility>

namespace uvwamp {

Secret::Secret(std::string_view text) : bytes_(text.begin(), text.end()) {}

Secret::Secret(const Secret& other) : bytes_(other.bytes_) {}

Secret& Secret::operator=(const Secret& other) {
  if (this != &other) {
    wipe();
    bytes_ = other.bytes_;
  }
  return *this;
}

// A moved vector hands over its buffer, so no copy of the bytes is left behind in `other`.
Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

Secret::~Secret() {
  wipe();
}

void Secret::wipe() noexcept {
  crypto::wipe(bytes_.data(), bytes_.size());
  bytes_.clear();
}

SecretSource::SecretSource(Secret secret)
    : fetch_([secret = std::make_shared<const Secret>(std::move(secret))](SecretReply reply) {
        reply(*secret);
      }) {}

SecretSource::SecretSource(SecretCallback fetch) : fetch_(std::move(fetch)) {}

void SecretSource::fetch(SecretReply reply) const {
  if (!fetch_) {
    reply(std::string("no secret was given and no callback to fetch one"));
    return;
  }
  fetch_(std::move(reply));
}

}  // namespace uvwamp
