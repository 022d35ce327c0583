#include "framing/rawsocket.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "util/hex.hpp"

namespace uvwamp {
namespace {

constexpr std::uint8_t kMagic = 0x7f;
constexpr unsigned kMinLengthExponent = 9;
constexpr unsigned kMaxLengthExponent = 24;
constexpr std::size_t kMaxFrameLength = std::size_t{1} << kMaxLengthExponent;
constexpr std::uint8_t kReservedBits = 0xf0;
constexpr std::uint8_t kExtraLengthBit = 0x08;
constexpr std::uint8_t kTypeBits = 0x07;
constexpr std::uint8_t kPongType = 2;

std::uint8_t length_exponent(std::size_t max_length) {
  unsigned exponent = kMinLengthExponent;
  while (exponent < kMaxLengthExponent && (std::size_t{1} << exponent) < max_length)
    ++exponent;
  return static_cast<std::uint8_t>(exponent - kMinLengthExponent);
}

std::size_t length_for_exponent(unsigned exponent) {
  return std::size_t{1} << (kMinLengthExponent + exponent);
}

// `length` is at most 2^24, which the X bit carries.
void append_prefix(std::vector<std::uint8_t>& out, std::uint8_t type, std::size_t length) {
  const std::uint8_t first =
      static_cast<std::uint8_t>(type | (length == kMaxFrameLength ? kExtraLengthBit : 0));
  const std::uint8_t prefix[] = {first, static_cast<std::uint8_t>(length >> 16),
                                 static_cast<std::uint8_t>(length >> 8),
                                 static_cast<std::uint8_t>(length)};
  out.insert(out.end(), std::begin(prefix), std::end(prefix));
}

// Takes over `from` when `to` is empty, which spares the copy in the common case.
void append(std::vector<std::uint8_t>& to, std::vector<std::uint8_t>&& from) {
  if (to.empty()) {
    to.swap(from);
  } else {
    to.insert(to.end(), from.begin(), from.end());
  }
  from = std::vector<std::uint8_t>();
}

std::string octet_text(std::uint8_t octet) {
  return "0x" + hex::encode(&octet, 1);
}

std::string refusal_reason(unsigned code) {
  switch (code) {
    case 1:
      return "serializer unsupported";
    case 2:
      return "maximum message length unacceptable";
    case 3:
      return "use of reserved bits (unsupported feature)";
    case 4:
      return "maximum connection count reached";
  }
  return "unknown error " + std::to_string(code);
}

FramingEvent make_event(FramingEvent::Kind kind, std::vector<std::uint8_t> payload = {}) {
  FramingEvent event{};
  event.kind = kind;
  event.payload = std::move(payload);
  return event;
}

}  // namespace

RawSocketFraming::RawSocketFraming(const RawSocketOptions& options)
    : serializer_id_(options.serializer_id),
      receive_length_exponent_(length_exponent(options.max_receive_length)),
      receive_limit_(length_for_exponent(receive_length_exponent_)) {
  if (serializer_id_ < 1 || serializer_id_ > 15) {
    throw std::invalid_argument("RawSocket serializer id must be 1..15, got " +
                                std::to_string(serializer_id_));
  }
}

void RawSocketFraming::start() {
  output_.insert(
      output_.end(),
      {kMagic, static_cast<std::uint8_t>(receive_length_exponent_ << 4 | serializer_id_), 0, 0});
}

Status RawSocketFraming::feed(const std::uint8_t* data, std::size_t size) {
  if (state_ == State::failed) return *failure_;
  if (state_ == State::closed) return {};
  std::size_t used = 0;
  while (used < size) {
    const std::size_t available = size - used;
    if (in_payload_) {
      const std::size_t take = std::min(available, payload_remaining_);
      payload_.insert(payload_.end(), data + used, data + used + take);
      used += take;
      payload_remaining_ -= take;
      if (payload_remaining_ == 0) finish_frame();
      continue;
    }
    const std::size_t take = std::min(available, header_.size() - header_filled_);
    std::copy_n(data + used, take, header_.begin() + header_filled_);
    used += take;
    header_filled_ += take;
    if (header_filled_ < header_.size()) continue;
    header_filled_ = 0;
    Status status = state_ == State::open ? begin_frame() : accept_reply();
    if (!status) return status;
  }
  return {};
}

Status RawSocketFraming::accept_reply() {
  if (header_[0] != kMagic) {
    return fail(transport_errc::bad_handshake, "RawSocket handshake reply starts with " +
                                                   octet_text(header_[0]) +
                                                   ", not the magic octet 0x7f");
  }
  if (header_[2] != 0 || header_[3] != 0) {
    return fail(transport_errc::bad_handshake, "RawSocket handshake reply has reserved octets " +
                                                   octet_text(header_[2]) + " " +
                                                   octet_text(header_[3]) + ", which must be zero");
  }
  const unsigned serializer = header_[1] & 0x0f;
  const unsigned upper_nibble = header_[1] >> 4;
  if (serializer == 0) {
    // The one refusal that asking for another serializer can cure gets its own code.
    const auto code =
        upper_nibble == 1 ? transport_errc::serializer_refused : transport_errc::handshake_refused;
    return fail(code,
                "the router refused the RawSocket handshake: " + refusal_reason(upper_nibble));
  }
  if (serializer != serializer_id_) {
    return fail(transport_errc::bad_handshake,
                "RawSocket handshake reply names serializer " + std::to_string(serializer) +
                    ", but the client asked for " + std::to_string(serializer_id_));
  }
  send_limit_ = length_for_exponent(upper_nibble);
  state_ = State::open;
  events_.push_back(make_event(FramingEvent::Kind::opened));
  return {};
}

Status RawSocketFraming::begin_frame() {
  const std::uint8_t first = header_[0];
  if (first & kReservedBits) {
    return fail(
        transport_errc::protocol_violation,
        "RawSocket frame prefix starts with " + octet_text(first) + ", which sets reserved bits");
  }
  const std::uint8_t type = first & kTypeBits;
  if (type > kPongType) {
    return fail(transport_errc::protocol_violation,
                "RawSocket frame has the reserved type " + std::to_string(type));
  }
  std::size_t length = std::size_t{header_[1]} << 16 | std::size_t{header_[2]} << 8 | header_[3];
  if (first & kExtraLengthBit) {
    if (length != 0) {
      return fail(transport_errc::protocol_violation,
                  "RawSocket frame sets the 25th length bit together with other length bits");
    }
    length = kMaxFrameLength;
  }
  if (length > receive_limit_) {
    return fail(transport_errc::message_too_large,
                "RawSocket frame of " + std::to_string(length) + " octets exceeds the limit of " +
                    std::to_string(receive_limit_) + " octets the client announced");
  }
  frame_type_ = static_cast<FrameType>(type);
  payload_remaining_ = length;
  if (frame_type_ == FrameType::ping) {
    payload_.reserve(header_.size() + length);
    append_prefix(payload_, kPongType, length);
  } else {
    payload_.reserve(length);
  }
  in_payload_ = true;
  if (length == 0) finish_frame();
  return {};
}

void RawSocketFraming::finish_frame() {
  in_payload_ = false;
  switch (frame_type_) {
    case FrameType::message:
      events_.push_back(make_event(FramingEvent::Kind::message, std::exchange(payload_, {})));
      break;
    case FrameType::ping:
      append(output_, std::move(payload_));
      break;
    case FrameType::pong:
      events_.push_back(make_event(FramingEvent::Kind::pong, std::exchange(payload_, {})));
      break;
  }
}

Status RawSocketFraming::fail(transport_errc code, std::string message) {
  state_ = State::failed;
  payload_ = std::vector<std::uint8_t>();
  failure_ = Error{make_error_code(code), std::move(message)};
  return *failure_;
}

std::optional<FramingEvent> RawSocketFraming::next_event() {
  if (events_.empty()) return std::nullopt;
  FramingEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

Status RawSocketFraming::send_message(const std::uint8_t* data, std::size_t size) {
  return send_frame(FrameType::message, data, size);
}

Status RawSocketFraming::send_ping(const std::uint8_t* data, std::size_t size) {
  return send_frame(FrameType::ping, data, size);
}

Status RawSocketFraming::send_frame(FrameType type, const std::uint8_t* data, std::size_t size) {
  switch (state_) {
    case State::awaiting_reply:
      return Error{make_error_code(transport_errc::not_open),
                   "cannot send before the RawSocket handshake completed"};
    case State::closed:
      return Error{make_error_code(transport_errc::not_open),
                   "cannot send after the RawSocket link was closed"};
    case State::failed:
      return Error{make_error_code(transport_errc::not_open),
                   "cannot send on a failed RawSocket link"};
    case State::open:
      break;
  }
  if (size > send_limit_) {
    return Error{make_error_code(transport_errc::message_too_large),
                 std::string(type == FrameType::ping ? "ping" : "message") + " of " +
                     std::to_string(size) + " octets exceeds the router's limit of " +
                     std::to_string(send_limit_) + " octets"};
  }
  append_prefix(output_, static_cast<std::uint8_t>(type), size);
  if (size > 0) output_.insert(output_.end(), data, data + size);
  return {};
}

void RawSocketFraming::close(std::uint16_t, const std::string&) {
  if (state_ == State::failed) return;
  state_ = State::closed;
  in_payload_ = false;
  payload_ = std::vector<std::uint8_t>();
}

bool RawSocketFraming::take_output(std::vector<std::uint8_t>& out) {
  if (output_.empty()) return false;
  append(out, std::move(output_));
  return true;
}

}  // namespace uvwamp
