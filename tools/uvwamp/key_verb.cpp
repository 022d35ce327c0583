#include <cstdio>
#include <optional>

#include "auth_options.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp key FILE [--key-passphrase-file PATH | --key-passphrase-env VAR] [--openssh]\n"
    "\n"
    "Reads the Ed25519 private key in FILE, as --cryptosign-key does (OpenSSH, PuTTY, PKCS#8, or\n"
    "the 32-byte seed as hex or base64), and prints its public key: 64 hex digits, what a\n"
    "Crossbar principal's authorized_keys lists, or with --openssh an authorized_keys line.\n"
    "The passphrase of an encrypted key is read from a file (its trailing newline ignored) or an\n"
    "environment variable, never taken as an argument, which other users can see (ps).\n"
    "\n"
    "  --key-passphrase-file PATH   read the passphrase from PATH\n"
    "  --key-passphrase-env VAR     read the passphrase from $VAR\n"
    "  --openssh                    print \"ssh-ed25519 AAAA...\" instead of hex\n"
    "  -h, --help                   this text\n"
    "\n"
    "Exit status: 0 done, 2 bad command line, or a key or passphrase that cannot be read.\n";

}  // namespace

int key_verb(const std::vector<std::string>& args) {
  std::optional<std::string> path;
  KeyPassphraseOption passphrase;
  bool openssh = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    }
    if (arg == "--openssh") {
      openssh = true;
    } else if (KeyPassphraseOption::takes(arg)) {
      if (i + 1 == args.size()) {
        std::fprintf(stderr, "uvwamp key: %s needs a value (see uvwamp key --help)\n", arg.c_str());
        return exit_usage;
      }
      if (!passphrase.apply("key", arg, args[++i])) return exit_usage;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "uvwamp key: unknown option '%s' (see uvwamp key --help)\n",
                   arg.c_str());
      return exit_usage;
    } else if (path) {
      std::fputs("uvwamp key: one key FILE only (see uvwamp key --help)\n", stderr);
      return exit_usage;
    } else {
      path = arg;
    }
  }
  if (!path) {
    std::fputs("uvwamp key: which key FILE? (see uvwamp key --help)\n", stderr);
    return exit_usage;
  }
  std::optional<SigningKey> key = load_key("key", "", *path, passphrase.passphrase());
  if (!key) return exit_usage;
  const std::string line = openssh ? key->public_key_openssh() : key->public_key_hex();
  std::printf("%s\n", line.c_str());
  return std::fflush(stdout) == 0 ? 0 : exit_invalid_input;
}

}  // namespace uvwamp::cli
