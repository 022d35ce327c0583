// The authentication options of the verbs that talk to a router (--authid, --ticket-file,
// --cryptosign-key, ...; session_options_help lists them), and secrets read from files and
// environment variables, never from the command line, which other users can read.
#pragma once

#include <uvwamp/auth.hpp>
#include <uvwamp/result.hpp>
#include <uvwamp/signing_key.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvwamp::cli {

// The secret in the file at `path`, without one trailing line ending; or why there is none (a
// sentence that names the file, never its contents).
Result<Secret, std::string> read_secret_file(const std::string& path);
// The value of the environment variable `name`; or why there is none.
Result<Secret, std::string> read_secret_env(const std::string& name);

// --key-passphrase-file PATH and --key-passphrase-env VAR, which `uvwamp key` shares.
class KeyPassphraseOption {
 public:
  static bool takes(const std::string& option);
  // False after printing why the passphrase cannot be had, or that one was given before.
  bool apply(const char* verb, const std::string& option, const std::string& value);
  bool given() const noexcept { return passphrase_.has_value(); }
  const Secret& passphrase() const;

 private:
  std::optional<Secret> passphrase_;
};

// The key in `path`, decrypted with `passphrase`; nullopt after printing why, after `option`
// when it is not empty.
std::optional<SigningKey> load_key(const char* verb, const char* option, const std::string& path,
                                   const Secret& passphrase);

class AuthCommandLine {
 public:
  explicit AuthCommandLine(const char* verb) : verb_(verb) {}

  bool takes_value(const std::string& option) const;
  bool is_flag(const std::string& option) const;
  // Applies one option; false after printing why it is refused.
  bool apply(const std::string& option, const std::string& value);
  // Loads the key, once its passphrase is known, and fills `auth`; false after printing why.
  bool complete(AuthOptions& auth);

 private:
  // A method, offered in the order given; for cryptosign a null until the key is loaded.
  struct Method {
    std::string name;
    std::shared_ptr<Authenticator> authenticator;
  };
  bool offer(const std::string& option, const std::string& name,
             std::shared_ptr<Authenticator> authenticator);

  const char* verb_;
  std::vector<Method> methods_;
  std::string authid_;
  std::string authrole_;
  Value::Object authextra_;
  std::optional<std::string> key_path_;
  KeyPassphraseOption key_passphrase_;
  bool channel_binding_ = false;
};

}  // namespace uvwamp::cli
