#include "tls/tls_stream.hpp"

#include <string>
#include <utility>

namespace uvwamp {

TlsStream::TlsStream(uv_loop_t* loop, std::unique_ptr<Stream> inner,
                     std::unique_ptr<TlsEngine> engine, std::size_t write_queue_limit)
    : loop_(loop),
      inner_(std::move(inner)),
      engine_(std::move(engine)),
      write_queue_limit_(write_queue_limit) {}

void TlsStream::handshake(std::chrono::milliseconds timeout, std::function<void(Status)> on_done) {
  if (timer_open_ || closing_) return;
  handshake_timeout_ = timeout;
  on_handshake_done_ = std::move(on_done);
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  timer_open_ = true;
  uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(timeout.count()), 0);
  inner_->start_reading(*this);
  if (end_) return;
  const Status started = engine_->start();
  flush_output();
  if (!started) fail_handshake(started.error());
}

void TlsStream::start_reading(Stream::Listener& listener) {
  if (closing_) return;
  listener_ = &listener;
  schedule_delivery();
}

Status TlsStream::write(std::vector<std::uint8_t> bytes) {
  if (closing_) return Error{transport_errc::not_open, "the stream is closed"};
  if (!handshake_succeeded_)
    return Error{transport_errc::not_open, "the TLS handshake is not done"};
  if (end_) return Error{transport_errc::not_open, "the stream has ended"};
  if (bytes.empty()) return {};
  const std::size_t ciphertext = engine_->max_ciphertext_size(bytes.size());
  const std::size_t queued = inner_->queued_bytes();
  if (queued > write_queue_limit_ || ciphertext > write_queue_limit_ - queued) {
    return Error{transport_errc::write_queue_full,
                 "writing " + std::to_string(bytes.size()) + " bytes (up to " +
                     std::to_string(ciphertext) + " encrypted) would exceed the limit of " +
                     std::to_string(write_queue_limit_) + " bytes waiting to be written (" +
                     std::to_string(queued) + " are waiting)"};
  }
  const Status written = engine_->write(bytes.data(), bytes.size());
  if (!written) {
    end(written.error());
    schedule_delivery();
    return written;
  }
  flush_output();
  return {};
}

void TlsStream::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  if (handshake_succeeded_ && !end_) {
    engine_->close();
    flush_output();
  }
  listener_ = nullptr;
  on_handshake_done_ = nullptr;
  handshake_over_ = true;
  on_closed_ = std::move(on_closed);
  pending_closes_ = 1;
  if (timer_open_) {
    ++pending_closes_;
    timer_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_timer_closed);
  }
  inner_->close([this] { closed_one(); });
}

void TlsStream::on_stream_data(const std::uint8_t* data, std::size_t size) {
  if (closing_ || end_) return;
  const Status fed = engine_->feed(data, size);
  // Even after a failure: the output may hold the alert that tells the peer why.
  flush_output();
  if (!handshake_over_) {
    if (!engine_->handshake_done()) {
      if (!fed) fail_handshake(fed.error());
      return;
    }
    finish_handshake({});
    if (closing_) return;
  }
  if (!fed) {
    end(fed.error());
  } else if (engine_->peer_closed()) {
    end(Error{transport_errc::connection_closed, "the peer closed the TLS session"});
  }
  deliver();
}

void TlsStream::on_stream_end(const Error& why) {
  if (closing_ || end_) return;
  if (!handshake_over_) {
    fail_handshake(Error{transport_errc::tls_failed,
                         "the connection ended during the TLS handshake: " + why.message});
    return;
  }
  end(why);
  deliver();
}

void TlsStream::on_stream_drained() {
  // The inner stream's queue is this stream's: the ciphertext of what was written.
  if (listener_ && !closing_) listener_->on_stream_drained();
}

void TlsStream::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<TlsStream*>(timer->data);
  if (self->handshake_over_) {
    self->deliver();
    return;
  }
  if (self->end_) {
    self->finish_handshake(*self->end_);
    return;
  }
  self->end_ = Error{transport_errc::timed_out,
                     "the TLS handshake did not complete within " +
                         std::to_string(self->handshake_timeout_.count()) + " ms"};
  self->finish_handshake(*self->end_);
}

void TlsStream::on_timer_closed(uv_handle_t* handle) {
  static_cast<TlsStream*>(handle->data)->closed_one();
}

void TlsStream::fail_handshake(Error why) {
  if (end_) return;
  end_ = std::move(why);
  uv_timer_start(&timer_, on_timer, 0, 0);
}

void TlsStream::finish_handshake(Status status) {
  handshake_over_ = true;
  handshake_succeeded_ = status.ok();
  uv_timer_stop(&timer_);
  std::function<void(Status)> on_done = std::move(on_handshake_done_);
  if (on_done) on_done(std::move(status));
}

void TlsStream::flush_output() {
  std::vector<std::uint8_t> output;
  if (!engine_->take_output(output)) return;
  const Status written = inner_->write(std::move(output));
  // A record that could not be written leaves a hole in the TLS stream: it cannot go on.
  if (!written && !closing_) {
    if (!handshake_over_) {
      fail_handshake(written.error());
    } else {
      end(written.error());
      schedule_delivery();
    }
  }
}

void TlsStream::end(Error why) {
  if (!end_) end_ = std::move(why);
}

void TlsStream::deliver() {
  if (!listener_ || closing_) return;
  if (engine_->take_plaintext(plaintext_)) {
    listener_->on_stream_data(plaintext_.data(), plaintext_.size());
    if (closing_) return;
  }
  if (end_ && !end_reported_) {
    end_reported_ = true;
    listener_->on_stream_end(*end_);
  }
}

void TlsStream::schedule_delivery() {
  if (timer_open_ && handshake_over_) uv_timer_start(&timer_, on_timer, 0, 0);
}

void TlsStream::closed_one() {
  if (--pending_closes_ > 0) return;
  // The owner may destroy the stream from `on_closed`, so nothing touches it afterwards.
  std::function<void()> on_closed = std::move(on_closed_);
  if (on_closed) on_closed();
}

}  // namespace uvwamp
