// libFuzzer target for the WebSocket client engine. The first octet picks the mode: with bit 0
// clear the router accepts the upgrade (a valid 101 for the fixed key, choosing wamp.2.json or,
// with bit 1 set, wamp.2.cbor) and the rest of the input is its frames; with bit 0 set the rest
// is the router's raw HTTP response. The second octet is how many octets each feed() gets
// (1..256). Besides not crashing, the engine must keep its promises: no message over the limit,
// nothing after a failure or a close, and an output that is the request followed by whole,
// masked client frames of the types it may send.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "framing/websocket.hpp"

namespace {

constexpr std::size_t kMaxMessage = 1 << 16;

// Walks the frames after the request; aborts unless each is a final, masked text or binary frame
// (whichever `text` says), PONG or close with its whole payload present.
void check_frames(const std::vector<std::uint8_t>& output, std::size_t at, bool text) {
  while (at < output.size()) {
    if (output.size() - at < 2) std::abort();
    const std::uint8_t first = output[at];
    const std::uint8_t data_opcode = text ? 0x81 : 0x82;
    if (first != data_opcode && first != 0x88 && first != 0x8a) std::abort();
    if ((output[at + 1] & 0x80) == 0) std::abort();
    std::uint64_t length = output[at + 1] & 0x7f;
    at += 2;
    const std::size_t length_size = length == 126 ? 2 : length == 127 ? 8 : 0;
    if (output.size() - at < length_size) std::abort();
    if (length_size > 0) {
      length = 0;
      for (std::size_t i = 0; i < length_size; ++i)
        length = length << 8 | output[at + i];
    }
    if (first != data_opcode && length > 125) std::abort();
    at += length_size + 4;
    if (at > output.size() || output.size() - at < length) std::abort();
    at += length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool raw_response = data[0] & 1;
  const bool cbor = data[0] & 2;
  const std::size_t chunk = std::size_t{data[1]} + 1;
  data += 2;
  size -= 2;

  uvwamp::WebSocketOptions options;
  options.host = "router.example";
  options.path = "/ws";
  options.subprotocols = {{"wamp.2.json", true}, {"wamp.2.cbor", false}};
  options.max_message_size = kMaxMessage;
  const std::string nonce = "the sample nonce";
  std::copy(nonce.begin(), nonce.end(), options.key_nonce.begin());
  options.mask_source = [](std::uint8_t* buffer, std::size_t length) {
    for (std::size_t i = 0; i < length; ++i)
      buffer[i] = static_cast<std::uint8_t>(0xa5 ^ i);
  };
  uvwamp::WebSocketFraming framing(options);
  framing.start();
  std::vector<std::uint8_t> output;
  framing.take_output(output);
  const std::size_t request_size = output.size();

  std::vector<std::uint8_t> input;
  if (!raw_response) {
    const std::string response =
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
        "Sec-WebSocket-Protocol: " +
        std::string(cbor ? "wamp.2.cbor" : "wamp.2.json") + "\r\n\r\n";
    input.assign(response.begin(), response.end());
  }
  input.insert(input.end(), data, data + size);

  bool opened = false;
  bool finished = false;
  bool failed = false;
  for (std::size_t at = 0; at < input.size(); at += chunk) {
    const std::size_t length = std::min(chunk, input.size() - at);
    const uvwamp::Status status = framing.feed(input.data() + at, length);
    while (auto event = framing.next_event()) {
      if (failed || finished) std::abort();
      switch (event->kind) {
        case uvwamp::FramingEvent::Kind::opened:
          if (opened) std::abort();
          opened = true;
          break;
        case uvwamp::FramingEvent::Kind::message:
          if (!opened || event->payload.size() > kMaxMessage) std::abort();
          break;
        case uvwamp::FramingEvent::Kind::closed:
          if (!opened) std::abort();
          finished = true;
          break;
        case uvwamp::FramingEvent::Kind::pong:
          if (!opened || event->payload.size() > 125) std::abort();
          break;
      }
    }
    if (!status.ok()) {
      if (status.error().message.empty()) std::abort();
      failed = true;
    } else if (failed) {
      std::abort();  // a failure is final
    }
    framing.take_output(output);
    if (failed) break;
  }

  // Sending works only while open, and a failed engine writes nothing more; either way the
  // output stays well-formed.
  const std::size_t output_before = output.size();
  const std::uint8_t message[] = {'[', '1', ']'};
  const bool sent = framing.send_message(message, sizeof message).ok();
  if (sent != (opened && !finished && !failed)) std::abort();
  framing.close(1000, "bye");
  framing.take_output(output);
  if (failed && output.size() != output_before) std::abort();
  if (opened) {
    check_frames(output, request_size, framing.subprotocol() == "wamp.2.json");
  } else if (output.size() != request_size) {
    std::abort();
  }
  return 0;
}
