// TcpConnector: resolves a host name and connects to the first of its addresses that accepts.
//
// The name is resolved with getaddrinfo (on libuv's thread pool) for IPv4 and IPv6 alike; then
// every address is tried in the order the resolver gave, each for at most `connect_timeout`.
// The stream it gives has TCP_NODELAY set, since WAMP messages are small and latency-bound, and
// TCP keepalive when the options ask for it.
//
// Errors: resolve_failed when the name does not resolve; otherwise, when no address accepts,
// timed_out if every address timed out and connect_failed if not. The message names each
// address tried and what went wrong with it.
//
// Resolving is not bounded by the timeout: a getaddrinfo call cannot be interrupted, so a slow
// resolver is cut short only by cancel(), whose `on_canceled` then waits for the call to return.
#pragma once

#include "stream/connector.hpp"
#include "stream/uv_stream.hpp"

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace uvwamp {

struct TcpConnectOptions {
  // How long each address may take to accept the connection. Default 10 s.
  std::chrono::milliseconds connect_timeout{10'000};
  // TCP keepalive: the kernel probes a connection idle this long, so that a peer gone without a
  // word (a host powered off, a cable cut) ends it. Whole seconds; zero leaves it off. Default
  // off.
  std::chrono::seconds keepalive{0};
  UvStreamOptions stream;
};

class TcpConnector final : public Connector {
 public:
  TcpConnector(uv_loop_t* loop, std::string host, std::uint16_t port,
               TcpConnectOptions options = {});
  TcpConnector(const TcpConnector&) = delete;
  TcpConnector& operator=(const TcpConnector&) = delete;

  void start(Callback on_done) override;
  bool cancel(std::function<void()> on_canceled) override;

 private:
  enum class Phase {
    idle,             // before start()
    resolving,        // getaddrinfo is under way
    connecting,       // `attempt_` is connecting and the timer runs
    closing_attempt,  // `attempt_` failed (or was canceled) and is closing
    finishing,        // the timer is closing; then the callback (or on_canceled) runs
    done,
  };

  static void on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* addresses);
  static void on_connected(uv_connect_t* req, int status);
  static void on_timeout(uv_timer_t* timer);
  static void on_timer_closed(uv_handle_t* handle);

  void try_next_address();
  void record_failure(const std::string& why, bool timed_out);
  void close_attempt();
  void finish();
  std::string address_text(std::size_t index) const;

  uv_loop_t* loop_;
  std::string host_;
  std::uint16_t port_;
  TcpConnectOptions options_;
  Phase phase_ = Phase::idle;
  Callback on_done_;
  std::function<void()> on_canceled_;
  bool canceled_ = false;

  uv_getaddrinfo_t resolve_req_;
  uv_connect_t connect_req_;
  uv_timer_t timer_;
  std::vector<struct sockaddr_storage> addresses_;
  std::size_t next_address_ = 0;
  std::unique_ptr<UvStream> attempt_;  // when `finishing`, the connected stream to hand over

  std::optional<Error> error_;  // when `finishing` without a stream
  std::string failures_;        // "127.0.0.1:80 (ECONNREFUSED (connection refused)), ..."
  bool only_timeouts_ = true;
};

}  // namespace uvwamp
