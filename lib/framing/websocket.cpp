#include "framing/websocket.hpp"

#include <wslay/wslay.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#include "util/utf8.hpp"

namespace uvwamp {
namespace {

// A control frame's payload is at most 125 octets (RFC 6455, section 5.5); in a close frame two
// of them carry the status code.
constexpr std::size_t kMaxControlPayload = 125;
constexpr std::size_t kMaxCloseReason = kMaxControlPayload - 2;
constexpr std::uint16_t kNoStatusReceived = 1005;

UpgradeRequest make_request(const WebSocketOptions& options) {
  UpgradeRequest request;
  request.host = options.host;
  request.path = options.path;
  for (const WebSocketSubprotocol& subprotocol : options.subprotocols)
    request.subprotocols.push_back(subprotocol.name);
  request.extra_headers = options.extra_headers;
  request.key_nonce = options.key_nonce;
  return request;
}

// The codes an endpoint may put in a close frame (RFC 6455, section 7.4), as far as a router
// on wslay or a similar library accepts them.
bool may_send_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) ||
         (code >= 3000 && code <= 4999);
}

// At most kMaxCloseReason octets of `reason`, cut before a UTF-8 continuation octet so that a
// valid reason stays valid; empty when `reason` is not UTF-8.
std::string close_reason_for_wire(const std::string& reason) {
  if (!utf8::is_valid(reason.data(), reason.size())) return std::string();
  if (reason.size() <= kMaxCloseReason) return reason;
  std::size_t cut = kMaxCloseReason;
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80)
    --cut;
  return reason.substr(0, cut);
}

std::string wslay_error_text(int code) {
  switch (code) {
    case WSLAY_ERR_NOMEM:
      return "out of memory";
    case WSLAY_ERR_NO_MORE_MSG:
      return "a close frame is already queued";
    case WSLAY_ERR_INVALID_ARGUMENT:
      return "invalid argument";
    default:
      return "wslay error " + std::to_string(code);
  }
}

FramingEvent make_event(FramingEvent::Kind kind) {
  FramingEvent event{};
  event.kind = kind;
  return event;
}

}  // namespace

namespace detail {

void CloseFrameGate::cut(const std::uint8_t* data, std::size_t size, std::vector<Piece>& pieces) {
  pieces.clear();
  if (!in_close_) held_.clear();  // a completed close frame was handed out by the last call
  std::size_t run_start = 0;
  std::size_t i = 0;
  while (i < size && !passed_close_) {
    if (payload_left_ > 0) {
      const std::size_t taken =
          static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, size - i));
      if (in_close_) held_.insert(held_.end(), data + i, data + i + taken);
      payload_left_ -= taken;
      i += taken;
    } else {
      const std::uint8_t octet = data[i];
      if (header_size_ == 0 && (octet & 0x0f) == WSLAY_CONNECTION_CLOSE) {
        if (i > run_start) pieces.push_back({data + run_start, i - run_start});
        in_close_ = true;
      }
      if (in_close_) held_.push_back(octet);
      ++i;
      ++header_size_;
      if (header_size_ == 2) {
        const std::uint8_t length7 = octet & 0x7f;
        length_size_ = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
        payload_length_ = length_size_ == 0 ? length7 : 0;
        header_needed_ = 2 + length_size_ + ((octet & 0x80) ? 4 : 0);
        if (in_close_ && length7 > kMaxCloseReason + 2) {
          // Malformed: wslay fails the connection on this header, and reads nothing after it.
          pieces.push_back({held_.data(), held_.size()});
          in_close_ = false;
          passed_close_ = true;
          run_start = i;
        }
      } else if (header_size_ > 2 && header_size_ <= 2 + length_size_) {
        payload_length_ = payload_length_ << 8 | octet;
      }
      if (header_size_ == header_needed_) {
        payload_left_ = payload_length_;
        header_size_ = 0;
        header_needed_ = 2;
      }
    }
    if (in_close_ && header_size_ == 0 && payload_left_ == 0) {
      pieces.push_back({held_.data(), held_.size()});
      in_close_ = false;
      passed_close_ = true;
      run_start = i;
    }
  }
  if (!in_close_ && run_start < size) pieces.push_back({data + run_start, size - run_start});
}

}  // namespace detail

struct WebSocketFraming::WslayCallbacks {
  static WebSocketFraming& engine(void* user_data) {
    return *static_cast<WebSocketFraming*>(user_data);
  }

  // Serves the input of the current feed(), never more than one piece per call; WOULDBLOCK tells
  // wslay_event_recv() to return once it is used up.
  static ssize_t recv(wslay_event_context_ptr context, std::uint8_t* buffer, std::size_t length,
                      int, void* user_data) {
    WebSocketFraming& self = engine(user_data);
    if (self.next_piece_ == self.pieces_.size()) {
      wslay_event_set_error(context, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    detail::CloseFrameGate::Piece& piece = self.pieces_[self.next_piece_];
    const std::size_t served = std::min(length, piece.size);
    std::memcpy(buffer, piece.data, served);
    piece.data += served;
    piece.size -= served;
    if (piece.size == 0) ++self.next_piece_;
    return static_cast<ssize_t>(served);
  }

  static ssize_t send(wslay_event_context_ptr, const std::uint8_t* data, std::size_t length, int,
                      void* user_data) {
    std::vector<std::uint8_t>& output = engine(user_data).output_;
    output.insert(output.end(), data, data + length);
    return static_cast<ssize_t>(length);
  }

  static int genmask(wslay_event_context_ptr, std::uint8_t* buffer, std::size_t length,
                     void* user_data) {
    engine(user_data).mask_source_(buffer, length);
    return 0;
  }

  static void on_msg_recv(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* message,
                          void* user_data) {
    engine(user_data).on_message(*message);
  }
};

void WebSocketFraming::ContextDeleter::operator()(wslay_event_context* context) const {
  wslay_event_context_free(context);
}

WebSocketFraming::WebSocketFraming(const WebSocketOptions& options)
    : subprotocols_(options.subprotocols),
      max_message_size_(options.max_message_size),
      mask_source_(options.mask_source),
      upgrade_(make_request(options)) {
  if (!mask_source_) throw std::invalid_argument("WebSocketFraming: no mask_source");
  if (max_message_size_ == 0) throw std::invalid_argument("WebSocketFraming: max_message_size 0");

  wslay_event_callbacks callbacks{};
  callbacks.recv_callback = WslayCallbacks::recv;
  callbacks.send_callback = WslayCallbacks::send;
  callbacks.genmask_callback = WslayCallbacks::genmask;
  callbacks.on_msg_recv_callback = WslayCallbacks::on_msg_recv;
  wslay_event_context_ptr context = nullptr;
  if (wslay_event_context_client_init(&context, &callbacks, this) != 0) throw std::bad_alloc();
  context_.reset(context);
  wslay_event_config_set_max_recv_msg_length(context, max_message_size_);
}

WebSocketFraming::~WebSocketFraming() = default;

void WebSocketFraming::start() {
  if (state_ != State::idle) return;
  const std::string& request = upgrade_.request();
  output_.insert(output_.end(), request.begin(), request.end());
  state_ = State::upgrading;
}

Status WebSocketFraming::feed(const std::uint8_t* data, std::size_t size) {
  switch (state_) {
    case State::idle:
      return fail({transport_errc::not_open, "WebSocket: input before start()"});
    case State::upgrading: {
      Result<std::size_t> consumed = upgrade_.feed(data, size);
      if (!consumed) return fail(consumed.error());
      if (!upgrade_.accepted()) return {};
      const auto chosen = std::find_if(
          subprotocols_.begin(), subprotocols_.end(),
          [&](const WebSocketSubprotocol& offered) { return offered.name == subprotocol(); });
      text_ = chosen->text;  // HttpUpgrade accepts only a subprotocol that was offered
      state_ = State::open;
      events_.push_back(make_event(FramingEvent::Kind::opened));
      return read_frames(data + consumed.value(), size - consumed.value());
    }
    case State::open:
    case State::closing:
      return read_frames(data, size);
    case State::closed:
      return {};
    case State::failed:
      break;
  }
  return *failure_;
}

Status WebSocketFraming::read_frames(const std::uint8_t* data, std::size_t size) {
  close_gate_.cut(data, size, pieces_);
  next_piece_ = 0;
  const int received = wslay_event_recv(context_.get());
  pieces_.clear();

  if (callback_failure_) return fail(std::move(*callback_failure_));
  if (received == WSLAY_ERR_CALLBACK_FAILURE)
    return fail({transport_errc::protocol_violation,
                 "WebSocket: the router sent a malformed frame header (a control frame longer "
                 "than 125 octets or fragmented, or a length not in its shortest form)"});
  if (received != 0)
    return fail({transport_errc::protocol_violation,
                 "WebSocket: cannot read frames: " + wslay_error_text(received)});
  if (state_ != State::closed && !wslay_event_get_read_enabled(context_.get()))
    return explain_wslay_failure();
  return flush_wslay();
}

// wslay_event_recv() has failed the connection by itself: it stopped reading and queued a close
// frame whose status code tells why. Sending that frame makes the code readable.
Status WebSocketFraming::explain_wslay_failure() {
  if (state_ == State::closing)
    return fail({transport_errc::protocol_violation,
                 "WebSocket: the router broke the protocol after our close frame"});
  (void)wslay_event_send(context_.get());
  switch (wslay_event_get_status_code_sent(context_.get())) {
    case WSLAY_CODE_MESSAGE_TOO_BIG:
      return fail({transport_errc::message_too_large,
                   "WebSocket: a message from the router is longer than the limit of " +
                       std::to_string(max_message_size_) + " octets"});
    case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
      return fail({transport_errc::protocol_violation,
                   "WebSocket: a text message or close reason from the router is not UTF-8"});
    default:
      return fail({transport_errc::protocol_violation,
                   "WebSocket: the router sent a frame that RFC 6455 forbids a server to send "
                   "(masked, with reserved bits, with an unknown opcode, out of sequence, or a "
                   "close frame with an invalid status code)"});
  }
}

void WebSocketFraming::on_message(const wslay_event_on_msg_recv_arg& message) {
  const std::uint8_t* payload = message.msg;
  const std::size_t size = message.msg_length;
  switch (message.opcode) {
    case WSLAY_TEXT_FRAME:
    case WSLAY_BINARY_FRAME: {
      if (state_ == State::closing) return;
      const bool text = message.opcode == WSLAY_TEXT_FRAME;
      if (text != text_) {
        callback_failure_ =
            Error{transport_errc::protocol_violation,
                  std::string("WebSocket: a ") + (text ? "text" : "binary") + " message on " +
                      subprotocol() + ", whose messages are all " + (text_ ? "text" : "binary")};
        wslay_event_shutdown_read(context_.get());
        // The connection has failed either way; a close frame that cannot be queued is moot.
        (void)wslay_event_queue_close(context_.get(), WSLAY_CODE_UNSUPPORTED_DATA, nullptr, 0);
        return;
      }
      FramingEvent event = make_event(FramingEvent::Kind::message);
      if (size > 0) event.payload.assign(payload, payload + size);
      events_.push_back(std::move(event));
      return;
    }
    case WSLAY_CONNECTION_CLOSE: {
      // wslay has checked the status code and that the reason is UTF-8, and queued our echo.
      FramingEvent event = make_event(FramingEvent::Kind::closed);
      event.code = message.status_code != 0 ? message.status_code : kNoStatusReceived;
      if (size > 2) event.reason.assign(reinterpret_cast<const char*>(payload) + 2, size - 2);
      events_.push_back(std::move(event));
      state_ = State::closed;
      return;
    }
    case WSLAY_PING:
      // wslay has queued the PONG but would drop it if a close frame followed in the same read,
      // while RFC 6455 (section 5.5.2) wants it sent: write it at once. Sending does not touch
      // wslay's receiving state.
      if (const int sent = wslay_event_send(context_.get()); sent != 0) {
        callback_failure_ = Error{transport_errc::protocol_violation,
                                  "WebSocket: cannot write a PONG: " + wslay_error_text(sent)};
        wslay_event_shutdown_read(context_.get());
      }
      return;
    case WSLAY_PONG: {
      if (state_ == State::closing) return;
      FramingEvent event = make_event(FramingEvent::Kind::pong);
      if (size > 0) event.payload.assign(payload, payload + size);
      events_.push_back(std::move(event));
      return;
    }
    default:
      return;
  }
}

std::optional<FramingEvent> WebSocketFraming::next_event() {
  if (events_.empty()) return std::nullopt;
  FramingEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

Status WebSocketFraming::send_message(const std::uint8_t* data, std::size_t size) {
  if (Status open = check_open(); !open) return open;
  return queue_and_flush(text_ ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME, data, size);
}

Status WebSocketFraming::send_ping(const std::uint8_t* data, std::size_t size) {
  if (Status open = check_open(); !open) return open;
  // wslay would refuse it too, without saying why.
  if (size > kMaxControlPayload)
    return Error{transport_errc::message_too_large,
                 "WebSocket: a ping of " + std::to_string(size) +
                     " octets exceeds the limit of 125 octets of a control frame"};
  return queue_and_flush(WSLAY_PING, data, size);
}

Status WebSocketFraming::check_open() const {
  switch (state_) {
    case State::open:
      return {};
    case State::idle:
    case State::upgrading:
      return Error{transport_errc::not_open, "WebSocket: not open yet (the upgrade is not done)"};
    case State::closing:
    case State::closed:
      return Error{transport_errc::not_open, "WebSocket: closed"};
    case State::failed:
      break;
  }
  return Error{transport_errc::not_open, "WebSocket: failed: " + failure_->message};
}

Status WebSocketFraming::queue_and_flush(std::uint8_t opcode, const std::uint8_t* data,
                                         std::size_t size) {
  wslay_event_msg message{};
  message.opcode = opcode;
  message.msg = data;
  message.msg_length = size;
  if (const int queued = wslay_event_queue_msg(context_.get(), &message); queued != 0)
    return Error{transport_errc::protocol_violation,
                 "WebSocket: cannot queue the message: " + wslay_error_text(queued)};
  return flush_wslay();
}

void WebSocketFraming::close(std::uint16_t code, const std::string& reason) {
  switch (state_) {
    case State::idle:
    case State::upgrading:
      state_ = State::closed;
      return;
    case State::open:
      break;
    case State::closing:
    case State::closed:
    case State::failed:
      return;
  }
  state_ = State::closing;
  const bool with_status = may_send_close_code(code);
  const std::string wire_reason = with_status ? close_reason_for_wire(reason) : std::string();
  const int queued = wslay_event_queue_close(
      context_.get(), with_status ? code : 0,
      reinterpret_cast<const std::uint8_t*>(wire_reason.data()), wire_reason.size());
  if (queued != 0) {
    (void)fail({transport_errc::protocol_violation,
                "WebSocket: cannot queue the close frame: " + wslay_error_text(queued)});
    return;
  }
  (void)flush_wslay();
}

bool WebSocketFraming::take_output(std::vector<std::uint8_t>& out) {
  if (output_.empty()) return false;
  if (out.empty()) {
    out.swap(output_);
  } else {
    out.insert(out.end(), output_.begin(), output_.end());
  }
  output_.clear();
  return true;
}

Status WebSocketFraming::flush_wslay() {
  const int sent = wslay_event_send(context_.get());
  if (sent == 0) return {};
  return fail({transport_errc::protocol_violation,
               "WebSocket: cannot write a frame: " + wslay_error_text(sent)});
}

// A close frame that wslay or on_message() queued to fail the connection is written out first;
// after that wslay sends nothing more, as a sent close frame disables its writing.
Status WebSocketFraming::fail(Error error) {
  state_ = State::failed;
  failure_ = std::move(error);
  (void)wslay_event_send(context_.get());
  return *failure_;
}

}  // namespace uvwamp
