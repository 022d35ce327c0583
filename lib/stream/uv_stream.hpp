// UvStream: a Stream over a TCP or Unix socket handle that it owns.
//
// The handle lives inside the object, so create() makes it and from then on the stream must be
// closed before it is destroyed, whether it ever connected or not. A connector (or a server
// accepting a connection) connects the handle through handle() and then hands the stream over.
//
// Reads land in one 64 KiB buffer that the stream reuses for every read. write() moves the
// caller's bytes into a request that libuv holds until the write completes, so nothing is
// copied. Writes still pending at close() complete with UV_ECANCELED before `on_closed` runs,
// while the stream is still alive.
//
// The stream ends (Listener::on_stream_end, once) at the peer's EOF, at a read error or at a
// failed write. An end that happens before start_reading() is reported from inside
// start_reading(), which is then the only call that reaches the listener synchronously.
#pragma once

#include "stream/stream.hpp"

#include <uv.h>

#include <cstddef>
#include <memory>
#include <optional>

namespace uvwamp {

struct UvStreamOptions {
  // The most bytes that may wait for the kernel; a write() that would go over it fails with
  // write_queue_full. Default 16 MiB.
  std::size_t write_queue_limit = std::size_t{16} << 20;
};

class UvStream final : public Stream {
 public:
  enum class Kind { tcp, pipe };

  // Makes the handle with uv_tcp_init or uv_pipe_init (without IPC) on `loop`.
  static std::unique_ptr<UvStream> create(uv_loop_t* loop, Kind kind, UvStreamOptions options = {});

  UvStream(const UvStream&) = delete;
  UvStream& operator=(const UvStream&) = delete;

  // A uv_tcp_t or a uv_pipe_t, according to the kind.
  uv_stream_t* handle() noexcept { return reinterpret_cast<uv_stream_t*>(&handle_); }

  void start_reading(Listener& listener) override;
  Status write(std::vector<std::uint8_t> bytes) override;
  std::size_t queued_bytes() const noexcept override;
  void close(std::function<void()> on_closed) override;

 private:
  explicit UvStream(UvStreamOptions options) : options_(options) {}

  static void on_alloc(uv_handle_t* handle, std::size_t suggested_size, uv_buf_t* buf);
  static void on_read(uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf);
  static void on_write(uv_write_t* req, int status);
  static void on_close(uv_handle_t* handle);

  void end(Error why);

  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } handle_;
  UvStreamOptions options_;
  Listener* listener_ = nullptr;
  std::unique_ptr<std::uint8_t[]> read_buffer_;
  bool ended_ = false;
  std::optional<Error> unreported_end_;
  bool closing_ = false;
  std::function<void()> on_closed_;
};

}  // namespace uvwamp
