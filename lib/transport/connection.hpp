// Connection: one framed WAMP transport to a router on the caller's uv loop, the layer the
// session sits on. connect() turns an endpoint into a stream (TCP, TLS over TCP, or a Unix
// socket), runs the framing's opening handshake (RawSocket or WebSocket) and settles on a
// serializer. From then on send() serializes a Value and frames it, and every message from the
// router is decoded and handed to the Listener as a Value.
//
// Serializers are offered in the order of ConnectionOptions::serializers. WebSocket offers them
// all at once and the router picks one. RawSocket can ask for only one per connection: the first
// is asked for, and when the router refuses it as unsupported the next is asked for on a new
// connection, and so on.
//
// Threading: every call and callback happens on the loop's thread. The connection starts no
// thread and never blocks the loop.
//
// Callbacks never run inside the call that leads to them (connect(), send(), close()), and each
// may call back into the connection (send(), close()):
// - connect()'s callback runs exactly once, unless close() comes first: with the serializer the
//   router accepted, or with the Error that ended the attempt. Listener calls begin after it
//   reported success.
// - Listener::on_message runs for each message, in order; Listener::on_connection_lost at most
//   once, when the open connection ends without close(); no message follows it.
// - Listener::on_send_pressure tells an open connection's sender to hold back and to go on (see
//   ConnectionOptions::write_queue_high_water).
// - After close() was called, neither connect()'s callback nor a Listener method runs again.
//
// Lifetime (the Stream rule): once connect() has returned success the connection holds uv
// handles, so it must be closed with close(), whatever happened since (a failed connect, a lost
// connection), and may be destroyed only from close()'s callback on. A connection whose connect()
// was never called, or returned an error, may be destroyed at once. The Listener must outlive
// the close.
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/serializer.hpp>
#include <uvwamp/transport_error.hpp>
#include <uvwamp/value.hpp>

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "framing/framing.hpp"
#include "framing/http_upgrade.hpp"
#include "stream/connector.hpp"
#include "stream/stream.hpp"
#include "tls/tls_engine.hpp"
#include "transport/endpoint.hpp"

namespace uvwamp {

struct ConnectionOptions {
  // Most wanted first; at least one, none null. Each must have a RawSocket id in 1..15 and a
  // WebSocket subprotocol, as the three that uvwamp ships do. Default: cbor, msgpack, json.
  std::vector<const Serializer*> serializers = {&cbor_serializer(), &msgpack_serializer(),
                                                &json_serializer()};
  // For wss:// and rss:// (in a build with TLS). The certificate must be valid for
  // `tls.server_name`, or when that is empty for the endpoint's host; it is verified against the
  // system's CAs unless `tls.ca_file` or `tls.ca_directory` names others.
  TlsOptions tls;
  // How long each address of the host may take to accept the TCP connection. Default 10 s.
  std::chrono::milliseconds connect_timeout{10'000};
  // TCP keepalive's idle time (see TcpConnectOptions); zero for none. Default none.
  std::chrono::seconds tcp_keepalive{0};
  // How long each handshake may take: TLS, then the framing's opening handshake (a router that
  // sends no complete reply in time gives handshake_timeout), and the WebSocket closing
  // handshake that close() waits for. Default 10 s.
  std::chrono::milliseconds handshake_timeout{10'000};
  // The longest message accepted from the router; a longer one ends the connection with
  // message_too_large. WebSocket holds the router to it exactly. RawSocket can only announce a
  // power of two from 512 bytes to 16 MiB, so it announces the smallest one not below this
  // (16 MiB for anything larger) and holds the router to that. Default 16 MiB.
  std::size_t max_message_size = std::size_t{16} << 20;
  // The longest message send() passes to the router; a longer one fails with message_too_large
  // and the connection goes on. RawSocket routers announce their own limit, which applies as
  // well; a WebSocket router cannot say, and typically ends the connection (status 1009) on a
  // message over the limit it was configured with: set this to that limit to refuse such a
  // message before it goes out. Zero for none. Default none.
  std::size_t max_outgoing_message_size = 0;
  // The most bytes that may wait to be written; a send() that would go over it fails with
  // write_queue_full. Default 16 MiB.
  std::size_t write_queue_limit = std::size_t{16} << 20;
  // Backpressure, before write_queue_limit is reached: when a send() leaves more than this many
  // bytes waiting to be written (queued_bytes()), Listener::on_send_pressure(true) follows, and
  // on_send_pressure(false) once the queue is empty again -- everything handed to the kernel,
  // whose socket buffer then still keeps the link busy while the sender resumes. At most
  // write_queue_limit; zero for none. Default 1 MiB.
  std::size_t write_queue_high_water = std::size_t{1} << 20;
  // Dead-router detection while the connection is open: a ping every keepalive_interval (a
  // RawSocket PING, a WebSocket ping frame), whose payload is its number (8 octets, big-endian,
  // from 1). Once one is out, anything the router sends counts as its answer: the PONG, or any
  // other bytes, since a router busy sending may answer late but is alive. When nothing comes
  // within keepalive_timeout the connection is lost with keepalive_timeout. So a router that
  // falls silent is found out within keepalive_interval + keepalive_timeout. One ping is out at
  // a time: the next is due keepalive_interval after the previous one, or at its answer if that
  // comes later. A ping that cannot be written (the write queue is full) is skipped, but the
  // wait for the router's answer runs all the same. Zero for none. Default none.
  std::chrono::milliseconds keepalive_interval{0};
  // How long the router may take to answer a ping; positive when keepalive_interval is.
  // Default 10 s.
  std::chrono::milliseconds keepalive_timeout{10'000};
  // Keepalive over RawSocket too, with PING frames. Off by default: Crossbar (autobahn-python's
  // RawSocket, which reads the frame type as part of the length) drops the connection at the
  // first PING; nexus answers it. WebSocket pings need no such care.
  bool rawsocket_ping = false;
  // More headers for the WebSocket upgrade request (an Origin, a cookie); they may not repeat
  // the handshake's own headers.
  std::vector<HttpHeader> websocket_headers;
};

class Connection final : private Stream::Listener {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // One message from the router.
    virtual void on_message(Value message) = 0;
    // The open connection ended without close(): the router closed it (connection_closed; for
    // WebSocket the message quotes its close status and reason), the stream failed, the router
    // broke the framing (protocol_violation, message_too_large) or sent a message its
    // serializer cannot decode (a codec_errc), or it did not answer a ping in time
    // (keepalive_timeout). The owner should close() the connection.
    virtual void on_connection_lost(const Error& why) = 0;
    // The write queue went over write_queue_high_water (`congested`: send less, or nothing, for
    // now) or has emptied since (send freely again). The calls alternate, starting with true.
    // Never called inside send(), but on a later turn of the loop: a congestion that ended before
    // then is not reported at all. Only while open: after close() or on_connection_lost no
    // call comes, even to end a congestion.
    virtual void on_send_pressure(bool /*congested*/) {}
  };

  // `serializer` is never null.
  using ConnectCallback = std::function<void(Result<const Serializer*> serializer)>;

  // Throws std::invalid_argument for options that break the rules above, a zero
  // max_message_size or write_queue_limit, a write_queue_high_water over write_queue_limit, or a
  // keepalive_interval without a positive keepalive_timeout.
  Connection(uv_loop_t* loop, Listener& listener, ConnectionOptions options = {});
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting. Fails, and never calls back, with invalid_url for a URL parse_endpoint()
  // refuses, an Endpoint with neither host and port nor Unix path, TLS over a Unix socket, or
  // TLS in a build without it; and with connect_failed when libsodium (the WebSocket key's
  // randomness) cannot start. Throws std::logic_error when connect() already succeeded once,
  // and std::invalid_argument when the WebSocket request cannot be written (see HttpUpgrade: an
  // Endpoint filled in by hand, or bad websocket_headers).
  Status connect(std::string_view url, ConnectCallback on_done);
  Status connect(const Endpoint& endpoint, ConnectCallback on_done);

  // Serializes `message` with the negotiated serializer and queues it for the router. Fails,
  // changing nothing, with not_open unless the connection is open (connected, not lost, not
  // closing), with the serializer's codec_errc when the message cannot be written in it, with
  // message_too_large over max_outgoing_message_size or the router's limit (RawSocket), or with
  // write_queue_full.
  Status send(const Value& message);

  // The bytes of messages (framed, and for TLS encrypted) that wait to be handed to the kernel;
  // zero without a stream.
  std::size_t queued_bytes() const;

  // Ends the connection. A connect under way is canceled. An open WebSocket connection sends a
  // close frame (1000) and waits up to handshake_timeout for the router's; then, within the same
  // bound, the bytes already queued are written out (the stream reports when they are) before the
  // stream closes. `on_closed` runs on the loop once every uv handle is closed. False, and
  // `on_closed` never runs, when there is nothing to close: before a successful connect(), or
  // after an earlier close().
  bool close(std::function<void()> on_closed);

  // The TLS channel binding of an open connection over TLS (Stream::tls_unique); nullopt
  // otherwise.
  std::optional<std::vector<std::uint8_t>> tls_unique() const;

 private:
  enum class State {
    idle,         // before connect()
    connecting,   // `connector_` is at work
    handshaking,  // the stream is up; the framing's opening handshake is under way
    retrying,     // the stream is closing, to ask for the next serializer on a new one
    failing,      // the stream is closing; then connect()'s callback reports `failure_`
    failed,       // connect()'s callback reported a failure
    open,
    lost,       // the open connection ended; waiting for close()
    closing,    // close() waits for the router's WebSocket close frame
    draining,   // close() waits for the queued bytes to be written, or for its deadline
    finishing,  // close(): the uv handles are closing
    closed,
  };

  std::unique_ptr<Framing> make_framing();
  void start_attempt();
  void on_connected(Result<std::unique_ptr<Stream>> connected);
  void on_stream_data(const std::uint8_t* data, std::size_t size) override;
  void on_stream_end(const Error& why) override;
  void on_stream_drained() override;
  void handle_events();
  void on_opened();
  void on_message_frame(const std::vector<std::uint8_t>& payload);
  Status flush();
  void fail_handshake(Error why);
  void on_stream_closed();
  void lose(Error why);
  void start_keepalive();
  void on_keepalive_timer();
  void on_router_alive();
  void note_send_pressure();
  void report_send_pressure();
  void drain_then_finish();
  void finish_close();
  void closed_one();

  static void on_timer(uv_timer_t* timer);
  static void on_timer_closed(uv_handle_t* handle);
  static void on_pressure_timer(uv_timer_t* timer);

  uv_loop_t* loop_;
  Listener& listener_;
  ConnectionOptions options_;
  State state_ = State::idle;
  Endpoint endpoint_;
  ConnectCallback on_connected_;
  std::function<void()> on_closed_;

  // The connector of the latest attempt; kept after its callback, when it holds no handle.
  std::unique_ptr<Connector> connector_;
  std::unique_ptr<Stream> stream_;
  bool stream_closing_ = false;
  std::unique_ptr<Framing> framing_;
  std::size_t serializer_index_ = 0;        // RawSocket: the serializer this attempt asks for
  const Serializer* serializer_ = nullptr;  // the negotiated one, once open
  std::optional<Error> failure_;

  // The handshake timeout, keepalive while open, then close()'s bounded waits. It exists from
  // connect() to close(); on_timer() tells what it was for by `state_`.
  uv_timer_t timer_;
  // Keepalive: the number of the latest ping, when it went out, and whether the router has sent
  // nothing since (then `timer_` runs to its deadline, otherwise to the next ping). When the
  // ping could not be written, why.
  std::uint64_t pings_ = 0;
  std::uint64_t ping_sent_at_ = 0;  // in uv_now() milliseconds
  bool awaiting_answer_ = false;
  std::optional<Error> ping_unwritten_;
  std::uint64_t close_deadline_ = 0;  // in uv_now() milliseconds
  int pending_closes_ = 0;

  // Backpressure: whether the write queue is congested, and what the listener was last told.
  // `pressure_timer_` (which exists as long as `timer_`) reports a congestion after send()
  // returned; its end is reported from on_stream_drained, which is never inside send().
  bool congested_ = false;
  bool reported_congested_ = false;
  uv_timer_t pressure_timer_;
};

}  // namespace uvwamp
