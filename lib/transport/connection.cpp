#include "transport/connection.hpp"

#include <sodium.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "framing/rawsocket.hpp"
#include "framing/websocket.hpp"
#include "stream/pipe_connector.hpp"
#include "stream/tcp_connector.hpp"
#ifdef UVWAMP_HAVE_TLS
#include "tls/tls_connector.hpp"
#endif

namespace uvwamp {
namespace {

std::uint64_t milliseconds(std::chrono::milliseconds duration) {
  return duration.count() < 0 ? 0 : static_cast<std::uint64_t>(duration.count());
}

const char* protocol_name(const Endpoint& endpoint) {
  return endpoint.protocol == Endpoint::Protocol::websocket ? "WebSocket" : "RawSocket";
}

std::string close_text(const FramingEvent& event) {
  std::string text = "the router closed the WebSocket connection";
  if (event.code != 1005) text += " with status " + std::to_string(event.code);
  if (!event.reason.empty()) text += " (\"" + event.reason + "\")";
  return text;
}

void fill_random(std::uint8_t* buffer, std::size_t size) {
  randombytes_buf(buffer, size);
}

}  // namespace

Connection::Connection(uv_loop_t* loop, Listener& listener, ConnectionOptions options)
    : loop_(loop), listener_(listener), options_(std::move(options)) {
  if (options_.serializers.empty()) {
    throw std::invalid_argument("ConnectionOptions::serializers names no serializer");
  }
  for (const Serializer* serializer : options_.serializers) {
    if (serializer == nullptr) {
      throw std::invalid_argument("ConnectionOptions::serializers holds a null serializer");
    }
    const std::uint8_t id = serializer->rawsocket_id();
    if (id < 1 || id > 15 || serializer->websocket_subprotocol().empty()) {
      throw std::invalid_argument("serializer '" + std::string(serializer->name()) +
                                  "' needs a RawSocket id in 1..15 and a WebSocket subprotocol");
    }
  }
  if (options_.max_message_size == 0) {
    throw std::invalid_argument("ConnectionOptions::max_message_size is zero");
  }
  if (options_.write_queue_limit == 0) {
    throw std::invalid_argument("ConnectionOptions::write_queue_limit is zero");
  }
  if (options_.write_queue_high_water > options_.write_queue_limit) {
    throw std::invalid_argument(
        "ConnectionOptions::write_queue_high_water (" +
        std::to_string(options_.write_queue_high_water) + ") is over write_queue_limit (" +
        std::to_string(options_.write_queue_limit) + "); zero turns it off");
  }
  if (options_.keepalive_interval.count() > 0 && options_.keepalive_timeout.count() <= 0) {
    throw std::invalid_argument(
        "ConnectionOptions::keepalive_interval is set, but keepalive_timeout is not positive");
  }
}

Connection::~Connection() = default;

Status Connection::connect(std::string_view url, ConnectCallback on_done) {
  auto endpoint = parse_endpoint(url);
  if (!endpoint) return endpoint.error();
  return connect(endpoint.value(), std::move(on_done));
}

Status Connection::connect(const Endpoint& endpoint, ConnectCallback on_done) {
  if (state_ != State::idle) throw std::logic_error("Connection::connect() succeeded before");
#ifndef UVWAMP_HAVE_TLS
  if (endpoint.tls) {
    return Error{transport_errc::invalid_url,
                 "TLS endpoints need uvwamp built with TLS (mbedTLS), and this one is not"};
  }
#endif
  if (endpoint.is_unix() && endpoint.tls) {
    return Error{transport_errc::invalid_url, "TLS over a Unix socket is not supported"};
  }
  if (!endpoint.is_unix() && (endpoint.host.empty() || endpoint.port == 0)) {
    return Error{transport_errc::invalid_url,
                 "the endpoint names neither a host and port "
                 "nor a Unix socket"};
  }
  // The WebSocket key and masks come from libsodium's CSPRNG, which must be started first.
  if (sodium_init() < 0) {
    return Error{transport_errc::connect_failed,
                 "libsodium, the source of randomness, failed to start"};
  }
  endpoint_ = endpoint;
  serializer_index_ = 0;
  framing_ = make_framing();  // throws for a WebSocket request that cannot be written
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_timer_init(loop_, &pressure_timer_);
  pressure_timer_.data = this;
  on_connected_ = std::move(on_done);
  start_attempt();
  return {};
}

std::unique_ptr<Framing> Connection::make_framing() {
  if (endpoint_.protocol == Endpoint::Protocol::rawsocket) {
    RawSocketOptions rawsocket;
    rawsocket.serializer_id = options_.serializers[serializer_index_]->rawsocket_id();
    rawsocket.max_receive_length = options_.max_message_size;
    return std::make_unique<RawSocketFraming>(rawsocket);
  }
  WebSocketOptions websocket;
  websocket.host = endpoint_.http_host;
  websocket.path = endpoint_.http_path;
  for (const Serializer* serializer : options_.serializers) {
    websocket.subprotocols.push_back(
        {std::string(serializer->websocket_subprotocol()), serializer->is_text()});
  }
  websocket.extra_headers = options_.websocket_headers;
  websocket.max_message_size = options_.max_message_size;
  fill_random(websocket.key_nonce.data(), websocket.key_nonce.size());
  websocket.mask_source = fill_random;
  return std::make_unique<WebSocketFraming>(websocket);
}

void Connection::start_attempt() {
  state_ = State::connecting;
  UvStreamOptions stream_options;
  stream_options.write_queue_limit = options_.write_queue_limit;
  std::unique_ptr<Connector> connector;
  if (endpoint_.is_unix()) {
    connector = std::make_unique<PipeConnector>(loop_, endpoint_.unix_path, stream_options);
  } else {
    TcpConnectOptions tcp;
    tcp.connect_timeout = options_.connect_timeout;
    tcp.keepalive = options_.tcp_keepalive;
    tcp.stream = stream_options;
    connector = std::make_unique<TcpConnector>(loop_, endpoint_.host, endpoint_.port, tcp);
  }
#ifdef UVWAMP_HAVE_TLS
  if (endpoint_.tls) {
    TlsConnectOptions tls;
    tls.tls = options_.tls;
    tls.handshake_timeout = options_.handshake_timeout;
    tls.write_queue_limit = options_.write_queue_limit;
    connector = std::make_unique<TlsConnector>(loop_, std::move(connector), endpoint_.host, tls);
  }
#endif
  connector_ = std::move(connector);
  connector_->start(
      [this](Result<std::unique_ptr<Stream>> connected) { on_connected(std::move(connected)); });
}

void Connection::on_connected(Result<std::unique_ptr<Stream>> connected) {
  if (!connected) {
    state_ = State::failed;
    ConnectCallback on_done = std::move(on_connected_);
    if (on_done) on_done(connected.error());
    return;
  }
  stream_ = std::move(connected.value());
  state_ = State::handshaking;
  framing_->start();
  uv_timer_start(&timer_, on_timer, milliseconds(options_.handshake_timeout), 0);
  const Status written = flush();
  if (!written) {
    fail_handshake(written.error());
    return;
  }
  // May report an end that came before reading, from inside: on_stream_end sees `handshaking`.
  stream_->start_reading(*this);
}

Status Connection::send(const Value& message) {
  switch (state_) {
    case State::open:
      break;
    case State::lost:
      return Error{transport_errc::not_open, "the connection to the router was lost"};
    case State::closing:
    case State::draining:
    case State::finishing:
    case State::closed:
      return Error{transport_errc::not_open, "the connection is closed"};
    default:
      return Error{transport_errc::not_open, "the connection is not open"};
  }
  std::vector<std::uint8_t> bytes;
  const Status encoded = serializer_->encode(message, bytes);
  if (!encoded) {
    return Error{encoded.error().code, "the message cannot be sent as " +
                                           std::string(serializer_->name()) + ": " +
                                           encoded.error().message};
  }
  const std::size_t limit = options_.max_outgoing_message_size;
  if (limit > 0 && bytes.size() > limit) {
    return Error{transport_errc::message_too_large,
                 "message of " + std::to_string(bytes.size()) + " octets exceeds the limit of " +
                     std::to_string(limit) + " octets set for outgoing messages"};
  }
  const Status framed = framing_->send_message(bytes.data(), bytes.size());
  if (!framed) return framed;
  const Status written = flush();
  note_send_pressure();
  return written;
}

std::size_t Connection::queued_bytes() const {
  return stream_ ? stream_->queued_bytes() : 0;
}

bool Connection::close(std::function<void()> on_closed) {
  switch (state_) {
    case State::idle:
    case State::closing:
    case State::draining:
    case State::finishing:
    case State::closed:
      return false;
    default:
      break;
  }
  on_closed_ = std::move(on_closed);
  on_connected_ = nullptr;
  close_deadline_ = uv_now(loop_) + milliseconds(options_.handshake_timeout);
  switch (state_) {
    case State::open:
      if (endpoint_.protocol == Endpoint::Protocol::websocket) {
        framing_->close(1000, "");
        if (flush()) {
          state_ = State::closing;
          uv_timer_start(&timer_, on_timer, milliseconds(options_.handshake_timeout), 0);
          return true;
        }
      }
      drain_then_finish();
      break;
    case State::handshaking:
    case State::lost:
      drain_then_finish();
      break;
    default:  // connecting, retrying, failing, failed: nothing is due for the router
      finish_close();
      break;
  }
  return true;
}

void Connection::on_stream_data(const std::uint8_t* data, std::size_t size) {
  if (state_ != State::handshaking && state_ != State::open && state_ != State::closing) return;
  // Any bytes from the router answer the ping that is out, not just its PONG.
  if (state_ == State::open && awaiting_answer_) on_router_alive();
  Status outcome = framing_->feed(data, size);
  handle_events();
  // What the input asked the framing to send: a PONG, the echo of a close frame, or the close
  // frame with which the framing fails the connection.
  const Status written = flush();
  if (outcome) outcome = written;
  if (outcome) return;
  switch (state_) {
    case State::handshaking:
      fail_handshake(outcome.error());
      break;
    case State::open:
      lose(outcome.error());
      break;
    case State::closing:
      drain_then_finish();
      break;
    default:
      break;
  }
}

void Connection::on_stream_end(const Error& why) {
  switch (state_) {
    case State::handshaking:
      fail_handshake(Error{why.code, "the connection ended during the " +
                                         std::string(protocol_name(endpoint_)) +
                                         " handshake: " + why.message});
      break;
    case State::open:
      lose(why);
      break;
    case State::closing:
    case State::draining:
      finish_close();  // nothing more will come, and nothing more can be written
      break;
    default:
      break;
  }
}

void Connection::on_stream_drained() {
  switch (state_) {
    case State::open:
      if (congested_) {
        congested_ = false;
        report_send_pressure();
      }
      break;
    case State::draining:
      finish_close();
      break;
    default:
      break;
  }
}

void Connection::handle_events() {
  // A callback may close the connection, which ends the delivery of events.
  while (state_ == State::handshaking || state_ == State::open || state_ == State::closing) {
    std::optional<FramingEvent> event = framing_->next_event();
    if (!event) return;
    switch (event->kind) {
      case FramingEvent::Kind::opened:
        if (state_ == State::handshaking) on_opened();
        break;
      case FramingEvent::Kind::message:
        if (state_ == State::open) on_message_frame(event->payload);
        break;
      case FramingEvent::Kind::closed:
        if (state_ == State::open) {
          lose(Error{transport_errc::connection_closed, close_text(*event)});
        } else if (state_ == State::closing) {
          drain_then_finish();
        }
        break;
      case FramingEvent::Kind::pong:
        break;  // its bytes already counted as the router's answer, in on_stream_data()
    }
  }
}

void Connection::on_opened() {
  uv_timer_stop(&timer_);
  if (endpoint_.protocol == Endpoint::Protocol::rawsocket) {
    serializer_ = options_.serializers[serializer_index_];
  } else {
    // HttpUpgrade accepts only a subprotocol that was offered, so one of ours matches.
    const std::string& chosen = static_cast<const WebSocketFraming&>(*framing_).subprotocol();
    for (const Serializer* serializer : options_.serializers) {
      if (serializer->websocket_subprotocol() == chosen) {
        serializer_ = serializer;
        break;
      }
    }
  }
  state_ = State::open;
  start_keepalive();
  ConnectCallback on_done = std::move(on_connected_);
  if (on_done) on_done(serializer_);
}

void Connection::start_keepalive() {
  const std::uint64_t interval = milliseconds(options_.keepalive_interval);
  if (interval == 0) return;
  if (endpoint_.protocol == Endpoint::Protocol::rawsocket && !options_.rawsocket_ping) return;
  uv_timer_start(&timer_, on_timer, interval, 0);
}

// Runs in `open` when a ping is due, or when the router's answer to the latest one is overdue.
void Connection::on_keepalive_timer() {
  if (awaiting_answer_) {
    std::string why = "the router did not answer a ping within " +
                      std::to_string(milliseconds(options_.keepalive_timeout)) + " ms";
    if (ping_unwritten_)
      why += " (the ping could not be written: " + ping_unwritten_->message + ")";
    lose(Error{transport_errc::keepalive_timeout, std::move(why)});
    return;
  }
  ++pings_;
  std::uint8_t payload[8];
  for (std::size_t i = 0; i < sizeof payload; ++i)
    payload[i] = static_cast<std::uint8_t>(pings_ >> (8 * (sizeof payload - 1 - i)));
  // Not fatal by itself: a stream that failed reports its end, and a router that reads nothing
  // we write (so that the write queue is full) sends nothing either, and times out below.
  Status sent = framing_->send_ping(payload, sizeof payload);
  if (sent) sent = flush();
  ping_unwritten_.reset();
  if (!sent) ping_unwritten_ = sent.error();
  ping_sent_at_ = uv_now(loop_);
  awaiting_answer_ = true;
  uv_timer_start(&timer_, on_timer, milliseconds(options_.keepalive_timeout), 0);
}

// Something came from the router while a ping was out: it is alive. The next ping is due an
// interval after the previous one went out, or now when that time has passed.
void Connection::on_router_alive() {
  awaiting_answer_ = false;
  const std::uint64_t next_ping = ping_sent_at_ + milliseconds(options_.keepalive_interval);
  const std::uint64_t now = uv_now(loop_);
  uv_timer_start(&timer_, on_timer, next_ping > now ? next_ping - now : 0, 0);
}

void Connection::on_message_frame(const std::vector<std::uint8_t>& payload) {
  Result<Value> decoded = serializer_->decode(payload.data(), payload.size());
  if (!decoded) {
    // For WebSocket, tell the router why before the link goes (1007: data the endpoint cannot
    // make sense of); RawSocket has no such frame.
    framing_->close(1007, "undecodable message");
    (void)flush();
    lose(Error{decoded.error().code, "the router sent a message that is not valid " +
                                         std::string(serializer_->name()) + ": " +
                                         decoded.error().message});
    return;
  }
  listener_.on_message(std::move(decoded.value()));
}

Status Connection::flush() {
  if (!stream_ || stream_closing_) return {};
  std::vector<std::uint8_t> output;
  if (!framing_->take_output(output)) return {};
  return stream_->write(std::move(output));
}

void Connection::fail_handshake(Error why) {
  uv_timer_stop(&timer_);
  const bool retry = endpoint_.protocol == Endpoint::Protocol::rawsocket &&
                     why.code == transport_errc::serializer_refused &&
                     serializer_index_ + 1 < options_.serializers.size();
  if (retry) {
    ++serializer_index_;
    state_ = State::retrying;
  } else {
    if (endpoint_.protocol == Endpoint::Protocol::rawsocket && serializer_index_ > 0) {
      why.message += " (after the router refused";
      for (std::size_t i = 0; i < serializer_index_; ++i) {
        why.message += (i == 0 ? " " : ", ") + std::string(options_.serializers[i]->name());
      }
      why.message += ")";
    }
    failure_ = std::move(why);
    state_ = State::failing;
  }
  stream_closing_ = true;
  stream_->close([this] { on_stream_closed(); });
}

void Connection::on_stream_closed() {
  stream_.reset();
  stream_closing_ = false;
  switch (state_) {
    case State::retrying:
      framing_ = make_framing();
      start_attempt();
      break;
    case State::failing: {
      state_ = State::failed;
      ConnectCallback on_done = std::move(on_connected_);
      if (on_done) on_done(std::move(*failure_));
      break;
    }
    case State::finishing:
      closed_one();
      break;
    default:
      break;
  }
}

void Connection::lose(Error why) {
  uv_timer_stop(&timer_);  // keepalive ends with the open connection
  state_ = State::lost;
  listener_.on_connection_lost(why);
}

// Called after each send(): a congestion begins when the queue goes over the high-water mark.
void Connection::note_send_pressure() {
  const std::size_t high_water = options_.write_queue_high_water;
  if (high_water == 0 || congested_ || queued_bytes() <= high_water) return;
  congested_ = true;
  uv_timer_start(&pressure_timer_, on_pressure_timer, 0, 0);  // not inside send()
}

// Tells the listener the state of the queue, if that is news and the connection is open.
void Connection::report_send_pressure() {
  if (state_ != State::open || reported_congested_ == congested_) return;
  reported_congested_ = congested_;
  listener_.on_send_pressure(congested_);
}

// Waits for on_stream_drained, or for close()'s deadline on `timer_`, whichever comes first.
void Connection::drain_then_finish() {
  const std::uint64_t now = uv_now(loop_);
  if (stream_ && !stream_closing_ && stream_->queued_bytes() > 0 && now < close_deadline_) {
    state_ = State::draining;
    uv_timer_start(&timer_, on_timer, close_deadline_ - now, 0);
    return;
  }
  finish_close();
}

void Connection::finish_close() {
  state_ = State::finishing;
  pending_closes_ = 0;
  if (connector_ && connector_->cancel([this] { closed_one(); })) ++pending_closes_;
  if (stream_) {
    // A stream already closing (for a retry or a failure) reports to on_stream_closed too.
    if (!stream_closing_) {
      stream_closing_ = true;
      stream_->close([this] { on_stream_closed(); });
    }
    ++pending_closes_;
  }
  pending_closes_ += 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_timer_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&pressure_timer_), on_timer_closed);
}

void Connection::closed_one() {
  if (--pending_closes_ > 0) return;
  state_ = State::closed;
  // The owner may destroy the connection from `on_closed`, so nothing touches it afterwards.
  std::function<void()> on_closed = std::move(on_closed_);
  if (on_closed) on_closed();
}

void Connection::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<Connection*>(timer->data);
  switch (self->state_) {
    case State::handshaking:
      self->fail_handshake(
          Error{transport_errc::handshake_timeout,
                "the router sent no complete " + std::string(protocol_name(self->endpoint_)) +
                    " handshake reply within " +
                    std::to_string(milliseconds(self->options_.handshake_timeout)) + " ms"});
      break;
    case State::open:
      self->on_keepalive_timer();
      break;
    case State::closing:  // the router's close frame did not come in time
      self->drain_then_finish();
      break;
    case State::draining:  // the queued bytes were not written in time
      self->finish_close();
      break;
    default:
      break;
  }
}

void Connection::on_timer_closed(uv_handle_t* handle) {
  static_cast<Connection*>(handle->data)->closed_one();
}

void Connection::on_pressure_timer(uv_timer_t* timer) {
  static_cast<Connection*>(timer->data)->report_send_pressure();
}

std::optional<std::vector<std::uint8_t>> Connection::tls_unique() const {
  if (state_ != State::open || !stream_) return std::nullopt;
  return stream_->tls_unique();
}

}  // namespace uvwamp
