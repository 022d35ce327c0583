// The verbs of the uvwamp command-line tool. Each takes the arguments after its name and returns
// the process exit status.
#pragma once

#include <uvwamp/serializer.hpp>

#include <string>
#include <vector>

namespace uvwamp::cli {

// The exit statuses, the same for every verb (docs/cli.md lists them).
constexpr int exit_invalid_input = 1;  // not a valid WAMP message; an answer that cannot be printed
constexpr int exit_usage = 2;          // a bad command line
constexpr int exit_wamp_error = 3;     // the router or the callee answered with a WAMP error
constexpr int exit_no_session = 4;     // no session: connecting or joining failed, or it ended
constexpr int exit_timed_out = 5;      // call: the call timed out (wamp.error.timeout)
constexpr int exit_canceled = 6;       // call: the call was canceled (wamp.error.canceled)

int decode_verb(const std::vector<std::string>& args);
int encode_verb(const std::vector<std::string>& args);
int call_verb(const std::vector<std::string>& args);
int publish_verb(const std::vector<std::string>& args);
int subscribe_verb(const std::vector<std::string>& args);
int register_verb(const std::vector<std::string>& args);
int key_verb(const std::vector<std::string>& args);

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
