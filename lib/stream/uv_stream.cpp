#include "stream/uv_stream.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "stream/uv_error.hpp"

namespace uvwamp {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;

// A uv_buf_t holds at most UINT_MAX bytes, so a larger write goes out as several buffers.
constexpr std::size_t kMaxBufferPiece = std::size_t{1} << 30;

struct WriteRequest {
  uv_write_t req;
  std::vector<std::uint8_t> bytes;
};

}  // namespace

std::unique_ptr<UvStream> UvStream::create(uv_loop_t* loop, Kind kind, UvStreamOptions options) {
  std::unique_ptr<UvStream> stream(new UvStream(options));
  // Both only fill in the handle (uv_tcp_init makes no socket until it connects or binds), so
  // neither can fail.
  if (kind == Kind::tcp) {
    uv_tcp_init(loop, &stream->handle_.tcp);
  } else {
    uv_pipe_init(loop, &stream->handle_.pipe, 0);
  }
  stream->handle()->data = stream.get();
  return stream;
}

void UvStream::start_reading(Listener& listener) {
  if (closing_) return;
  listener_ = &listener;
  if (unreported_end_) {
    const Error why = std::move(*unreported_end_);
    unreported_end_.reset();
    listener.on_stream_end(why);
    return;
  }
  if (ended_) return;
  if (!read_buffer_) read_buffer_.reset(new std::uint8_t[kReadBufferSize]);
  const int status = uv_read_start(handle(), on_alloc, on_read);
  if (status < 0) {
    end(Error{transport_errc::connection_closed,
              "could not start reading the stream: " + uv_error_text(status)});
  }
}

Status UvStream::write(std::vector<std::uint8_t> bytes) {
  if (closing_) return Error{transport_errc::not_open, "the stream is closed"};
  if (ended_) return Error{transport_errc::not_open, "the stream has ended"};
  if (bytes.empty()) return {};
  const std::size_t queued = queued_bytes();
  const std::size_t limit = options_.write_queue_limit;
  if (queued > limit || bytes.size() > limit - queued) {
    return Error{transport_errc::write_queue_full,
                 "writing " + std::to_string(bytes.size()) + " bytes would exceed the limit of " +
                     std::to_string(limit) + " bytes waiting to be written (" +
                     std::to_string(queued) + " are waiting)"};
  }

  // libuv writes with write(2), which raises SIGPIPE -- and by default kills the program -- when
  // the router has gone away (as nexus does right after GOODBYE). So what the socket takes at
  // once is written here with MSG_NOSIGNAL, which turns that into EPIPE; only what it cannot
  // take yet is queued with libuv. Nothing is queued already, or the bytes would overtake it.
  if (queued == 0) {
    uv_os_fd_t fd;
    if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd) == 0) {
      ssize_t sent;
      do {
        sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      } while (sent < 0 && errno == EINTR);
      if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        return Error{transport_errc::connection_closed,
                     std::string("writing to the stream failed: ") + std::strerror(errno)};
      }
      if (sent > 0) bytes.erase(bytes.begin(), bytes.begin() + sent);
      if (bytes.empty()) return {};
    }
  }

  auto request = std::make_unique<WriteRequest>();
  request->bytes = std::move(bytes);
  request->req.data = request.get();
  std::vector<uv_buf_t> buffers;
  for (std::size_t offset = 0; offset < request->bytes.size(); offset += kMaxBufferPiece) {
    const std::size_t piece = std::min(kMaxBufferPiece, request->bytes.size() - offset);
    buffers.push_back(uv_buf_init(reinterpret_cast<char*>(request->bytes.data() + offset),
                                  static_cast<unsigned>(piece)));
  }
  const int status = uv_write(&request->req, handle(), buffers.data(),
                              static_cast<unsigned>(buffers.size()), on_write);
  if (status < 0) {
    return Error{transport_errc::connection_closed,
                 "writing to the stream failed: " + uv_error_text(status)};
  }
  request.release();  // on_write frees it
  return {};
}

std::size_t UvStream::queued_bytes() const noexcept {
  return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&handle_));
}

void UvStream::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  listener_ = nullptr;
  on_closed_ = std::move(on_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(handle()), on_close);
}

void UvStream::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto* self = static_cast<UvStream*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->read_buffer_.get()), kReadBufferSize);
}

void UvStream::on_read(uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<UvStream*>(handle->data);
  if (nread > 0) {
    self->listener_->on_stream_data(reinterpret_cast<const std::uint8_t*>(buf->base),
                                    static_cast<std::size_t>(nread));
  } else if (nread == UV_EOF) {
    self->end(Error{transport_errc::connection_closed, "the peer closed the connection"});
  } else if (nread < 0) {
    self->end(Error{transport_errc::connection_closed,
                    "reading from the stream failed: " + uv_error_text(static_cast<int>(nread))});
  }
}

void UvStream::on_write(uv_write_t* req, int status) {
  std::unique_ptr<WriteRequest> request(static_cast<WriteRequest*>(req->data));
  // UV_ECANCELED comes only from close(), which wants no more reports.
  if (status < 0 && status != UV_ECANCELED) {
    auto* self = static_cast<UvStream*>(req->handle->data);
    self->end(Error{transport_errc::connection_closed,
                    "writing to the stream failed: " + uv_error_text(status)});
  }
}

void UvStream::on_close(uv_handle_t* handle) {
  auto* self = static_cast<UvStream*>(handle->data);
  // The owner may destroy the stream from `on_closed`, so nothing touches it afterwards.
  std::function<void()> on_closed = std::move(self->on_closed_);
  if (on_closed) on_closed();
}

void UvStream::end(Error why) {
  if (ended_ || closing_) return;
  ended_ = true;
  uv_read_stop(handle());
  if (listener_) {
    listener_->on_stream_end(why);
  } else {
    unreported_end_ = std::move(why);
  }
}

}  // namespace uvwamp
