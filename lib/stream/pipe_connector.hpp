// PipeConnector: connects to a Unix domain socket by its path.
//
// A path that does not fit a socket address (107 bytes on Linux) fails with connect_failed
// rather than being cut short, which would name another socket.
#pragma once

#include "stream/connector.hpp"
#include "stream/uv_stream.hpp"

#include <uv.h>

#include <memory>
#include <optional>
#include <string>

namespace uvwamp {

class PipeConnector final : public Connector {
 public:
  PipeConnector(uv_loop_t* loop, std::string path, UvStreamOptions options = {});
  PipeConnector(const PipeConnector&) = delete;
  PipeConnector& operator=(const PipeConnector&) = delete;

  void start(Callback on_done) override;
  bool cancel(std::function<void()> on_canceled) override;

 private:
  enum class Phase { idle, connecting, closing, done };

  static void on_connected(uv_connect_t* req, int status);

  // Reports `error_` (or the cancel) once the stream has closed, which also keeps the report
  // out of start().
  void close_stream();

  uv_loop_t* loop_;
  std::string path_;
  UvStreamOptions options_;
  Phase phase_ = Phase::idle;
  Callback on_done_;
  std::function<void()> on_canceled_;
  bool canceled_ = false;
  uv_connect_t connect_req_;
  std::unique_ptr<UvStream> stream_;
  std::optional<Error> error_;
};

}  // namespace uvwamp
