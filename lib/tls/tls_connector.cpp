#include "tls/tls_connector.hpp"

#include <utility>

namespace uvwamp {

TlsConnector::TlsConnector(uv_loop_t* loop, std::unique_ptr<Connector> inner, std::string host,
                           TlsConnectOptions options)
    : loop_(loop), inner_(std::move(inner)), host_(std::move(host)), options_(std::move(options)) {}

void TlsConnector::start(Callback on_done) {
  if (phase_ != Phase::idle) return;
  on_done_ = std::move(on_done);
  phase_ = Phase::connecting;
  inner_->start(
      [this](Result<std::unique_ptr<Stream>> connected) { on_connected(std::move(connected)); });
}

bool TlsConnector::cancel(std::function<void()> on_canceled) {
  if (phase_ == Phase::idle || phase_ == Phase::done || canceled_) return false;
  canceled_ = true;
  on_canceled_ = std::move(on_canceled);
  on_done_ = nullptr;
  switch (phase_) {
    case Phase::connecting:
      inner_->cancel([this] {
        phase_ = Phase::done;
        std::function<void()> on_canceled = std::move(on_canceled_);
        on_canceled();
      });
      break;
    case Phase::handshaking:
      close_stream();
      break;
    case Phase::closing:
      // The close under way sees `canceled_` when it completes.
    case Phase::idle:
    case Phase::done:
      break;
  }
  return true;
}

void TlsConnector::on_connected(Result<std::unique_ptr<Stream>> connected) {
  if (!connected) {
    phase_ = Phase::done;
    Callback on_done = std::move(on_done_);
    on_done(connected.error());
    return;
  }
  TlsOptions tls = options_.tls;
  if (tls.server_name.empty()) tls.server_name = host_;
  auto engine = TlsEngine::client(tls);
  if (!engine) {
    stream_ = std::move(connected.value());
    error_ = engine.error();
    close_stream();
    return;
  }
  auto stream = std::make_unique<TlsStream>(loop_, std::move(connected.value()),
                                            std::move(engine.value()), options_.write_queue_limit);
  TlsStream& tls_stream = *stream;
  stream_ = std::move(stream);
  phase_ = Phase::handshaking;
  tls_stream.handshake(options_.handshake_timeout, [this](Status status) { on_handshake(status); });
}

void TlsConnector::on_handshake(Status status) {
  if (!status) {
    error_ = status.error();
    close_stream();
    return;
  }
  phase_ = Phase::done;
  // The connector's last act: the owner may destroy it inside the callback.
  Callback on_done = std::move(on_done_);
  on_done(std::move(stream_));
}

void TlsConnector::close_stream() {
  phase_ = Phase::closing;
  stream_->close([this] {
    stream_.reset();
    phase_ = Phase::done;
    if (canceled_) {
      std::function<void()> on_canceled = std::move(on_canceled_);
      on_canceled();
    } else {
      Callback on_done = std::move(on_done_);
      on_done(std::move(*error_));
    }
  });
}

}  // namespace uvwamp
