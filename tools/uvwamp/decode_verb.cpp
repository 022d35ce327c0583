#include <cstdio>

#include "message/message.hpp"
#include "util/hex.hpp"
#include "verbs.hpp"

namespace uvwamp::cli {
namespace {

constexpr char usage[] =
    "usage: uvwamp decode --serializer json|msgpack|cbor [--hex]\n"
    "\n"
    "Reads one serialized WAMP message from standard input (raw bytes, or hex text with --hex),\n"
    "checks that it is a valid WAMP message and prints it as one line of WAMP JSON, with binary\n"
    "in the \\u0000+base64 form.\n"
    "Exit status: 0 valid, 1 invalid input, 2 bad command line.\n";

}  // namespace

int decode_verb(const std::vector<std::string>& args) {
  CodecOptions options;
  if (!parse_codec_options("decode", args, options)) return exit_usage;
  if (options.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  const std::string input = read_all_stdin();
  std::vector<std::uint8_t> bytes(input.begin(), input.end());
  if (options.hex) {
    auto decoded = hex::decode(input);
    if (!decoded) {
      std::fputs(
          "uvwamp decode: --hex input is not hex text (pairs of digits, white space between)\n",
          stderr);
      return exit_invalid_input;
    }
    bytes = std::move(*decoded);
  }
  Result<Value> value = options.serializer->decode(bytes.data(), bytes.size());
  if (!value) {
    std::fprintf(stderr, "uvwamp decode: not valid %s: %s\n",
                 std::string(options.serializer->name()).c_str(), value.error().message.c_str());
    return exit_invalid_input;
  }
  Result<msg::Message> message = msg::parse_message(value.value());
  if (!message) {
    std::fprintf(stderr, "uvwamp decode: not a valid WAMP message: %s\n",
                 message.error().message.c_str());
    return exit_invalid_input;
  }
  std::vector<std::uint8_t> json;
  Status written = json_serializer().encode(value.value(), json);
  if (!written) {
    std::fprintf(stderr, "uvwamp decode: the message has no JSON form: %s\n",
                 written.error().message.c_str());
    return exit_invalid_input;
  }
  json.push_back('\n');
  std::fwrite(json.data(), 1, json.size(), stdout);
  return 0;
}

}  // namespace uvwamp::cli
