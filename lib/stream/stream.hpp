// Stream: a connected, ordered byte stream on the caller's uv loop -- TCP, a Unix socket, or TLS
// over either. This layer and the client are the only ones that include <uv.h>.
//
// Threading: everything runs on the loop's thread; no method may be called from another thread.
// The library starts no thread and never blocks the loop.
//
// Lifetime: the owner holds a Stream through std::unique_ptr and ends it with close(). close()
// is asynchronous: `on_closed` runs on the loop once every uv handle underneath is closed, and no
// Listener call happens after close() was called. The Stream may be destroyed from `on_closed`
// on (not before: its uv handles still point at it). Destroying a Stream that was never started
// (no uv handle made) is always fine.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/transport_error.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace uvwamp {

class Stream {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Bytes arrived; `data` is valid only during the call.
    virtual void on_stream_data(const std::uint8_t* data, std::size_t size) = 0;
    // The stream ended (the peer closed, a reset, a TLS failure); nothing more will be read and
    // the owner should close() it. Called at most once.
    virtual void on_stream_end(const Error& why) = 0;
    // queued_bytes() went from more than zero to zero: everything written so far is with the
    // kernel. Never called inside write(), nor for a write that the kernel took at once (nothing
    // was queued). May come after on_stream_end when the stream ended for reading only and its
    // queue still went out.
    virtual void on_stream_drained() {}
  };

  virtual ~Stream() = default;

  // Starts delivering data to `listener`, which must outlive the stream's close.
  virtual void start_reading(Listener& listener) = 0;

  // Queues bytes for the peer; they are written in order. Fails with transport_errc::
  // write_queue_full (and queues nothing) when the bytes not yet written would exceed the
  // stream's limit, with not_open after close() or the stream's end, and with connection_closed
  // when writing finds the peer gone at once (a later failure ends the stream instead). Writing
  // never raises SIGPIPE, whatever the process's disposition of it.
  virtual Status write(std::vector<std::uint8_t> bytes) = 0;

  // Bytes queued and not yet handed to the kernel. Bytes that can no longer be written (the
  // write failed, or close() was called) no longer count.
  virtual std::size_t queued_bytes() const noexcept = 0;

  // The tls-unique channel binding (RFC 5929) of a TLS stream once its handshake is done;
  // nullopt for a stream without TLS.
  virtual std::optional<std::vector<std::uint8_t>> tls_unique() const { return std::nullopt; }

  virtual void close(std::function<void()> on_closed) = 0;
};

}  // namespace uvwamp
