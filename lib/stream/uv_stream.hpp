// UvStream: a Stream over a TCP or Unix socket handle that it owns.
//
// The handle lives inside the object, so create() makes it and from then on the stream must be
// closed before it is destroyed, whether it ever connected or not. A connector (or a server
// accepting a connection) connects the handle through handle() and then hands the stream over.
//
// Reads go through libuv and land in one 64 KiB buffer that the stream reuses for every read.
//
// Writes do not go through libuv, which writes with write(2) and writev(2): those raise SIGPIPE,
// whose default action ends the program, when the peer has gone. The stream writes with send(2)
// and sendmsg(2) and MSG_NOSIGNAL instead, which turn that into EPIPE, so it never raises SIGPIPE
// and leaves the process's signal dispositions and masks alone. write() gives the kernel at once
// what it takes; the rest waits in the stream's own queue (the caller's vectors, moved, not
// copied) until a uv_poll_t says the socket takes more. That poll handle watches a dup() of the
// socket's descriptor, since libuv allows one watcher per descriptor and the handle's own is
// libuv's, for reading. Both are made at the first write(), so a stream that has written holds
// one more file descriptor. Bytes still queued at close() are dropped.
//
// The stream ends (Listener::on_stream_end, once) at the peer's EOF, at a read error or at a
// failed write. An end that happens before start_reading() is reported from inside
// start_reading(), which is then the only call that reaches the listener synchronously. After an
// end for reading (EOF, a read error) the queue still goes out; a failed write drops it.
#pragma once

#include "stream/stream.hpp"

#include <uv.h>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

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
  static void on_writable(uv_poll_t* poll, int status, int events);
  static void on_handle_closed(uv_handle_t* handle);
  static void on_watcher_closed(uv_handle_t* handle);

  Status open_write_watcher();
  // Gives the kernel queued bytes until the queue is empty or the socket takes no more.
  Status send_queued();
  void watch_for_writable();
  void drop_queue();
  void fail_writing(Error why);
  void end(Error why);
  void closed_one();

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
  int pending_closes_ = 0;
  std::function<void()> on_closed_;

  // What the kernel has not taken yet, in order; the first `queue_front_sent_` bytes of the
  // front vector are already written. `queued_bytes_` counts the rest.
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t queue_front_sent_ = 0;
  std::size_t queued_bytes_ = 0;
  // The duplicate of the socket's descriptor that the stream writes on, and its poll handle,
  // which runs (UV_WRITABLE) exactly while the queue holds bytes.
  int write_fd_ = -1;
  uv_poll_t write_watcher_;
  bool watcher_open_ = false;
};

}  // namespace uvwamp
