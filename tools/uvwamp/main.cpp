// uvwamp: the project's command-line tool. One verb per file; this file only dispatches.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "verbs.hpp"

namespace {

constexpr char usage[] =
    "usage: uvwamp <verb> [options]\n"
    "\n"
    "verbs:\n"
    "  call       call a procedure and print its result as JSON\n"
    "  publish    publish an event to a topic\n"
    "  subscribe  print the events of a topic as JSON, one a line\n"
    "  register   answer the calls of a procedure with a fixed result or a command's output\n"
    "  decode     read one serialized WAMP message, check it, print it as JSON\n"
    "  encode     read one WAMP message as JSON, check it, write it serialized\n"
    "  key        print the public key of an Ed25519 key file, for cryptosign\n"
    "\n"
    "uvwamp <verb> --help tells more about each.\n";

struct Verb {
  const char* name;
  int (*run)(const std::vector<std::string>& args);
};

constexpr Verb verbs[] = {
    {"call", uvwamp::cli::call_verb},
    {"publish", uvwamp::cli::publish_verb},
    {"subscribe", uvwamp::cli::subscribe_verb},
    {"register", uvwamp::cli::register_verb},
    {"decode", uvwamp::cli::decode_verb},
    {"encode", uvwamp::cli::encode_verb},
    {"key", uvwamp::cli::key_verb},
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(usage, stderr);
    return uvwamp::cli::exit_usage;
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(usage, stdout);
    return 0;
  }
  for (const Verb& verb : verbs) {
    if (std::strcmp(argv[1], verb.name) == 0) {
      return verb.run(std::vector<std::string>(argv + 2, argv + argc));
    }
  }
  std::fprintf(stderr, "uvwamp: unknown verb '%s'\n\n%s", argv[1], usage);
  return uvwamp::cli::exit_usage;
}
