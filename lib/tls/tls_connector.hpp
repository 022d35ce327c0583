// TlsConnector: connects through another connector (TCP or a Unix socket), then runs the TLS
// handshake, and gives the stream only once the handshake has succeeded.
//
// Errors: the inner connector's, then certificate_rejected, tls_failed, or timed_out when the
// handshake takes longer than `handshake_timeout`. The certificate must be valid for
// `tls.server_name`, or when that is empty for the host given to the constructor.
#pragma once

#include "stream/connector.hpp"
#include "tls/tls_engine.hpp"
#include "tls/tls_stream.hpp"

#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace uvwamp {

struct TlsConnectOptions {
  TlsOptions tls;
  // Default 10 s.
  std::chrono::milliseconds handshake_timeout{10'000};
  // Ciphertext waiting to be written; no more than the inner stream's own limit. Default 16 MiB.
  std::size_t write_queue_limit = std::size_t{16} << 20;
};

class TlsConnector final : public Connector {
 public:
  TlsConnector(uv_loop_t* loop, std::unique_ptr<Connector> inner, std::string host,
               TlsConnectOptions options);
  TlsConnector(const TlsConnector&) = delete;
  TlsConnector& operator=(const TlsConnector&) = delete;

  void start(Callback on_done) override;
  bool cancel(std::function<void()> on_canceled) override;

 private:
  enum class Phase { idle, connecting, handshaking, closing, done };

  void on_connected(Result<std::unique_ptr<Stream>> connected);
  void on_handshake(Status status);
  // Reports `error_` (or the cancel) once the stream has closed.
  void close_stream();

  uv_loop_t* loop_;
  std::unique_ptr<Connector> inner_;
  std::string host_;
  TlsConnectOptions options_;
  Phase phase_ = Phase::idle;
  Callback on_done_;
  std::function<void()> on_canceled_;
  bool canceled_ = false;
  std::unique_ptr<Stream> stream_;  // the TLS stream, or the plain one if TLS could not start
  std::optional<Error> error_;
};

}  // namespace uvwamp
