// libFuzzer target for the RawSocket client engine. The first octet picks the options the way
// the handshake carries them (high nibble: receive-length exponent above 2^9, low nibble:
// serializer id, 0 meaning 1), the second how many octets each feed() gets (1..256); the rest
// is the router's handshake reply and frames. Besides not crashing, the engine must keep its
// promises: no message over the announced limit, nothing after a failure, and an output that
// is the handshake followed by whole, well-formed frames. Run it with -malloc_limit_mb=17 to
// hold every allocation to the 2^24 limit plus a PONG prefix.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "framing/rawsocket.hpp"

namespace {

// Walks the frames after the 4-octet handshake; aborts unless each is a message or a PONG with
// its whole payload present.
void check_frames(const std::vector<std::uint8_t>& output) {
  std::size_t at = 4;
  while (at < output.size()) {
    if (output.size() - at < 4) std::abort();
    const std::uint8_t first = output[at];
    if (first != 0x00 && first != 0x02 && first != 0x08 && first != 0x0a) std::abort();
    std::size_t length =
        std::size_t{output[at + 1]} << 16 | std::size_t{output[at + 2]} << 8 | output[at + 3];
    if (first & 0x08) {
      if (length != 0) std::abort();
      length = std::size_t{1} << 24;
    }
    at += 4;
    if (output.size() - at < length) std::abort();
    at += length;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  uvwamp::RawSocketOptions options;
  options.serializer_id = (data[0] & 0x0f) == 0 ? 1 : data[0] & 0x0f;
  options.max_receive_length = std::size_t{1} << (9 + (data[0] >> 4));
  const std::size_t chunk = std::size_t{data[1]} + 1;

  uvwamp::RawSocketFraming framing(options);
  framing.start();
  std::vector<std::uint8_t> output;
  if (!framing.take_output(output) || output.size() != 4) std::abort();

  const std::uint8_t message[] = {'[', '1', ']'};
  for (std::size_t at = 2; at < size;) {
    const std::size_t take = std::min(chunk, size - at);
    const uvwamp::Status status = framing.feed(data + at, take);
    at += take;
    while (auto event = framing.next_event()) {
      if ((event->kind == uvwamp::FramingEvent::Kind::message ||
           event->kind == uvwamp::FramingEvent::Kind::pong) &&
          event->payload.size() > options.max_receive_length) {
        std::abort();
      }
      // A failure later in the same input has ended the link by now.
      if (event->kind == uvwamp::FramingEvent::Kind::opened &&
          framing.send_message(message, sizeof message).ok() != status.ok()) {
        std::abort();
      }
    }
    framing.take_output(output);
    if (!status) {
      if (framing.feed(data, size) || framing.next_event() || framing.want_write()) std::abort();
      if (framing.send_message(message, sizeof message)) std::abort();
      break;
    }
  }
  check_frames(output);
  return 0;
}
