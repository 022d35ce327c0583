#include "stream/pipe_connector.hpp"

#include <sys/un.h>

#include <utility>

#include "stream/uv_error.hpp"

namespace uvwamp {

PipeConnector::PipeConnector(uv_loop_t* loop, std::string path, UvStreamOptions options)
    : loop_(loop), path_(std::move(path)), options_(options) {}

void PipeConnector::start(Callback on_done) {
  if (phase_ != Phase::idle) return;
  on_done_ = std::move(on_done);
  stream_ = UvStream::create(loop_, UvStream::Kind::pipe, options_);
  connect_req_.data = this;
  phase_ = Phase::connecting;
  const std::size_t max_path = sizeof(sockaddr_un::sun_path) - 1;
  if (path_.size() > max_path) {
    error_ = Error{transport_errc::connect_failed, "the Unix socket path \"" + path_ +
                                                       "\" is longer than " +
                                                       std::to_string(max_path) + " bytes"};
    close_stream();
    return;
  }
  uv_pipe_connect(&connect_req_, reinterpret_cast<uv_pipe_t*>(stream_->handle()), path_.c_str(),
                  on_connected);
}

bool PipeConnector::cancel(std::function<void()> on_canceled) {
  if (phase_ == Phase::idle || phase_ == Phase::done || canceled_) return false;
  canceled_ = true;
  on_canceled_ = std::move(on_canceled);
  on_done_ = nullptr;
  if (phase_ == Phase::connecting) close_stream();
  return true;
}

void PipeConnector::on_connected(uv_connect_t* req, int status) {
  auto* self = static_cast<PipeConnector*>(req->data);
  // Otherwise the connect was canceled, and this is its UV_ECANCELED.
  if (self->phase_ != Phase::connecting) return;
  if (status < 0) {
    self->error_ =
        Error{transport_errc::connect_failed, "could not connect to the Unix socket \"" +
                                                  self->path_ + "\": " + uv_error_text(status)};
    self->close_stream();
    return;
  }
  self->phase_ = Phase::done;
  // The connector's last act: the owner may destroy it inside the callback.
  Callback on_done = std::move(self->on_done_);
  on_done(std::unique_ptr<Stream>(std::move(self->stream_)));
}

void PipeConnector::close_stream() {
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
