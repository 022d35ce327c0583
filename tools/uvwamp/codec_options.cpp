#include <cstdio>
#include <iostream>
#include <iterator>

#include "verbs.hpp"

namespace uvwamp::cli {

bool parse_codec_options(const char* verb, const std::vector<std::string>& args,
                         CodecOptions& options) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
    } else if (arg == "--hex") {
      options.hex = true;
    } else if (arg == "--serializer" || arg == "-s") {
      if (i + 1 == args.size()) {
        std::fprintf(stderr, "uvwamp %s: --serializer needs a value: json, msgpack or cbor\n",
                     verb);
        return false;
      }
      const std::string& name = args[++i];
      options.serializer = find_serializer(name);
      if (options.serializer == nullptr) {
        std::fprintf(stderr, "uvwamp %s: unknown serializer '%s': use json, msgpack or cbor\n",
                     verb, name.c_str());
        return false;
      }
    } else {
      std::fprintf(stderr, "uvwamp %s: unknown argument '%s' (see uvwamp %s --help)\n", verb,
                   arg.c_str(), verb);
      return false;
    }
  }
  if (!options.help && options.serializer == nullptr) {
    std::fprintf(stderr, "uvwamp %s: --serializer is required: json, msgpack or cbor\n", verb);
    return false;
  }
  return true;
}

std::string read_all_stdin() {
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

}  // namespace uvwamp::cli
