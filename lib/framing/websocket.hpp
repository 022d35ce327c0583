// WebSocketFraming: the client side of WAMP-over-WebSocket (RFC 6455) as a Framing engine.
//
// start() queues the HTTP upgrade request (HttpUpgrade writes it and reads the reply). Once the
// router has accepted, every WAMP message is one WebSocket message, run through a wslay client
// context: feed() serves the input to wslay's recv_callback, and whatever wslay queues (our
// masked frames, the PONGs and close replies it sends by itself) is moved into the engine's
// output buffer before each call returns, so take_output() hands over everything that is due.
//
// Ownership: the engine owns its wslay context and hands wslay `this` as user data, so it can be
// neither copied nor moved. The options are copied; `mask_source` is called from inside
// send_message(), close() and feed() (once per frame we send, for its 4 mask octets) and must not
// call back into the engine.
//
// What the engine decides where the specs leave room:
// - The subprotocol the router picks fixes the frame type both ways: a text subprotocol sends and
//   accepts text messages only, any other binary only (the WAMP spec says "all" messages); a
//   message of the other type is a protocol_violation.
// - Incoming messages are reassembled by wslay and held to max_message_size from the frame
//   headers alone, before their payload is buffered. wslay checks text messages and close
//   reasons for UTF-8 as they arrive; close frames reach it whole (see CloseFrameGate).
// - A PING is answered at once, so the PONG goes out even when a close frame follows it in the
//   same read (RFC 6455, section 5.5.2; wslay would drop a PONG still queued then).
// - A PONG gives a `pong` event with its payload, whether or not it answers a ping of ours
//   (RFC 6455 allows unasked ones), except after close(), when data messages are ignored too.
// - A close frame from the router gives a `closed` event with its status (1005 when it carries
//   none) and reason; wslay queues our echo of it. After that the engine is finished and ignores
//   input.
// - close() sends our close frame and ignores data messages that arrive until the router's
//   close frame, which still gives the `closed` event. A code that may not appear on the wire
//   (RFC 6455, section 7.4) is sent as a close frame without status, a reason that is not
//   UTF-8 is dropped, and one over 123 octets is cut at a character boundary. close() before
//   the upgrade is done just makes the engine finished: nothing is sent.
// - A failure after the upgrade leaves the close frame that fails the connection (1002, 1003,
//   1007 or 1009, or one without status for a malformed frame header; RFC 6455 section 7.1.7)
//   in take_output(), for a connection that can still write it. After that nothing more is
//   produced, feed() returns the failure again and send_message() fails with not_open. A
//   failure of the handshake sends nothing. Once our own close frame is out, wslay cannot say
//   why it failed the connection, so any failure then is a protocol_violation.
// - Events queued before a failure stay queued, so any split of the input gives the same events.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "framing/framing.hpp"
#include "framing/http_upgrade.hpp"

struct wslay_event_context;
struct wslay_event_on_msg_recv_arg;

namespace uvwamp {
namespace detail {

// Cuts the frame stream from the router into the pieces wslay reads, so that each close frame
// reaches wslay whole. wslay 1.1.1 checks the UTF-8 of a close reason chunk by chunk and skips
// the first two octets of every chunk, not just of the payload: a close frame split over two
// reads could be refused or let through depending on the split. Other frames pass as they come;
// a close frame is held back until it is complete (131 octets at most: one that announces more
// is malformed, wslay fails it on its header, and it passes at once). After the first close
// frame everything passes through, as wslay reads nothing after it.
class CloseFrameGate {
 public:
  struct Piece {
    const std::uint8_t* data;
    std::size_t size;
  };

  // Replaces `pieces` with the non-empty parts of the stream that may go to wslay now, in order,
  // a close frame always a piece of its own. They point into `data` or into the gate, and stay
  // valid until the next call.
  void cut(const std::uint8_t* data, std::size_t size, std::vector<Piece>& pieces);

 private:
  std::size_t header_size_ = 0;    // octets of the current frame header read so far
  std::size_t header_needed_ = 2;  // its full size, known once its second octet is read
  std::size_t length_size_ = 0;    // octets of extended payload length in it: 0, 2 or 8
  std::uint64_t payload_length_ = 0;
  std::uint64_t payload_left_ = 0;  // octets of the current frame's payload still to come
  bool in_close_ = false;           // the current frame is a close frame, held in held_
  bool passed_close_ = false;
  std::vector<std::uint8_t> held_;
};

}  // namespace detail

struct WebSocketSubprotocol {
  std::string name;   // "wamp.2.json": the Serializer's websocket_subprotocol()
  bool text = false;  // its messages are text frames: the Serializer's is_text()
};

struct WebSocketOptions {
  // The Host header: the host, plus ":port" when the port is not the scheme's default.
  std::string host;
  // The resource name from the URL: path and query ("/ws").
  std::string path = "/";
  // Offered in this order, most wanted first; at least one.
  std::vector<WebSocketSubprotocol> subprotocols;
  // More request headers (an Origin, a cookie); they may not repeat the handshake's own.
  std::vector<HttpHeader> extra_headers;
  // The longest message accepted from the router; a longer one is a message_too_large.
  std::size_t max_message_size = std::size_t{16} << 20;
  // The Sec-WebSocket-Key before base64, and the source of the 4-octet masks of our frames
  // (called as mask_source(buffer, 4)). RFC 6455 wants both unpredictable (sections 4.1 and
  // 10.3): the connection fills them from a CSPRNG; tests pass fixed bytes.
  std::array<std::uint8_t, 16> key_nonce{};
  std::function<void(std::uint8_t*, std::size_t)> mask_source;
};

class WebSocketFraming final : public Framing {
 public:
  // Throws std::invalid_argument for options that cannot make a request (see HttpUpgrade), for
  // a missing mask_source or a zero max_message_size, and std::bad_alloc when wslay cannot
  // allocate its context.
  explicit WebSocketFraming(const WebSocketOptions& options);
  ~WebSocketFraming() override;
  WebSocketFraming(const WebSocketFraming&) = delete;
  WebSocketFraming& operator=(const WebSocketFraming&) = delete;

  void start() override;
  Status feed(const std::uint8_t* data, std::size_t size) override;
  std::optional<FramingEvent> next_event() override;
  // Sends one text or binary message, as the subprotocol asks.
  Status send_message(const std::uint8_t* data, std::size_t size) override;
  // A ping frame carries at most 125 octets.
  Status send_ping(const std::uint8_t* data, std::size_t size) override;
  void close(std::uint16_t code, const std::string& reason) override;
  bool take_output(std::vector<std::uint8_t>& out) override;
  bool want_write() const noexcept override { return !output_.empty(); }

  // The subprotocol the router chose ("wamp.2.cbor"); empty before the `opened` event.
  const std::string& subprotocol() const noexcept { return upgrade_.subprotocol(); }

 private:
  enum class State { idle, upgrading, open, closing, closed, failed };

  struct ContextDeleter {
    void operator()(wslay_event_context* context) const;
  };

  Status read_frames(const std::uint8_t* data, std::size_t size);
  Status explain_wslay_failure();
  void on_message(const wslay_event_on_msg_recv_arg& message);
  Status check_open() const;
  Status queue_and_flush(std::uint8_t opcode, const std::uint8_t* data, std::size_t size);
  Status flush_wslay();
  Status fail(Error error);

  // wslay's callbacks, as static members that may reach the engine's private parts.
  struct WslayCallbacks;

  const std::vector<WebSocketSubprotocol> subprotocols_;
  const std::size_t max_message_size_;
  const std::function<void(std::uint8_t*, std::size_t)> mask_source_;
  HttpUpgrade upgrade_;
  std::unique_ptr<wslay_event_context, ContextDeleter> context_;

  State state_ = State::idle;
  bool text_ = false;  // the chosen subprotocol's messages are text frames
  std::optional<Error> failure_;
  // A failure found inside a wslay callback, reported once wslay_event_recv() returns.
  std::optional<Error> callback_failure_;

  // The input wslay_event_recv() is reading from, through WslayCallbacks::recv(): one piece per
  // call at most, so that a close frame lands in wslay's buffer whole.
  detail::CloseFrameGate close_gate_;
  std::vector<detail::CloseFrameGate::Piece> pieces_;
  std::size_t next_piece_ = 0;

  std::deque<FramingEvent> events_;
  std::vector<std::uint8_t> output_;
};

}  // namespace uvwamp
