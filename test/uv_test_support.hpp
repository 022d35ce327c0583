// Shared by the tests of streams and TLS: a fixture that owns a uv loop, and a test-local server
// (TCP or a Unix socket) written against libuv directly, so it shares no code with what it tests.
//
// Every test ends with the loop closed: TearDown closes the servers, runs the loop out and
// requires uv_loop_close to return 0, so a handle left open fails the test that left it.
#pragma once

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "stream/connector.hpp"
#include "stream/stream.hpp"

namespace uvwamp::test {

// A server on the test's loop. Each accepted connection hands its bytes to `on_data`, which by
// default echoes them; `on_accept` runs first and may end the connection or hold its reads.
class TestServer {
 public:
  struct Connection {
    TestServer* server = nullptr;
    union {
      uv_tcp_t tcp;
      uv_pipe_t pipe;
    } handle;
    std::vector<std::uint8_t> received;
    bool reading = false;
    bool closed = false;
    void* user = nullptr;  // for a protocol layered on top (the TLS test server)

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle); }

    void write(std::vector<std::uint8_t> bytes) {
      if (closed || bytes.empty()) return;
      struct Request {
        uv_write_t req;
        std::vector<std::uint8_t> bytes;
      };
      auto* request = new Request{uv_write_t{}, std::move(bytes)};
      request->req.data = request;
      uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(request->bytes.data()),
                                 static_cast<unsigned>(request->bytes.size()));
      if (uv_write(&request->req, stream(), &buf, 1,
                   [](uv_write_t* req, int) { delete static_cast<Request*>(req->data); }) != 0) {
        delete request;
      }
    }

    void start_reading() {
      if (closed || reading) return;
      reading = true;
      uv_read_start(
          stream(),
          [](uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
            auto* self = static_cast<Connection*>(handle->data);
            *buf = uv_buf_init(self->server->read_buffer_, sizeof self->server->read_buffer_);
          },
          [](uv_stream_t* handle, ssize_t nread, const uv_buf_t* buf) {
            auto* self = static_cast<Connection*>(handle->data);
            if (nread > 0) {
              const auto* data = reinterpret_cast<const std::uint8_t*>(buf->base);
              self->received.insert(self->received.end(), data, data + nread);
              self->server->on_data(*self, data, static_cast<std::size_t>(nread));
            } else if (nread < 0) {
              self->close();
            }
          });
    }

    // Leaves what the client sends in the kernel's buffers, which fill up, until start_reading().
    void stop_reading() {
      if (closed || !reading) return;
      reading = false;
      uv_read_stop(stream());
    }

    void close() {
      if (closed) return;
      closed = true;
      uv_close(reinterpret_cast<uv_handle_t*>(&handle), nullptr);
    }
  };

  explicit TestServer(uv_loop_t* loop) : loop_(loop) {
    on_accept = [](Connection& connection) { connection.start_reading(); };
    on_data = [](Connection& connection, const std::uint8_t* data, std::size_t size) {
      connection.write(std::vector<std::uint8_t>(data, data + size));
    };
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Listens on `ip` port 0 (the kernel picks it); a failed uv status otherwise.
  int listen_tcp(const char* ip) {
    struct sockaddr_storage address;
    std::memset(&address, 0, sizeof address);
    int status = std::strchr(ip, ':')
                     ? uv_ip6_addr(ip, 0, reinterpret_cast<struct sockaddr_in6*>(&address))
                     : uv_ip4_addr(ip, 0, reinterpret_cast<struct sockaddr_in*>(&address));
    if (status != 0) return status;
    kind_ = Kind::tcp;
    uv_tcp_init(loop_, &listener_.tcp);
    open_ = true;
    listener_.tcp.data = this;
    status = uv_tcp_bind(&listener_.tcp, reinterpret_cast<const struct sockaddr*>(&address), 0);
    if (status == 0) status = uv_listen(listener(), 128, on_connection);
    if (status != 0) return status;
    struct sockaddr_storage bound;
    int length = sizeof bound;
    uv_tcp_getsockname(&listener_.tcp, reinterpret_cast<struct sockaddr*>(&bound), &length);
    port_ = ntohs(bound.ss_family == AF_INET6
                      ? reinterpret_cast<struct sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<struct sockaddr_in*>(&bound)->sin_port);
    return 0;
  }

  int listen_pipe(const std::string& path) {
    kind_ = Kind::pipe;
    uv_pipe_init(loop_, &listener_.pipe, 0);
    open_ = true;
    listener_.pipe.data = this;
    int status = uv_pipe_bind(&listener_.pipe, path.c_str());
    if (status == 0) status = uv_listen(listener(), 128, on_connection);
    return status;
  }

  std::uint16_t port() const { return port_; }
  std::list<Connection>& connections() { return connections_; }
  std::size_t accepted() const { return connections_.size(); }

  void close() {
    for (Connection& connection : connections_)
      connection.close();
    if (open_) uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    open_ = false;
  }

  std::function<void(Connection&)> on_accept;
  std::function<void(Connection&, const std::uint8_t*, std::size_t)> on_data;

 private:
  enum class Kind { tcp, pipe };

  uv_stream_t* listener() { return reinterpret_cast<uv_stream_t*>(&listener_); }

  static void on_connection(uv_stream_t* listener, int status) {
    auto* self = static_cast<TestServer*>(listener->data);
    if (status != 0) return;
    Connection& connection = self->connections_.emplace_back();
    connection.server = self;
    if (self->kind_ == Kind::tcp) {
      uv_tcp_init(self->loop_, &connection.handle.tcp);
    } else {
      uv_pipe_init(self->loop_, &connection.handle.pipe, 0);
    }
    connection.handle.tcp.data = &connection;
    if (uv_accept(listener, connection.stream()) != 0) {
      connection.close();
      return;
    }
    self->on_accept(connection);
  }

  uv_loop_t* loop_;
  Kind kind_ = Kind::tcp;
  union {
    uv_tcp_t tcp;
    uv_pipe_t pipe;
  } listener_;
  bool open_ = false;
  std::uint16_t port_ = 0;
  std::list<Connection> connections_;  // a list: the handles inside must not move
  char read_buffer_[64 * 1024];
};

// Records what a stream reports.
struct RecordingListener : Stream::Listener {
  void on_stream_data(const std::uint8_t* bytes, std::size_t size) override {
    data.insert(data.end(), bytes, bytes + size);
    ++data_calls;
    if (after_data) after_data();
  }
  void on_stream_end(const Error& why) override {
    ++ends;
    end = why;
  }
  void on_stream_drained() override {
    ++drained;
    if (after_drained) after_drained();
  }

  std::vector<std::uint8_t> data;
  int data_calls = 0;
  int ends = 0;
  Error end;
  int drained = 0;
  std::function<void()> after_drained;
  std::function<void()> after_data;
};

// For its lifetime SIGPIPE has its default action, ending the process, and is not blocked on
// this thread, whatever the test runner inherited: a write that raises it kills the test. Only
// the test touches the disposition; uvwamp must never need to.
class DefaultSigpipe {
 public:
  DefaultSigpipe() {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    sigaction(SIGPIPE, &action, &saved_action_);
    sigset_t sigpipe;
    sigemptyset(&sigpipe);
    sigaddset(&sigpipe, SIGPIPE);
    pthread_sigmask(SIG_UNBLOCK, &sigpipe, &saved_mask_);
  }
  ~DefaultSigpipe() {
    sigaction(SIGPIPE, &saved_action_, nullptr);
    pthread_sigmask(SIG_SETMASK, &saved_mask_, nullptr);
  }
  DefaultSigpipe(const DefaultSigpipe&) = delete;
  DefaultSigpipe& operator=(const DefaultSigpipe&) = delete;

 private:
  struct sigaction saved_action_;
  sigset_t saved_mask_;
};

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

class LoopTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    for (auto& server : servers_)
      server->close();
    run_until([] { return false; }, std::chrono::milliseconds(0), /*drain=*/true);
    const int status = uv_loop_close(&loop_);
    EXPECT_EQ(status, 0) << "the test left uv handles or requests open";
    if (status != 0) {
      uv_walk(
          &loop_,
          [](uv_handle_t* handle, void*) {
            ADD_FAILURE() << "open handle: " << uv_handle_type_name(handle->type);
            if (!uv_is_closing(handle)) uv_close(handle, nullptr);
          },
          nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      uv_loop_close(&loop_);
    }
    servers_.clear();
  }

  TestServer& add_server() {
    servers_.push_back(std::make_unique<TestServer>(&loop_));
    return *servers_.back();
  }

  // Runs the loop until `done()` holds; false when it does not within `limit`. With `drain`, runs
  // until the loop has nothing left to do instead (bounded by 10 s).
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::seconds(10), bool drain = false) {
    struct Watch {
      uv_timer_t timer;
      uv_prepare_t prepare;  // stops the loop before it waits for I/O once `done` holds
      const std::function<bool()>* done;
      bool fired = false;
    } watch;
    watch.done = &done;
    uv_timer_init(&loop_, &watch.timer);
    watch.timer.data = &watch;
    const auto timeout = drain ? std::chrono::milliseconds(10'000) : limit;
    // The loop's clock stands still while the test works between runs: `limit` counts from now.
    uv_update_time(&loop_);
    // The timer may come due at the start of an iteration, which would then still wait for I/O
    // or the next timer: uv_stop makes that wait return at once.
    uv_timer_start(
        &watch.timer,
        [](uv_timer_t* timer) {
          static_cast<Watch*>(timer->data)->fired = true;
          uv_stop(timer->loop);
        },
        static_cast<std::uint64_t>(timeout.count()), 0);
    uv_prepare_init(&loop_, &watch.prepare);
    watch.prepare.data = &watch;
    if (drain) {
      uv_unref(reinterpret_cast<uv_handle_t*>(&watch.timer));
      while (!watch.fired && uv_run(&loop_, UV_RUN_ONCE) != 0) {
      }
      EXPECT_FALSE(watch.fired) << "the loop still had work after 10 s";
    } else {
      uv_prepare_start(&watch.prepare, [](uv_prepare_t* prepare) {
        auto* watch = static_cast<Watch*>(prepare->data);
        if ((*watch->done)()) uv_stop(prepare->loop);
      });
      while (!done() && !watch.fired)
        uv_run(&loop_, UV_RUN_ONCE);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&watch.timer), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&watch.prepare), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return drain || done();
  }

  // Starts `connector` and runs the loop until its callback ran; checks that it never ran inside
  // start().
  Result<std::unique_ptr<Stream>> connect(Connector& connector) {
    std::optional<Result<std::unique_ptr<Stream>>> result;
    connector.start([&](Result<std::unique_ptr<Stream>> r) { result.emplace(std::move(r)); });
    EXPECT_FALSE(result.has_value()) << "the connector called back inside start()";
    if (!run_until([&] { return result.has_value(); })) {
      return Error{transport_errc::timed_out, "the connector did not call back in 10 s"};
    }
    return std::move(*result);
  }

  // Closes `stream`, expects `on_closed` once, then destroys the stream from inside it.
  void close_and_destroy(std::unique_ptr<Stream>& stream) {
    int closed = 0;
    stream->close([&] {
      ++closed;
      stream.reset();
    });
    EXPECT_EQ(closed, 0) << "on_closed ran inside close()";
    EXPECT_TRUE(run_until([&] { return closed > 0; }));
    EXPECT_EQ(closed, 1);
  }

  uv_loop_t loop_;
  std::vector<std::unique_ptr<TestServer>> servers_;
};

}  // namespace uvwamp::test
