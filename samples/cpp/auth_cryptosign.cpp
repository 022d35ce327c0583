// auth_cryptosign: loads an Ed25519 key, prints its public key, joins with WAMP-Cryptosign
// authentication, prints who the router says the client is, and leaves. See
// docs/auth-cryptosign.md.
//
//   [WAMP_AUTHID=NAME] [WAMP_KEY_PASSPHRASE=...] auth_cryptosign KEY_FILE [URL [REALM]]
//                                              defaults: ws://127.0.0.1:8080/ws realm1
//
// KEY_FILE is an OpenSSH, PuTTY or PKCS#8 private key, or a seed in hex or base64. The
// passphrase of an encrypted key comes from the environment, never from the command line, which
// every user of the machine can read. Without WAMP_AUTHID the router knows the client by its key.
#include <uvwamp/client.hpp>
#include <uvwamp/signing_key.hpp>

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: auth_cryptosign KEY_FILE [URL [REALM]]\n");
    return 2;
  }
  const char* passphrase = std::getenv("WAMP_KEY_PASSPHRASE");
  // Reading the file blocks: load keys before the loop runs.
  uvwamp::Result<uvwamp::SigningKey> key =
      uvwamp::SigningKey::load_file(argv[1], uvwamp::Secret(passphrase ? passphrase : ""));
  if (!key) {
    std::fprintf(stderr, "auth_cryptosign: %s: %s\n", argv[1], key.error().message.c_str());
    return 1;
  }
  // What the router's principal lists in its authorized keys.
  std::printf("public key %s\n", key->public_key_hex().c_str());
  uv_loop_t* loop = uv_default_loop();

  uvwamp::ClientOptions options;
  options.urls = {argc > 2 ? argv[2] : "ws://127.0.0.1:8080/ws"};
  options.realm = argc > 3 ? argv[3] : "realm1";
  if (const char* authid = std::getenv("WAMP_AUTHID")) options.auth.authid = authid;
  options.auth.methods = {uvwamp::auth::cryptosign(*key)};
  uvwamp::Client client(loop, options);
  int status = 1;

  auto fail = [&](const uvwamp::WampError& error) {
    std::fprintf(stderr, "auth_cryptosign: %s (%s)\n", error.message.c_str(), error.uri.c_str());
    client.close([] {});
  };

  client.join([&](uvwamp::WampResult<uvwamp::SessionInfo> joined) {
    if (!joined) return fail(joined.error());
    std::printf("authid %s\nauthrole %s\nauthmethod %s\n", joined->authid.c_str(),
                joined->authrole.c_str(), joined->authmethod.c_str());
    client.leave([&](uvwamp::WampResult<std::string> left) {
      if (!left) return fail(left.error());
      status = 0;
      client.close([] {});
    });
  });

  uv_run(loop, UV_RUN_DEFAULT);
  return status;
}
