#include <cstdio>

#include "message/message.hpp"
#include "util/hex.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp encode --serializer json|msgpack|cbor [--hex]\n"
    "\n"
    "Reads one WAMP message as JSON text from standard input (binary in the \\u0000+base64 form),\n"
    "checks that it is a valid WAMP message and writes it serialized to standard output: raw\n"
    "bytes, or one line of hex text with --hex.\n"
    "Exit status: 0 valid, 1 invalid input, 2 bad command line.\n";

}  // namespace

int encode_verb(const std::vector<std::string>& args) {
  CodecOptions options;
  if (!parse_codec_options("encode", args, options)) return exit_usage;
  if (options.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  const std::string input = read_all_stdin();
  // A trailing newline is how text arrives from a shell; JSON allows white space anyway.
  Result<Value> value =
      json_serializer().decode(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  if (!value) {
    std::fprintf(stderr, "uvwamp encode: input is not valid JSON: %s\n",
                 value.error().message.c_str());
    return exit_invalid_input;
  }
  Result<msg::Message> message = msg::parse_message(value.value());
  if (!message) {
    std::fprintf(stderr, "uvwamp encode: not a valid WAMP message: %s\n",
                 message.error().message.c_str());
    return exit_invalid_input;
  }
  std::vector<std::uint8_t> bytes;
  Status written = options.serializer->encode(value.value(), bytes);
  if (!written) {
    std::fprintf(stderr, "uvwamp encode: cannot write it as %s: %s\n",
                 std::string(options.serializer->name()).c_str(), written.error().message.c_str());
    return exit_invalid_input;
  }
  if (options.hex) {
    const std::string text = hex::encode(bytes.data(), bytes.size()) + "\n";
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  }
  return 0;
}

}  // namespace uvwamp::cli
