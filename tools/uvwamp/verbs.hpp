// The verbs of the uvwamp command-line tool. Each takes the arguments after its name and returns
// the process exit status: 0 on success, exit_invalid_input when the input is not a valid WAMP
// message, exit_usage for a bad command line.
#pragma once

#include <uvwamp/serializer.hpp>

#include <string>
#include <vector>

namespace uvwamp::cli {

constexpr int exit_invalid_input = 1;
constexpr int exit_usage = 2;

int decode_verb(const std::vector<std::string>& args);
int encode_verb(const std::vector<std::string>& args);

// What decode and encode share: `--serializer NAME` (required) and `--hex`.
struct CodecOptions {
  const Serializer* serializer = nullptr;
  bool hex = false;
  bool help = false;
};

// Parses the shared options; on a bad command line prints why to stderr and returns false.
bool parse_codec_options(const char* verb, const std::vector<std::string>& args,
                         CodecOptions& options);

std::string read_all_stdin();

}  // namespace uvwamp::cli
