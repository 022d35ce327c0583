// The C API's authentication (include/uvwamp.h, "Authentication"): the auth options, the secret
// requests handed to C callbacks, and signing keys, over auth.hpp and signing_key.hpp.
//
// Secrets from C are copied straight into a uvwamp::Secret, never into a string or a buffer that
// would not be wiped.
#include <uvwamp.h>
#include <uvwamp/auth.hpp>
#include <uvwamp/signing_key.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "auth/crypto.hpp"
#include "capi/capi_internal.hpp"

using uvwamp::Secret;
using uvwamp::SecretReply;
using uvwamp::capi::AuthMethodMaker;
using uvwamp::capi::copy_object;
using uvwamp::capi::guarded;
using uvwamp::capi::SecretRequests;

struct uvwamp_secret_reply {
  SecretReply cpp;
  SecretRequests* owner = nullptr;
};

struct uvwamp_signing_key {
  uvwamp::SigningKey cpp;
};

namespace uvwamp::capi {

SecretRequests::~SecretRequests() {
  for (uvwamp_secret_reply* handle : open_)
    delete handle;
}

uvwamp_secret_reply* SecretRequests::open(SecretReply& reply) {
  auto handle = std::make_unique<uvwamp_secret_reply>();
  handle->owner = this;
  open_.insert(handle.get());
  handle->cpp = std::move(reply);
  return handle.release();
}

SecretReply SecretRequests::take(uvwamp_secret_reply* handle) noexcept {
  SecretReply reply = std::move(handle->cpp);
  handle->owner->open_.erase(handle);
  delete handle;
  return reply;
}

}  // namespace uvwamp::capi

namespace {

// Asks the C callback for the secret, handing it a reply handle that the client keeps until it
// is answered.
uvwamp::SecretCallback ask_application(uvwamp_client* client,
                                       std::weak_ptr<SecretRequests> requests,
                                       uvwamp_secret_cb fetch, void* user_data) {
  return [client, requests = std::move(requests), fetch, user_data](SecretReply reply) {
    // The requests go with the client's handle, after its close callback, when no join asks
    // any more; so only running out of memory leaves no handle.
    uvwamp_secret_reply* handle = nullptr;
    try {
      if (std::shared_ptr<SecretRequests> open = requests.lock()) handle = open->open(reply);
    } catch (...) {
    }
    if (handle == nullptr) return reply(std::string("no memory to ask for the secret"));
    fetch(client, handle, user_data);
  };
}

// A method that takes its secret from a C callback, made for each client.
template <class Factory>
AuthMethodMaker asking_method(Factory factory, uvwamp_secret_cb fetch, void* user_data) {
  return [factory, fetch, user_data](uvwamp_client* client,
                                     const std::weak_ptr<SecretRequests>& requests) {
    return factory(uvwamp::SecretSource(ask_application(client, requests, fetch, user_data)));
  };
}

AuthMethodMaker ready_method(std::shared_ptr<uvwamp::Authenticator> method) {
  return [method = std::move(method)](uvwamp_client*, const std::weak_ptr<SecretRequests>&) {
    return method;
  };
}

int add_method(uvwamp_options* options, AuthMethodMaker method) {
  options->auth_methods.push_back(std::move(method));
  return 0;
}

template <class Factory>
int add_method_with_secret(uvwamp_options* options, Factory factory, const void* secret,
                           size_t len) {
  if (options == nullptr || (secret == nullptr && len != 0)) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Secret copy(std::string_view(static_cast<const char*>(secret), len));
    return add_method(options, ready_method(factory(uvwamp::SecretSource(std::move(copy)))));
  });
}

template <class Factory>
int add_method_with_callback(uvwamp_options* options, Factory factory, uvwamp_secret_cb fetch,
                             void* user_data) {
  if (options == nullptr || fetch == nullptr) return UVWAMP_EINVAL;
  return guarded(
      [&]() -> int { return add_method(options, asking_method(factory, fetch, user_data)); });
}

int set_string(uvwamp_options* options, const char* text, std::string uvwamp::AuthOptions::*field) {
  if (options == nullptr || text == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    options->cpp.auth.*field = text;
    return 0;
  });
}

struct WipedSeed {
  std::array<std::uint8_t, uvwamp::SigningKey::seed_size> bytes;
  ~WipedSeed() { uvwamp::crypto::wipe(bytes.data(), bytes.size()); }
};

// Writes `text` into the caller's buffer as snprintf would.
void write_message(char* message, size_t message_size, const std::string& text) noexcept {
  if (message == nullptr || message_size == 0) return;
  std::snprintf(message, message_size, "%s", text.c_str());
}

// Answers `reply`; once handed over, what the answer sets off (the challenge's computation, the
// AUTHENTICATE) belongs to the join, which reports its own failures.
void answer(uvwamp_secret_reply* reply, uvwamp::Result<Secret, std::string> result) noexcept {
  SecretReply send = SecretRequests::take(reply);
  try {
    send(std::move(result));
  } catch (...) {
  }
}

// Crossbar's dialect, the default of auth::scram.
std::shared_ptr<uvwamp::Authenticator> scram_method(uvwamp::SecretSource password) {
  return uvwamp::auth::scram(std::move(password));
}

std::shared_ptr<uvwamp::Authenticator> wamp_scram_method(uvwamp::SecretSource password) {
  return uvwamp::auth::scram(std::move(password), {uvwamp::auth::ScramDialect::spec});
}

}  // namespace

extern "C" {

int uvwamp_options_set_authid(uvwamp_options* options, const char* authid) {
  return set_string(options, authid, &uvwamp::AuthOptions::authid);
}

int uvwamp_options_set_authrole(uvwamp_options* options, const char* authrole) {
  return set_string(options, authrole, &uvwamp::AuthOptions::authrole);
}

int uvwamp_options_set_authextra(uvwamp_options* options, const uvwamp_value* authextra) {
  if (options == nullptr || authextra == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    uvwamp::Value::Object copy;
    if (int rc = copy_object(authextra, copy); rc != 0) return rc;
    options->cpp.auth.authextra = std::move(copy);
    return 0;
  });
}

int uvwamp_secret_reply_give(uvwamp_secret_reply* reply, const void* secret, size_t len) {
  if (reply == nullptr || (secret == nullptr && len != 0)) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    Secret copy(std::string_view(static_cast<const char*>(secret), len));
    answer(reply, std::move(copy));
    return 0;
  });
}

int uvwamp_secret_reply_fail(uvwamp_secret_reply* reply, const char* why) {
  if (reply == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    std::string sentence = why != nullptr ? why : "the application gave no secret";
    answer(reply, std::move(sentence));
    return 0;
  });
}

int uvwamp_options_add_auth_anonymous(uvwamp_options* options) {
  if (options == nullptr) return UVWAMP_EINVAL;
  return guarded(
      [&]() -> int { return add_method(options, ready_method(uvwamp::auth::anonymous())); });
}

int uvwamp_options_add_auth_ticket(uvwamp_options* options, const void* ticket, size_t len) {
  return add_method_with_secret(options, uvwamp::auth::ticket, ticket, len);
}

int uvwamp_options_add_auth_ticket_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                      void* user_data) {
  return add_method_with_callback(options, uvwamp::auth::ticket, fetch, user_data);
}

int uvwamp_options_add_auth_wampcra(uvwamp_options* options, const void* secret, size_t len) {
  return add_method_with_secret(options, uvwamp::auth::wampcra, secret, len);
}

int uvwamp_options_add_auth_wampcra_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                       void* user_data) {
  return add_method_with_callback(options, uvwamp::auth::wampcra, fetch, user_data);
}

int uvwamp_options_add_auth_scram(uvwamp_options* options, const void* password, size_t len) {
  return add_method_with_secret(options, scram_method, password, len);
}

int uvwamp_options_add_auth_scram_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                     void* user_data) {
  return add_method_with_callback(options, scram_method, fetch, user_data);
}

int uvwamp_options_add_auth_wamp_scram(uvwamp_options* options, const void* password, size_t len) {
  return add_method_with_secret(options, wamp_scram_method, password, len);
}

int uvwamp_options_add_auth_wamp_scram_cb(uvwamp_options* options, uvwamp_secret_cb fetch,
                                          void* user_data) {
  return add_method_with_callback(options, wamp_scram_method, fetch, user_data);
}

int uvwamp_signing_key_load(const char* path, const void* passphrase, size_t passphrase_len,
                            uvwamp_signing_key** key, char* message, size_t message_size) {
  int rc = UVWAMP_EINVAL;
  if (path != nullptr && key != nullptr && (passphrase != nullptr || passphrase_len == 0)) {
    rc = guarded([&]() -> int {
      const Secret secret(std::string_view(static_cast<const char*>(passphrase), passphrase_len));
      uvwamp::Result<uvwamp::SigningKey> loaded = uvwamp::SigningKey::load_file(path, secret);
      if (!loaded) {
        write_message(message, message_size, loaded.error().message);
        return UVWAMP_EKEY;
      }
      *key = new uvwamp_signing_key{*loaded};
      return 0;
    });
  }
  if (rc != 0 && rc != UVWAMP_EKEY) write_message(message, message_size, uvwamp_strerror(rc));
  return rc;
}

int uvwamp_signing_key_from_seed(const uint8_t* seed, uvwamp_signing_key** key) {
  if (seed == nullptr || key == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    WipedSeed copy;
    std::memcpy(copy.bytes.data(), seed, copy.bytes.size());
    *key = new uvwamp_signing_key{uvwamp::SigningKey::from_seed(copy.bytes)};
    return 0;
  });
}

void uvwamp_signing_key_free(uvwamp_signing_key* key) {
  delete key;
}

int uvwamp_signing_key_public_key_hex(const uvwamp_signing_key* key, char* hex) {
  if (key == nullptr || hex == nullptr) return UVWAMP_EINVAL;
  return guarded([&]() -> int {
    const std::string digits = key->cpp.public_key_hex();
    std::memcpy(hex, digits.c_str(), digits.size() + 1);
    return 0;
  });
}

int uvwamp_options_add_auth_cryptosign(uvwamp_options* options, const uvwamp_signing_key* key,
                                       unsigned flags) {
  if (options == nullptr || key == nullptr ||
      (flags & ~static_cast<unsigned>(UVWAMP_CRYPTOSIGN_CHANNEL_BINDING)) != 0) {
    return UVWAMP_EINVAL;
  }
  return guarded([&]() -> int {
    uvwamp::auth::CryptosignOptions cryptosign;
    cryptosign.channel_binding = (flags & UVWAMP_CRYPTOSIGN_CHANNEL_BINDING) != 0;
    return add_method(options, ready_method(uvwamp::auth::cryptosign(key->cpp, cryptosign)));
  });
}

}  // extern "C"
