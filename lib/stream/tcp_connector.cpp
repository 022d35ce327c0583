#include "stream/tcp_connector.hpp"

#include <cstring>
#include <utility>

#include "stream/uv_error.hpp"

namespace uvwamp {

TcpConnector::TcpConnector(uv_loop_t* loop, std::string host, std::uint16_t port,
                           TcpConnectOptions options)
    : loop_(loop), host_(std::move(host)), port_(port), options_(options) {}

void TcpConnector::start(Callback on_done) {
  if (phase_ != Phase::idle) return;
  on_done_ = std::move(on_done);
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  resolve_req_.data = this;
  connect_req_.data = this;
  phase_ = Phase::resolving;

  struct addrinfo hints;
  std::memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port_);
  const int status =
      uv_getaddrinfo(loop_, &resolve_req_, on_resolved, host_.c_str(), service.c_str(), &hints);
  if (status < 0) {
    error_ = Error{transport_errc::resolve_failed,
                   "could not resolve \"" + host_ + "\": " + uv_error_text(status)};
    finish();
  }
}

bool TcpConnector::cancel(std::function<void()> on_canceled) {
  if (phase_ == Phase::idle || phase_ == Phase::done || canceled_) return false;
  canceled_ = true;
  on_canceled_ = std::move(on_canceled);
  on_done_ = nullptr;
  switch (phase_) {
    case Phase::resolving:
      // A lookup already running on the thread pool cannot be stopped; on_resolved then comes
      // when it returns, and sees `canceled_`.
      uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_req_));
      break;
    case Phase::connecting:
      uv_timer_stop(&timer_);
      close_attempt();
      break;
    case Phase::closing_attempt:
    case Phase::finishing:
      // The close under way sees `canceled_` when it completes.
    case Phase::idle:
    case Phase::done:
      break;
  }
  return true;
}

void TcpConnector::on_resolved(uv_getaddrinfo_t* req, int status, struct addrinfo* addresses) {
  auto* self = static_cast<TcpConnector*>(req->data);
  if (self->canceled_) {
    uv_freeaddrinfo(addresses);
    self->finish();
    return;
  }
  if (status < 0) {
    self->error_ = Error{transport_errc::resolve_failed,
                         "could not resolve \"" + self->host_ + "\": " + uv_error_text(status)};
    self->finish();
    return;
  }
  for (const struct addrinfo* address = addresses; address; address = address->ai_next) {
    if (address->ai_family != AF_INET && address->ai_family != AF_INET6) continue;
    struct sockaddr_storage storage;
    std::memset(&storage, 0, sizeof storage);
    std::memcpy(&storage, address->ai_addr, address->ai_addrlen);
    self->addresses_.push_back(storage);
  }
  uv_freeaddrinfo(addresses);
  if (self->addresses_.empty()) {
    self->error_ = Error{transport_errc::resolve_failed,
                         "\"" + self->host_ + "\" has no IPv4 or IPv6 address"};
    self->finish();
    return;
  }
  self->try_next_address();
}

void TcpConnector::try_next_address() {
  if (next_address_ == addresses_.size()) {
    error_ = Error{only_timeouts_ ? transport_errc::timed_out : transport_errc::connect_failed,
                   "could not connect to \"" + host_ + "\" port " + std::to_string(port_) +
                       ", tried " + failures_};
    finish();
    return;
  }
  const std::size_t index = next_address_++;
  attempt_ = UvStream::create(loop_, UvStream::Kind::tcp, options_.stream);
  const int status =
      uv_tcp_connect(&connect_req_, reinterpret_cast<uv_tcp_t*>(attempt_->handle()),
                     reinterpret_cast<const struct sockaddr*>(&addresses_[index]), on_connected);
  if (status < 0) {
    // For instance an IPv6 address on a machine without IPv6.
    record_failure(uv_error_text(status), false);
    close_attempt();
    return;
  }
  phase_ = Phase::connecting;
  uv_timer_start(&timer_, on_timeout, static_cast<std::uint64_t>(options_.connect_timeout.count()),
                 0);
}

void TcpConnector::on_connected(uv_connect_t* req, int status) {
  auto* self = static_cast<TcpConnector*>(req->data);
  // Otherwise the attempt timed out or was canceled, and this is its UV_ECANCELED.
  if (self->phase_ != Phase::connecting) return;
  uv_timer_stop(&self->timer_);
  if (status < 0) {
    self->record_failure(uv_error_text(status), false);
    self->close_attempt();
    return;
  }
  // Without TCP_NODELAY or keepalive the connection still works: keep it either way.
  auto* tcp = reinterpret_cast<uv_tcp_t*>(self->attempt_->handle());
  uv_tcp_nodelay(tcp, 1);
  const auto keepalive = self->options_.keepalive.count();
  if (keepalive > 0) uv_tcp_keepalive(tcp, 1, static_cast<unsigned>(keepalive));
  self->finish();
}

void TcpConnector::on_timeout(uv_timer_t* timer) {
  auto* self = static_cast<TcpConnector*>(timer->data);
  self->record_failure(
      "timed out after " + std::to_string(self->options_.connect_timeout.count()) + " ms", true);
  self->close_attempt();
}

void TcpConnector::record_failure(const std::string& why, bool timed_out) {
  only_timeouts_ = only_timeouts_ && timed_out;
  if (!failures_.empty()) failures_ += "; ";
  failures_ += address_text(next_address_ - 1) + ": " + why;
}

void TcpConnector::close_attempt() {
  phase_ = Phase::closing_attempt;
  attempt_->close([this] {
    attempt_.reset();
    if (canceled_) {
      finish();
    } else {
      try_next_address();
    }
  });
}

void TcpConnector::finish() {
  phase_ = Phase::finishing;
  uv_timer_stop(&timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_timer_closed);
}

void TcpConnector::on_timer_closed(uv_handle_t* handle) {
  auto* self = static_cast<TcpConnector*>(handle->data);
  // From here on the owner may destroy the connector inside the callback it is given.
  if (self->canceled_) {
    if (self->attempt_) {
      // Canceled after connecting: the stream nobody will take must be closed first.
      self->attempt_->close([self] {
        self->attempt_.reset();
        self->phase_ = Phase::done;
        std::function<void()> on_canceled = std::move(self->on_canceled_);
        on_canceled();
      });
      return;
    }
    self->phase_ = Phase::done;
    std::function<void()> on_canceled = std::move(self->on_canceled_);
    on_canceled();
    return;
  }
  self->phase_ = Phase::done;
  Callback on_done = std::move(self->on_done_);
  if (self->attempt_) {
    on_done(std::unique_ptr<Stream>(std::move(self->attempt_)));
  } else {
    on_done(std::move(*self->error_));
  }
}

std::string TcpConnector::address_text(std::size_t index) const {
  const struct sockaddr_storage& address = addresses_[index];
  char ip[INET6_ADDRSTRLEN] = "";
  const std::string port = std::to_string(port_);
  if (address.ss_family == AF_INET6) {
    uv_ip6_name(reinterpret_cast<const struct sockaddr_in6*>(&address), ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + port;
  }
  uv_ip4_name(reinterpret_cast<const struct sockaddr_in*>(&address), ip, sizeof ip);
  return std::string(ip) + ":" + port;
}

}  // namespace uvwamp
