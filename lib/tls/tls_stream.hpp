// TlsStream: a Stream that runs a TLS session (a TlsEngine) over another, connected Stream.
//
// handshake() must succeed before the stream is read or written; TlsConnector does both and
// hands over the stream only then. The TLS stream owns the inner stream and closes it with
// itself, sending close_notify first when the session is still up. Its uv timer (the handshake
// timeout) exists from handshake() on, so from then on the stream must be closed before it is
// destroyed; the inner stream must be closed in any case.
//
// What TLS costs over the inner stream: each incoming byte is copied into mbedTLS's record buffer
// and, decrypted, out of it into a plaintext buffer the stream reuses; each outgoing byte is
// encrypted into mbedTLS's record buffer and copied from there into the vector the inner stream
// writes.
//
// The write queue limit counts ciphertext waiting in the inner stream. write() refuses bytes
// whose ciphertext (at most the record layer's overhead more) would go over it, so the inner
// stream, whose own limit must be at least as large, never refuses a record already encrypted.
// queued_bytes() and on_stream_drained are the inner stream's, so they count ciphertext too.
// Every byte goes out through the inner stream's write(), so TLS raises no SIGPIPE either.
//
// Data and the end that arrive between the handshake and start_reading() are kept, and delivered
// on the loop after start_reading() returns.
#pragma once

#include "stream/stream.hpp"
#include "tls/tls_engine.hpp"

#include <uv.h>

#include <chrono>
#include <memory>
#include <optional>

namespace uvwamp {

class TlsStream final : public Stream, private Stream::Listener {
 public:
  TlsStream(uv_loop_t* loop, std::unique_ptr<Stream> inner, std::unique_ptr<TlsEngine> engine,
            std::size_t write_queue_limit);
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Runs the TLS handshake over the inner stream. `on_done` runs once, on the loop: with success
  // when the stream is ready, or with an Error (certificate_rejected, tls_failed, timed_out) after
  // which the owner closes the stream. It does not run once close() was called. Call once.
  void handshake(std::chrono::milliseconds timeout, std::function<void(Status)> on_done);

  // See TlsEngine::tls_unique.
  std::optional<std::vector<std::uint8_t>> tls_unique() const override {
    return engine_->tls_unique();
  }

  void start_reading(Stream::Listener& listener) override;
  Status write(std::vector<std::uint8_t> bytes) override;
  std::size_t queued_bytes() const noexcept override { return inner_->queued_bytes(); }
  void close(std::function<void()> on_closed) override;

 private:
  // The inner stream's events.
  void on_stream_data(const std::uint8_t* data, std::size_t size) override;
  void on_stream_end(const Error& why) override;
  void on_stream_drained() override;

  static void on_timer(uv_timer_t* timer);
  static void on_timer_closed(uv_handle_t* handle);

  // A failed handshake is reported from the timer, so never inside handshake().
  void fail_handshake(Error why);
  void finish_handshake(Status status);
  void flush_output();
  void end(Error why);
  void deliver();
  void schedule_delivery();
  void closed_one();

  uv_loop_t* loop_;
  std::unique_ptr<Stream> inner_;
  std::unique_ptr<TlsEngine> engine_;
  std::size_t write_queue_limit_;
  std::chrono::milliseconds handshake_timeout_{0};
  std::function<void(Status)> on_handshake_done_;
  uv_timer_t timer_;
  bool timer_open_ = false;
  bool handshake_over_ = false;  // on_handshake_done ran (or close() came first)
  bool handshake_succeeded_ = false;
  Stream::Listener* listener_ = nullptr;
  std::vector<std::uint8_t> plaintext_;
  std::optional<Error> end_;  // the handshake's failure, or why the open stream ended
  bool end_reported_ = false;
  bool closing_ = false;
  int pending_closes_ = 0;
  std::function<void()> on_closed_;
};

}  // namespace uvwamp
