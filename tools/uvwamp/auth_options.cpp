#include "auth_options.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "auth/wiped_bytes.hpp"
#include "session_options.hpp"

namespace uvwamp::cli {
namespace {

// A secret file holds one secret; anything larger is the wrong file.
constexpr std::size_t max_secret_file_size = 64 * 1024;

// Prints "uvwamp VERB: OPTION: MESSAGE", without OPTION when it is empty.
bool option_error(const char* verb, const std::string& option, const std::string& message) {
  const std::string where = option.empty() ? "" : option + ": ";
  std::fprintf(stderr, "uvwamp %s: %s%s\n", verb, where.c_str(), message.c_str());
  return false;
}

// The method a secret option offers, by the option's name.
struct SecretOption {
  const char* file_option;
  const char* env_option;
  const char* method;
  std::shared_ptr<Authenticator> (*factory)(SecretSource);
};

// Crossbar's dialect, auth::scram's default.
std::shared_ptr<Authenticator> crossbar_scram(SecretSource password) {
  return auth::scram(std::move(password));
}

std::shared_ptr<Authenticator> spec_scram(SecretSource password) {
  return auth::scram(std::move(password), {auth::ScramDialect::spec});
}

const SecretOption secret_options[] = {
    {"--ticket-file", "--ticket-env", "ticket", auth::ticket},
    {"--wampcra-secret-file", "--wampcra-secret-env", "wampcra", auth::wampcra},
    {"--scram-password-file", "--scram-password-env", "scram", crossbar_scram},
    {"--wamp-scram-password-file", "--wamp-scram-password-env", "wamp-scram", spec_scram},
};

const SecretOption* find_secret_option(const std::string& option) {
  for (const SecretOption& known : secret_options) {
    if (option == known.file_option || option == known.env_option) return &known;
  }
  return nullptr;
}

}  // namespace

Result<Secret, std::string> read_secret_file(const std::string& path) {
  // Read with read(2) into wiped memory: no stdio buffer keeps a copy.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot read " + path + ": " + std::strerror(errno);
  WipedBytes contents(max_secret_file_size + 1);
  std::size_t size = 0;
  while (size < contents.size()) {
    const ssize_t got = ::read(fd, contents.data() + size, contents.size() - size);
    if (got == 0) break;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      ::close(fd);
      return "cannot read " + path + ": " + std::strerror(error);
    }
    size += static_cast<std::size_t>(got);
  }
  ::close(fd);
  if (size > max_secret_file_size) {
    return path + " is larger than a secret file may be (" + std::to_string(max_secret_file_size) +
           " bytes)";
  }
  std::string_view text(reinterpret_cast<const char*>(contents.data()), size);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (text.empty()) return path + " is empty";
  return Secret(text);
}

Result<Secret, std::string> read_secret_env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return "the environment variable " + name + " is not set";
  if (*value == '\0') return "the environment variable " + name + " is empty";
  return Secret(value);
}

bool KeyPassphraseOption::takes(const std::string& option) {
  return option == "--key-passphrase-file" || option == "--key-passphrase-env";
}

bool KeyPassphraseOption::apply(const char* verb, const std::string& option,
                                const std::string& value) {
  if (passphrase_) return option_error(verb, option, "the key's passphrase was already given");
  Result<Secret, std::string> read =
      option == "--key-passphrase-file" ? read_secret_file(value) : read_secret_env(value);
  if (!read) return option_error(verb, option, read.error());
  passphrase_ = std::move(read).value();
  return true;
}

const Secret& KeyPassphraseOption::passphrase() const {
  static const Secret none;
  return passphrase_ ? *passphrase_ : none;
}

std::optional<SigningKey> load_key(const char* verb, const char* option, const std::string& path,
                                   const Secret& passphrase) {
  Result<SigningKey> key = SigningKey::load_file(path, passphrase);
  if (!key) {
    option_error(verb, option, key.error().message);
    return std::nullopt;
  }
  return std::move(key).value();
}

bool AuthCommandLine::takes_value(const std::string& option) const {
  return option == "--authid" || option == "--authrole" || option == "--authextra" ||
         option == "--cryptosign-key" || KeyPassphraseOption::takes(option) ||
         find_secret_option(option) != nullptr;
}

bool AuthCommandLine::is_flag(const std::string& option) const {
  return option == "--anonymous" || option == "--channel-binding";
}

bool AuthCommandLine::apply(const std::string& option, const std::string& value) {
  if (option == "--authid") {
    authid_ = value;
  } else if (option == "--authrole") {
    authrole_ = value;
  } else if (option == "--authextra") {
    std::optional<Value::Object> extra = parse_json_object_argument(verb_, "--authextra", value);
    if (!extra) return false;
    authextra_ = std::move(*extra);
  } else if (option == "--anonymous") {
    return offer(option, "anonymous", auth::anonymous());
  } else if (option == "--channel-binding") {
    channel_binding_ = true;
  } else if (option == "--cryptosign-key") {
    if (!offer(option, "cryptosign", nullptr)) return false;
    key_path_ = value;
  } else if (KeyPassphraseOption::takes(option)) {
    return key_passphrase_.apply(verb_, option, value);
  } else if (const SecretOption* known = find_secret_option(option)) {
    Result<Secret, std::string> secret =
        option == known->file_option ? read_secret_file(value) : read_secret_env(value);
    if (!secret) return option_error(verb_, option, secret.error());
    return offer(option, known->method, known->factory(SecretSource(std::move(secret).value())));
  }
  return true;
}

bool AuthCommandLine::offer(const std::string& option, const std::string& name,
                            std::shared_ptr<Authenticator> authenticator) {
  for (const Method& method : methods_) {
    if (method.name == name) return usage_error(verb_, option + ": " + name + " is offered twice");
  }
  methods_.push_back({name, std::move(authenticator)});
  return true;
}

bool AuthCommandLine::complete(AuthOptions& auth) {
  if (!key_path_ && key_passphrase_.given()) {
    return usage_error(verb_, "a key passphrase was given, but no --cryptosign-key");
  }
  if (!key_path_ && channel_binding_) {
    return usage_error(verb_, "--channel-binding needs --cryptosign-key");
  }
  for (Method& method : methods_) {
    if (method.authenticator) continue;
    std::optional<SigningKey> key =
        load_key(verb_, "--cryptosign-key", *key_path_, key_passphrase_.passphrase());
    if (!key) return false;
    auth::CryptosignOptions options;
    options.channel_binding = channel_binding_;
    method.authenticator = auth::cryptosign(*key, options);
  }
  auth.authid = std::move(authid_);
  auth.authrole = std::move(authrole_);
  auth.authextra = std::move(authextra_);
  for (Method& method : methods_)
    auth.methods.push_back(std::move(method.authenticator));
  return true;
}

}  // namespace uvwamp::cli
