// RawSocketFraming: the client side of WAMP-over-RawSocket as a Framing engine.
//
// The client opens with 4 octets (magic 0x7f, its receive limit and serializer, two reserved
// zero octets) and the router answers with 4 octets of the same shape, or with an error reply.
// After that every message is a frame: a 4-octet prefix RRRR XTTT plus a 24-bit length, where
// X is a 25th length bit used only for a length of exactly 2^24 and TTT is the type (regular
// message, PING, PONG).
//
// What the engine decides where the spec leaves room:
// - The reply is checked in this order: magic octet, reserved octets, error reply, serializer.
// - The receive limit the client announced applies to every incoming frame, PINGs included,
//   and is enforced from the prefix alone, before any of the payload is buffered. The payload of
//   an accepted frame is reserved at once, so memory per connection is bounded by that limit.
// - A PING is answered at once by a PONG that echoes its payload, even after an error later in
//   the same input; the PONG is not held to the router's limit, which governs messages.
// - A PONG gives a `pong` event with its payload, whether or not it answers a PING of ours:
//   matching it is the connection's business. A PING we send is held to the router's limit,
//   like a message.
// - After close() the link is going down: input is ignored, nothing more is queued, and the
//   bytes queued before close() stay in take_output().
// - Events queued before a failure stay queued (so any split of the input gives the same
//   events); after the failure feed() returns the same error again and produces nothing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "framing/framing.hpp"

namespace uvwamp {

struct RawSocketOptions {
  // The Serializer's rawsocket_id(), 1..15; the router must echo it.
  std::uint8_t serializer_id = 0;
  // The longest message the client accepts, rounded up to a power of two and held within
  // [2^9, 2^24] octets, the range the handshake can express.
  std::size_t max_receive_length = std::size_t{1} << 24;
};

class RawSocketFraming final : public Framing {
 public:
  // Throws std::invalid_argument for a serializer_id outside 1..15: a programming error, as no
  // Serializer has such an id.
  explicit RawSocketFraming(const RawSocketOptions& options);

  void start() override;
  Status feed(const std::uint8_t* data, std::size_t size) override;
  std::optional<FramingEvent> next_event() override;
  Status send_message(const std::uint8_t* data, std::size_t size) override;
  Status send_ping(const std::uint8_t* data, std::size_t size) override;
  // RawSocket has no close frame: `code` and `reason` are not sent anywhere.
  void close(std::uint16_t code, const std::string& reason) override;
  bool take_output(std::vector<std::uint8_t>& out) override;
  bool want_write() const noexcept override { return !output_.empty(); }

 private:
  enum class State { awaiting_reply, open, closed, failed };
  enum class FrameType : std::uint8_t { message = 0, ping = 1, pong = 2 };

  Status accept_reply();
  Status begin_frame();
  void finish_frame();
  Status fail(transport_errc code, std::string message);
  Status send_frame(FrameType type, const std::uint8_t* data, std::size_t size);

  const std::uint8_t serializer_id_;
  const std::uint8_t receive_length_exponent_;  // the client's limit is 2^(9 + this)
  const std::size_t receive_limit_;
  std::size_t send_limit_ = 0;  // the router's limit, known once the reply is accepted

  State state_ = State::awaiting_reply;
  std::optional<Error> failure_;

  // The handshake reply or a frame prefix being read; `header_filled_` octets of it so far.
  std::array<std::uint8_t, 4> header_{};
  std::size_t header_filled_ = 0;

  // The frame whose payload is being read: `payload_remaining_` octets are still due. A PING's
  // payload is gathered behind the prefix of its PONG, so that the echo costs no second copy.
  bool in_payload_ = false;
  FrameType frame_type_ = FrameType::message;
  std::size_t payload_remaining_ = 0;
  std::vector<std::uint8_t> payload_;

  std::deque<FramingEvent> events_;
  std::vector<std::uint8_t> output_;
};

}  // namespace uvwamp
