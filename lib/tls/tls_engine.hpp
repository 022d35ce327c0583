// TlsEngine: the client side of a TLS session (TLS 1.2, mbedTLS) with no I/O of its own.
//
// The owner moves the bytes: what it reads from the peer goes to feed(), what take_output()
// gives goes to the peer, and the application's bytes go in through write() and come out of
// take_plaintext(). The engine never calls back, so nothing here re-enters the owner:
//
//   engine.start();                           write(engine.take_output());   // ClientHello
//   on read:  Status s = engine.feed(data, size);   // a failed Status is fatal
//             write(engine.take_output());          // the handshake's replies, alerts
//             if (engine.handshake_done()) deliver(engine.take_plaintext(...));
//             if (engine.peer_closed()) ...         // close_notify: nothing more will come
//
// Certificates: unless verification is turned off, the server's chain must verify against the
// configured CAs (the system bundle when none is given) and the certificate must be valid for
// `server_name`. A failure is certificate_rejected with mbedTLS's reasons; any other TLS failure
// is tls_failed with mbedTLS's error text. The engine's randomness is libsodium's.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/tls_options.hpp>
#include <uvwamp/transport_error.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvwamp {

class TlsEngine {
 public:
  // Loads the files the options name; fails with tls_failed when one cannot be read or parsed.
  static Result<std::unique_ptr<TlsEngine>> client(const TlsOptions& options);

  ~TlsEngine();
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  // Queues the ClientHello. Call once, before feed().
  Status start();

  // Ciphertext from the peer, split anywhere. An error is fatal: the engine then only repeats
  // it, though take_output() may still hold an alert that tells the peer why.
  Status feed(const std::uint8_t* data, std::size_t size);

  // Appends the ciphertext due for the peer to `out`; false when there was none.
  bool take_output(std::vector<std::uint8_t>& out);

  bool handshake_done() const noexcept;

  // The peer sent close_notify: its data has all arrived.
  bool peer_closed() const noexcept;

  // Replaces `out` with the application data that has arrived; false when there was none. The
  // two buffers are swapped, so a caller that passes the same vector each time reuses both.
  bool take_plaintext(std::vector<std::uint8_t>& out);

  // Encrypts application data into the output. Fails with not_open before the handshake is done,
  // after close() or after an error; another error is fatal.
  Status write(const std::uint8_t* data, std::size_t size);

  // The most ciphertext that write() of `size` bytes adds to the output.
  std::size_t max_ciphertext_size(std::size_t size) const noexcept;

  // Queues close_notify (once the handshake is done); write() fails from then on.
  void close();

  // The tls-unique channel binding (RFC 5929): the verify_data of the handshake's first Finished
  // message, which is the client's since this engine never resumes a session. Empty before the
  // handshake is done, and when mbedTLS was built without MBEDTLS_SSL_RENEGOTIATION (only then
  // does it keep the Finished messages, in fields its 2.x API leaves public).
  std::optional<std::vector<std::uint8_t>> tls_unique() const;

 private:
  struct Session;
  explicit TlsEngine(std::unique_ptr<Session> session);

  std::unique_ptr<Session> session_;
};

}  // namespace uvwamp
