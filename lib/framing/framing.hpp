// Framing: the engine between a byte stream and whole WAMP messages, for RawSocket and WebSocket.
//
// A Framing does no I/O (it never touches a socket, a clock or a thread). The connection that
// owns it feeds it the bytes it reads, drains the bytes it must write, and pulls events:
//
//   framing.start();                         // queues the client's opening handshake
//   write(framing.take_output());
//   on read:  Status s = framing.feed(data, size);   // a failed Status is fatal: drop the link
//             while (auto event = framing.next_event()) handle(*event);
//             write(framing.take_output());          // e.g. a PONG the input asked for
//   to probe the peer: framing.send_ping(payload, size); write(framing.take_output());
//             its answer comes out as a `pong` event with the same payload
//
// Events come out in the order the input produced them; none is produced from inside feed(),
// send_message(), send_ping() or close(), so handling an event may call back into the engine.
// After an error from feed() the engine produces nothing more; after a `closed` event it is
// finished and the connection should be closed once take_output() is empty.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/transport_error.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace uvwamp {

struct FramingEvent {
  enum class Kind {
    opened,   // the handshake completed; messages may flow both ways
    message,  // one whole serialized WAMP message in `payload`
    closed,   // the peer closed (WebSocket close frame; `code` and `reason` carry its status)
    pong,     // the peer answered a ping, or sent an unasked PONG: `payload` is what it carries
  };
  Kind kind;
  std::vector<std::uint8_t> payload;
  std::uint16_t code = 0;
  std::string reason;
};

class Framing {
 public:
  virtual ~Framing() = default;

  // Queues the opening handshake. Call once, before anything else.
  virtual void start() = 0;

  // Bytes read from the peer. Any split of the input gives the same events. An error is fatal.
  virtual Status feed(const std::uint8_t* data, std::size_t size) = 0;

  virtual std::optional<FramingEvent> next_event() = 0;

  // Frames one serialized message. Fails with not_open before `opened` or after close(), and
  // with message_too_large over the peer's limit; a failed send changes nothing.
  virtual Status send_message(const std::uint8_t* data, std::size_t size) = 0;

  // Frames a ping carrying `data` (a RawSocket PING, a WebSocket ping control frame); the peer
  // echoes the payload in its PONG, which comes out as a `pong` event. Fails like send_message(),
  // with message_too_large over what a ping may carry (125 octets for WebSocket, the router's
  // limit for RawSocket); a failed ping changes nothing.
  virtual Status send_ping(const std::uint8_t* data, std::size_t size) = 0;

  // Starts a clean close (a WebSocket close frame; nothing for RawSocket, whose close is the
  // transport's).
  virtual void close(std::uint16_t code, const std::string& reason) = 0;

  // Moves the bytes that are due for the peer into `out` (appended); false when there were none.
  virtual bool take_output(std::vector<std::uint8_t>& out) = 0;
  virtual bool want_write() const noexcept = 0;
};

}  // namespace uvwamp
