#include "session_options.hpp"

#include <uvwamp/serializer.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "auth_options.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {

const char session_options_help[] =
    "\n"
    "Session options:\n"
    "  --url URL           the router: ws://, wss://, rs://, rss://, ws://unix:/path or\n"
    "                      rs://unix:/path; repeat it to try several in order (required)\n"
    "  --realm REALM       the realm to join (required)\n"
    "  -s, --serializer S  json, msgpack or cbor; repeat it to list them by preference\n"
    "                      (default: cbor, msgpack, json)\n"
    "  --ca-file FILE      trust the CA certificates in FILE (PEM or DER) for wss:// and rss://\n"
    "  --insecure          accept any TLS certificate: only for throwaway test certificates\n"
    "  -h, --help          this text\n"
    "\n"
    "Authentication options. The methods are offered in the order given, and the router picks\n"
    "one. A secret is never taken as an argument, which other users can see (ps), but from a\n"
    "file, whose trailing newline is ignored, or from an environment variable:\n"
    "  --authid ID         who to authenticate as\n"
    "  --authrole ROLE     the role to ask for\n"
    "  --authextra JSON    HELLO's authextra, a JSON object\n"
    "  --anonymous         offer anonymous (after other methods: a fallback)\n"
    "  --ticket-file FILE, --ticket-env VAR\n"
    "                      offer ticket, the ticket read from FILE or from $VAR\n"
    "  --wampcra-secret-file FILE, --wampcra-secret-env VAR\n"
    "                      offer wampcra, the secret read from FILE or from $VAR\n"
    "  --scram-password-file FILE, --scram-password-env VAR\n"
    "                      offer scram (Crossbar's SCRAM), the password read from FILE or $VAR\n"
    "  --wamp-scram-password-file FILE, --wamp-scram-password-env VAR\n"
    "                      offer wamp-scram, the spec's SCRAM, likewise\n"
    "  --cryptosign-key FILE\n"
    "                      offer cryptosign with the Ed25519 key in FILE: OpenSSH, PuTTY,\n"
    "                      PKCS#8, or the 32-byte seed as hex or base64 (uvwamp key prints\n"
    "                      its public key)\n"
    "  --key-passphrase-file FILE, --key-passphrase-env VAR\n"
    "                      the passphrase of an encrypted --cryptosign-key\n"
    "  --channel-binding   bind the cryptosign signature to the TLS connection (wss://, rss://)\n"
    "\n"
    "Arguments and results are JSON, binary in WAMP's form: a string holding \\u0000 and base64.\n"
    "Exit status: 0 done, 1 the answer cannot be printed (it has no JSON form, or stdout is\n"
    "closed), 2 bad command line, or a secret or key that cannot be read, 3 the router or the\n"
    "callee answered with a WAMP error, 4 no session (cannot connect or join, or the session\n"
    "ended), 5 the call timed out (call), 6 the call was canceled (call), 128+N after signal N\n"
    "for call and publish.\n";

namespace {

bool is_negative_number(const std::string& arg) {
  return arg.size() > 1 && arg[0] == '-' && std::isdigit(static_cast<unsigned char>(arg[1]));
}

bool is_one_of(const std::vector<const char*>& names, const std::string& arg) {
  return std::any_of(names.begin(), names.end(), [&](const char* name) { return arg == name; });
}

// The shared options; false after printing why one was refused.
class SharedOptions {
 public:
  SharedOptions(const char* verb, ClientOptions& client)
      : verb_(verb), client_(client), auth_(verb) {}

  bool takes_value(const std::string& option) const {
    return option == "--url" || option == "--realm" || option == "--serializer" || option == "-s" ||
           option == "--ca-file" || auth_.takes_value(option);
  }
  bool is_flag(const std::string& option) const {
    return option == "--insecure" || auth_.is_flag(option);
  }

  bool apply(const std::string& option, const std::string& value) {
    if (auth_.takes_value(option) || auth_.is_flag(option)) return auth_.apply(option, value);
    if (option == "--url") {
      client_.urls.push_back(value);
    } else if (option == "--realm") {
      client_.realm = value;
    } else if (option == "--serializer" || option == "-s") {
      const Serializer* serializer = find_serializer(value);
      if (serializer == nullptr) {
        return usage_error(verb_, "unknown serializer '" + value + "': use json, msgpack or cbor");
      }
      if (!chose_serializers_) client_.serializers.clear();
      chose_serializers_ = true;
      auto& chosen = client_.serializers;
      if (std::find(chosen.begin(), chosen.end(), serializer) == chosen.end()) {
        chosen.push_back(serializer);
      }
    } else if (option == "--ca-file") {
      client_.tls.ca_file = value;
    } else if (option == "--insecure") {
      client_.tls.dangerously_skip_certificate_verification = true;
    }
    return true;
  }

  bool complete() {
    if (client_.urls.empty()) return usage_error(verb_, "--url is required");
    if (client_.realm.empty()) return usage_error(verb_, "--realm is required");
    return auth_.complete(client_.auth);
  }

 private:
  const char* verb_;
  ClientOptions& client_;
  AuthCommandLine auth_;
  bool chose_serializers_ = false;
};

}  // namespace

bool usage_error(const char* verb, const std::string& message) {
  std::fprintf(stderr, "uvwamp %s: %s (see uvwamp %s --help)\n", verb, message.c_str(), verb);
  return false;
}

std::optional<int> parse_verb_command_line(const VerbCommandLine& line,
                                           const std::vector<std::string>& args,
                                           ClientOptions& client) {
  SharedOptions shared(line.verb, client);
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool is_option =
        !options_ended && arg.size() > 1 && arg[0] == '-' && !is_negative_number(arg);
    if (!is_option) {
      if (!line.positional(arg)) return exit_usage;
      continue;
    }
    if (arg == "--") {
      options_ended = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(line.usage, stdout);
      std::fputs(session_options_help, stdout);
      return 0;
    } else if (shared.is_flag(arg)) {
      if (!shared.apply(arg, "")) return exit_usage;
    } else if (shared.takes_value(arg)) {
      if (i + 1 == args.size()) {
        usage_error(line.verb, arg + " needs a value");
        return exit_usage;
      }
      if (!shared.apply(arg, args[++i])) return exit_usage;
    } else {
      auto option = std::find_if(line.options.begin(), line.options.end(),
                                 [&](const VerbOption& o) { return is_one_of(o.names, arg); });
      if (option == line.options.end()) {
        usage_error(line.verb, "unknown option '" + arg + "'");
        return exit_usage;
      }
      std::vector<std::string> values;
      switch (option->takes) {
        case VerbOption::Takes::nothing:
          break;
        case VerbOption::Takes::value:
          if (i + 1 == args.size()) {
            usage_error(line.verb, arg + " needs a value");
            return exit_usage;
          }
          values.push_back(args[++i]);
          break;
        case VerbOption::Takes::rest_of_line:
          values.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
          if (values.empty()) {
            usage_error(line.verb, arg + " needs a command");
            return exit_usage;
          }
          i = args.size();
          break;
      }
      if (!option->apply(std::move(values))) return exit_usage;
    }
  }
  if (!shared.complete()) return exit_usage;
  return std::nullopt;
}

std::optional<Value> parse_json_argument(const char* verb, const std::string& what,
                                         const std::string& text) {
  Result<Value> value =
      json_serializer().decode(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  if (!value) {
    usage_error(verb, what + " is not JSON (" + value.error().message +
                          "); a string needs JSON quotes, as '\"text\"'");
    return std::nullopt;
  }
  return std::move(value).value();
}

std::optional<Value::Object> parse_json_object_argument(const char* verb, const std::string& what,
                                                        const std::string& text) {
  std::optional<Value> value = parse_json_argument(verb, what, text);
  if (!value) return std::nullopt;
  Value::Object* object = value->if_object();
  if (object == nullptr) {
    usage_error(verb, what + " must be a JSON object, got " + value->type_name());
    return std::nullopt;
  }
  return std::move(*object);
}

std::function<bool(const std::string& arg)> uri_then_json_arguments(const char* verb,
                                                                    UriAndPayload& into) {
  return [verb, &into](const std::string& arg) {
    if (!into.uri) {
      into.uri = arg;
      return true;
    }
    std::optional<Value> value =
        parse_json_argument(verb, "argument " + std::to_string(into.args.size() + 1), arg);
    if (!value) return false;
    into.args.push_back(std::move(*value));
    return true;
  };
}

VerbOption kwargs_option(const char* verb, Value::Object& into) {
  return {{"--kwargs"}, VerbOption::Takes::value, [verb, &into](std::vector<std::string> values) {
            std::optional<Value::Object> object =
                parse_json_object_argument(verb, "--kwargs", values[0]);
            if (!object) return false;
            into = std::move(*object);
            return true;
          }};
}

VerbOption whole_number_option(const char* verb, std::vector<const char*> names, std::uint64_t max,
                               std::uint64_t& into) {
  const std::string name = names.front();
  return {std::move(names), VerbOption::Takes::value,
          [verb, name, max, &into](std::vector<std::string> values) {
            const std::string& text = values[0];
            const bool digits_only =
                !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
                  return std::isdigit(static_cast<unsigned char>(c));
                });
            errno = 0;
            const unsigned long long number =
                digits_only ? std::strtoull(text.c_str(), nullptr, 10) : 0;
            if (number == 0 || errno == ERANGE || number > max) {
              const std::string range = max == std::numeric_limits<std::uint64_t>::max()
                                            ? "of at least 1"
                                            : "from 1 to " + std::to_string(max);
              return usage_error(verb,
                                 name + " needs a whole number " + range + ", got '" + text + "'");
            }
            into = number;
            return true;
          }};
}

VerbOption count_option(const char* verb, std::uint64_t& into) {
  return whole_number_option(verb, {"--count", "-n"}, std::numeric_limits<std::uint64_t>::max(),
                             into);
}

void reconnect_by_default(ClientOptions& client) {
  client.reconnect.enabled = true;
}

VerbOption no_reconnect_option(ClientOptions& client) {
  return {{"--no-reconnect"}, VerbOption::Takes::nothing, [&client](std::vector<std::string>) {
            client.reconnect.enabled = false;
            return true;
          }};
}

VerbOption milliseconds_option(const char* verb, const char* name,
                               std::optional<std::chrono::milliseconds>& into) {
  return {{name}, VerbOption::Takes::value, [verb, name, &into](std::vector<std::string> values) {
            const std::string& text = values[0];
            const bool digits_only = !text.empty() && text.size() <= 10 &&
                                     std::all_of(text.begin(), text.end(), [](char c) {
                                       return std::isdigit(static_cast<unsigned char>(c));
                                     });
            const long long ms = digits_only ? std::strtoll(text.c_str(), nullptr, 10) : 0;
            if (ms < 1 || ms > max_milliseconds) {
              return usage_error(
                  verb, std::string(name) + " needs a whole number of milliseconds from 1 to " +
                            std::to_string(max_milliseconds) + ", got '" + text + "'");
            }
            into = std::chrono::milliseconds(ms);
            return true;
          }};
}

void unknown_choice(const char* verb, const std::string& option, const std::string& value,
                    const std::vector<std::string_view>& names) {
  std::string listed;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) listed += i + 1 == names.size() ? " or " : ", ";
    listed += names[i];
  }
  usage_error(verb, "unknown " + option + " '" + value + "': use " + listed);
}

Result<std::string> to_json_line(const Value& value) {
  std::vector<std::uint8_t> bytes;
  Status written = json_serializer().encode(value, bytes);
  if (!written) return written.error();
  bytes.push_back('\n');
  return std::string(bytes.begin(), bytes.end());
}

Value payload_json(const Value::Array& args, const Value::Object& kwargs) {
  return Value::Object{{"args", args}, {"kwargs", kwargs}};
}

Value payload_json(const Value::Array& args, const Value::Object& kwargs,
                   const Value::Object& details) {
  return Value::Object{{"args", args}, {"details", details}, {"kwargs", kwargs}};
}

}  // namespace uvwamp::cli
