#include "stream/uv_stream.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "stream/uv_error.hpp"

namespace uvwamp {
namespace {

constexpr std::size_t kReadBufferSize = 64 * 1024;

// The most queued vectors one sendmsg() gathers: enough to fill any socket buffer with the
// messages of a busy session, and far below IOV_MAX.
constexpr std::size_t kMaxGather = 64;

Error write_failed(int error_number) {
  return Error{transport_errc::connection_closed,
               std::string("writing to the stream failed: ") + std::strerror(error_number)};
}

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
  const std::size_t limit = options_.write_queue_limit;
  if (queued_bytes_ > limit || bytes.size() > limit - queued_bytes_) {
    return Error{transport_errc::write_queue_full,
                 "writing " + std::to_string(bytes.size()) + " bytes would exceed the limit of " +
                     std::to_string(limit) + " bytes waiting to be written (" +
                     std::to_string(queued_bytes_) + " are waiting)"};
  }
  // Made before anything is sent, so that a failure leaves no hole in the stream.
  if (!watcher_open_) {
    const Status opened = open_write_watcher();
    if (!opened) return opened;
  }

  std::size_t sent = 0;
  if (queue_.empty()) {
    // Nothing waits, so these bytes may go at once without overtaking any.
    ssize_t result;
    do {
      result = ::send(write_fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    } while (result < 0 && errno == EINTR);
    if (result < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return write_failed(errno);
    if (result > 0) sent = static_cast<std::size_t>(result);
    if (sent == bytes.size()) return {};
    queue_front_sent_ = sent;
  }
  queued_bytes_ += bytes.size() - sent;
  queue_.push_back(std::move(bytes));
  watch_for_writable();
  return {};
}

std::size_t UvStream::queued_bytes() const noexcept {
  return queued_bytes_;
}

void UvStream::close(std::function<void()> on_closed) {
  if (closing_) return;
  closing_ = true;
  listener_ = nullptr;
  on_closed_ = std::move(on_closed);
  drop_queue();
  pending_closes_ = 1;
  if (watcher_open_) {
    ++pending_closes_;
    watcher_open_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&write_watcher_), on_watcher_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(handle()), on_handle_closed);
}

Status UvStream::open_write_watcher() {
  uv_os_fd_t fd;
  int status = uv_fileno(reinterpret_cast<const uv_handle_t*>(&handle_), &fd);
  if (status < 0) {
    return Error{transport_errc::not_open,
                 "the stream has no socket to write to: " + uv_error_text(status)};
  }
  const int duplicate = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (duplicate < 0) {
    return Error{transport_errc::connection_closed,
                 std::string("could not duplicate the socket's descriptor to write on it: ") +
                     std::strerror(errno)};
  }
  status = uv_poll_init_socket(handle()->loop, &write_watcher_, duplicate);
  if (status < 0) {
    ::close(duplicate);
    return Error{transport_errc::connection_closed,
                 "could not watch the socket for writing: " + uv_error_text(status)};
  }
  write_watcher_.data = this;
  write_fd_ = duplicate;
  watcher_open_ = true;
  return {};
}

Status UvStream::send_queued() {
  while (!queue_.empty()) {
    struct iovec pieces[kMaxGather];
    std::size_t count = 0;
    for (auto it = queue_.begin(); it != queue_.end() && count < kMaxGather; ++it, ++count) {
      const std::size_t skip = count == 0 ? queue_front_sent_ : 0;
      pieces[count].iov_base = it->data() + skip;
      pieces[count].iov_len = it->size() - skip;
    }
    struct msghdr message;
    std::memset(&message, 0, sizeof message);
    message.msg_iov = pieces;
    message.msg_iovlen = static_cast<decltype(message.msg_iovlen)>(count);
    ssize_t result;
    do {
      result = ::sendmsg(write_fd_, &message, MSG_NOSIGNAL);
    } while (result < 0 && errno == EINTR);
    if (result < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return {};
      return write_failed(errno);
    }
    if (result == 0) return {};  // a stream socket takes some or says EAGAIN; wait all the same
    std::size_t sent = static_cast<std::size_t>(result);
    queued_bytes_ -= sent;
    while (sent > 0) {
      const std::size_t front_left = queue_.front().size() - queue_front_sent_;
      if (sent < front_left) {
        queue_front_sent_ += sent;
        break;
      }
      sent -= front_left;
      queue_.pop_front();
      queue_front_sent_ = 0;
    }
  }
  return {};
}

void UvStream::watch_for_writable() {
  // Starting a poll handle that runs would drop and add its epoll registration again. It cannot
  // fail: the handle is open and the events are valid.
  if (!uv_is_active(reinterpret_cast<const uv_handle_t*>(&write_watcher_))) {
    uv_poll_start(&write_watcher_, UV_WRITABLE, on_writable);
  }
}

void UvStream::drop_queue() {
  queue_.clear();
  queue_front_sent_ = 0;
  queued_bytes_ = 0;
  if (watcher_open_) uv_poll_stop(&write_watcher_);
}

void UvStream::fail_writing(Error why) {
  drop_queue();  // nothing after a lost byte may reach the peer
  end(std::move(why));
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

void UvStream::on_writable(uv_poll_t* poll, int status, int) {
  auto* self = static_cast<UvStream*>(poll->data);
  if (self->queue_.empty()) {
    uv_poll_stop(poll);
    return;
  }
  const std::size_t before = self->queued_bytes_;
  const Status sent = self->send_queued();
  if (!sent) {
    self->fail_writing(sent.error());
    return;
  }
  if (!self->queue_.empty()) {
    // An error (status < 0) usually shows in sendmsg()'s errno, above; libuv has stopped the
    // handle for it, so it is watched again while writing still makes progress.
    if (status < 0 && self->queued_bytes_ == before) {
      self->fail_writing(Error{transport_errc::connection_closed,
                               "writing to the stream failed: " + uv_error_text(status)});
      return;
    }
    self->watch_for_writable();
    return;
  }
  uv_poll_stop(&self->write_watcher_);
  if (self->listener_) self->listener_->on_stream_drained();
}

void UvStream::on_handle_closed(uv_handle_t* handle) {
  static_cast<UvStream*>(handle->data)->closed_one();
}

void UvStream::on_watcher_closed(uv_handle_t* handle) {
  auto* self = static_cast<UvStream*>(handle->data);
  // libuv has dropped the descriptor's registration; the socket itself closes with the last of
  // its two descriptors.
  ::close(self->write_fd_);
  self->write_fd_ = -1;
  self->closed_one();
}

void UvStream::closed_one() {
  if (--pending_closes_ > 0) return;
  // The owner may destroy the stream from `on_closed`, so nothing touches it afterwards.
  std::function<void()> on_closed = std::move(on_closed_);
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
