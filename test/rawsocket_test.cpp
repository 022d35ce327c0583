#include "framing/rawsocket.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "util/hex.hpp"

// The engine's promises about memory (one reservation per frame, none for a frame it refuses)
// are made inside std::vector, where only the global operator new can see them. The deletes stay
// out of line so that GCC does not pair an inlined free() with operator new and warn.
namespace {
std::atomic<std::size_t> allocation_count{0};
std::atomic<std::size_t> largest_allocation{0};
}  // namespace

void* operator new(std::size_t size) {
  ++allocation_count;
  std::size_t largest = largest_allocation.load();
  while (size > largest && !largest_allocation.compare_exchange_weak(largest, size)) {
  }
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept {
  std::free(memory);
}
[[gnu::noinline]] void operator delete(void* memory, std::size_t) noexcept {
  std::free(memory);
}

namespace uvwamp {
namespace {

constexpr std::size_t k16M = std::size_t{1} << 24;

// Counts the allocations made while it lives.
class AllocationProbe {
 public:
  AllocationProbe() {
    allocation_count = 0;
    largest_allocation = 0;
  }
  std::size_t count() const { return allocation_count; }
  std::size_t largest() const { return largest_allocation; }
};

std::vector<std::uint8_t> bytes(std::string_view hex_text) {
  return hex::decode(hex_text).value();
}

std::string hex_of(const std::vector<std::uint8_t>& data) {
  return hex::encode(data.data(), data.size());
}

RawSocketOptions json_options(std::size_t max_receive_length = k16M) {
  RawSocketOptions options;
  options.serializer_id = 1;
  options.max_receive_length = max_receive_length;
  return options;
}

std::string describe(const FramingEvent& event) {
  switch (event.kind) {
    case FramingEvent::Kind::opened:
      return "opened";
    case FramingEvent::Kind::message:
      return "message " + hex_of(event.payload);
    case FramingEvent::Kind::closed:
      return "closed";
    case FramingEvent::Kind::pong:
      return "pong " + hex_of(event.payload);
  }
  return "?";
}

std::vector<std::string> drain_events(Framing& framing) {
  std::vector<std::string> events;
  while (auto event = framing.next_event())
    events.push_back(describe(*event));
  return events;
}

// Starts the engine, discards its handshake and feeds the router's reply, which must open it.
void open(RawSocketFraming& framing, std::string_view reply_hex = "7f f1 00 00") {
  framing.start();
  std::vector<std::uint8_t> handshake;
  ASSERT_TRUE(framing.take_output(handshake));
  const std::vector<std::uint8_t> reply = bytes(reply_hex);
  ASSERT_TRUE(framing.feed(reply.data(), reply.size()));
  ASSERT_EQ(drain_events(framing), std::vector<std::string>{"opened"});
}

// What an engine made of the router's bytes arriving in the given reads: the events, the bytes
// written after the handshake, and the error that stopped it.
struct Outcome {
  std::vector<std::string> events;
  std::string output;
  std::error_code error;
  std::string error_message;
};

Outcome run(const RawSocketOptions& options, const std::vector<std::vector<std::uint8_t>>& reads) {
  RawSocketFraming framing(options);
  framing.start();
  std::vector<std::uint8_t> handshake;
  EXPECT_TRUE(framing.take_output(handshake));
  Outcome result;
  std::vector<std::uint8_t> output;
  for (const std::vector<std::uint8_t>& read : reads) {
    Status status = framing.feed(read.data(), read.size());
    for (std::string& event : drain_events(framing))
      result.events.push_back(std::move(event));
    framing.take_output(output);
    if (!status) {
      result.error = status.error().code;
      result.error_message = status.error().message;
      break;
    }
  }
  result.output = hex_of(output);
  return result;
}

// The script in one read, one octet per read, and split in two at every offset.
std::vector<std::vector<std::vector<std::uint8_t>>> every_split(
    const std::vector<std::uint8_t>& script) {
  std::vector<std::vector<std::vector<std::uint8_t>>> splits;
  splits.push_back({script});
  std::vector<std::vector<std::uint8_t>> octets;
  for (std::uint8_t octet : script)
    octets.push_back({octet});
  splits.push_back(octets);
  for (std::size_t at = 0; at <= script.size(); ++at) {
    splits.push_back({std::vector<std::uint8_t>(script.begin(), script.begin() + at),
                      std::vector<std::uint8_t>(script.begin() + at, script.end())});
  }
  return splits;
}

// Runs the script at every split; each must give the run of the script in one read, which is
// returned for the caller to check against what the script should do.
Outcome run_at_every_split(const RawSocketOptions& options,
                           const std::vector<std::uint8_t>& script) {
  const Outcome whole = run(options, {script});
  std::size_t split_index = 0;
  for (const auto& reads : every_split(script)) {
    SCOPED_TRACE("split " + std::to_string(split_index++) + " into " +
                 std::to_string(reads.size()) + " reads");
    const Outcome split = run(options, reads);
    EXPECT_EQ(split.events, whole.events);
    EXPECT_EQ(split.output, whole.output);
    EXPECT_EQ(split.error, whole.error);
    EXPECT_EQ(split.error_message, whole.error_message);
  }
  return whole;
}

TEST(TransportError, EveryCodeHasItsOwnMessageInTheTransportCategory) {
  EXPECT_STREQ(transport_category().name(), "uvwamp.transport");
  std::set<std::string> messages;
  for (int code = static_cast<int>(transport_errc::handshake_refused);
       code <= static_cast<int>(transport_errc::keepalive_timeout); ++code) {
    const std::error_code error = make_error_code(static_cast<transport_errc>(code));
    EXPECT_EQ(&error.category(), &transport_category());
    EXPECT_EQ(error.value(), code);
    messages.insert(error.message());
  }
  EXPECT_EQ(messages.size(), 16u);
  EXPECT_EQ(messages.count(std::error_code(0, transport_category()).message()), 0u);
  const std::error_code implicit = transport_errc::not_open;
  EXPECT_EQ(implicit, make_error_code(transport_errc::not_open));
}

TEST(RawSocketHandshake, CarriesTheSerializerAndTheRoundedReceiveLimit) {
  struct Case {
    std::uint8_t serializer_id;
    std::size_t max_receive_length;
    const char* handshake;
  };
  const Case cases[] = {
      // magic, LLLL SSSS, two reserved octets
      {1, k16M, "7f f1 0000"},                        // JSON, 2^24
      {2, 512, "7f 02 0000"},                         // MessagePack, 2^9
      {3, 1000, "7f 13 0000"},                        // CBOR, 1000 rounds up to 2^10
      {3, 1024, "7f 13 0000"},                        // CBOR, 2^10 exactly
      {1, 0, "7f 01 0000"},                           // nothing below 2^9
      {2, (std::size_t{1} << 20) + 1, "7f c2 0000"},  // just over 2^20 rounds up to 2^21
      {3, k16M - 1, "7f f3 0000"},                    // 2^24
      {1, std::size_t{1} << 30, "7f f1 0000"},        // nothing above 2^24
      {15, std::size_t{1} << 16, "7f 7f 0000"},       // the highest serializer id, 2^16
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.handshake);
    RawSocketOptions options;
    options.serializer_id = c.serializer_id;
    options.max_receive_length = c.max_receive_length;
    RawSocketFraming framing(options);
    EXPECT_FALSE(framing.want_write());
    framing.start();
    EXPECT_TRUE(framing.want_write());
    std::vector<std::uint8_t> output;
    EXPECT_TRUE(framing.take_output(output));
    EXPECT_EQ(output, bytes(c.handshake));
    EXPECT_FALSE(framing.want_write());
    EXPECT_FALSE(framing.next_event());
  }
}

TEST(RawSocketHandshake, RejectsASerializerIdTheHandshakeCannotCarry) {
  RawSocketOptions options;
  options.serializer_id = 0;
  EXPECT_THROW(RawSocketFraming{options}, std::invalid_argument);
  options.serializer_id = 16;
  EXPECT_THROW(RawSocketFraming{options}, std::invalid_argument);
}

TEST(RawSocketFraming, GivesTheSameEventsAndOutputAtEverySplit) {
  const std::vector<std::uint8_t> script = bytes(
      "7f f1 0000"        // reply: JSON, the router takes up to 2^24
      "00 000003 616263"  // message "abc"
      "01 000002 cafe"    // PING cafe
      "02 000001 ff"      // PONG ff
      "01 000000"         // PING without payload
      "00 000000"         // message without payload
      "02 000000"         // PONG without payload
      "00 000002 5b5d");  // message "[]"
  const Outcome result = run_at_every_split(json_options(), script);
  EXPECT_EQ(result.events, (std::vector<std::string>{"opened", "message 616263", "pong ff",
                                                     "message ", "pong ", "message 5b5d"}));
  EXPECT_EQ(result.output,
            "02000002cafe"  // PONG cafe
            "02000000");    // PONG without payload
  EXPECT_FALSE(result.error);
}

TEST(RawSocketFraming, KeepsTheEventsBeforeAFailureAtEverySplit) {
  const std::vector<std::uint8_t> script = bytes(
      "7f f1 0000"      // reply
      "01 000001 aa"    // PING aa
      "00 000001 31"    // message "1"
      "03 000001 00"    // reserved type 3
      "00 000001 32");  // message "2", never read
  const Outcome result = run_at_every_split(json_options(), script);
  EXPECT_EQ(result.events, (std::vector<std::string>{"opened", "message 31"}));
  EXPECT_EQ(result.output, "02000001aa");
  EXPECT_EQ(result.error, transport_errc::protocol_violation);
}

TEST(RawSocketFraming, AnswersAPingWithAnExactPong) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> ping = bytes("01 000004 deadbeef");
  ASSERT_TRUE(framing.feed(ping.data(), ping.size()));
  EXPECT_FALSE(framing.next_event());
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("02 000004 deadbeef"));  // PONG, same payload

  const std::vector<std::uint8_t> empty_ping = bytes("01 000000");
  ASSERT_TRUE(framing.feed(empty_ping.data(), empty_ping.size()));
  output.clear();
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("02 000000"));  // PONG without payload
}

TEST(RawSocketFraming, KeepsAPongWholeWhenAMessageIsSentWhileItsPingArrives) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> ping_start = bytes("01 000004 dead");
  const std::vector<std::uint8_t> ping_end = bytes("beef");
  const std::vector<std::uint8_t> message = bytes("5b5d");
  ASSERT_TRUE(framing.feed(ping_start.data(), ping_start.size()));
  ASSERT_TRUE(framing.send_message(message.data(), message.size()));
  ASSERT_TRUE(framing.feed(ping_end.data(), ping_end.size()));
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("00 000002 5b5d"         // the message
                          "02 000004 deadbeef"));  // then the PONG
}

TEST(RawSocketFraming, ReportsAPongWithItsPayloadAndSendsNothing) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> pong = bytes("02 000008 0000000000000001");
  EXPECT_TRUE(framing.feed(pong.data(), pong.size()));
  auto event = framing.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->kind, FramingEvent::Kind::pong);
  EXPECT_EQ(event->payload, bytes("0000000000000001"));
  EXPECT_FALSE(framing.next_event());
  EXPECT_FALSE(framing.want_write());
}

TEST(RawSocketFraming, FramesAPingForTheRouter) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> payload = bytes("0000000000000007");
  ASSERT_TRUE(framing.send_ping(payload.data(), payload.size()));
  ASSERT_TRUE(framing.send_ping(nullptr, 0));
  EXPECT_FALSE(framing.next_event());
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("01 000008 0000000000000007"  // PING, 8 octets
                          "01 000000"));                // PING, empty
}

TEST(RawSocketFraming, RefusesAPingWhenNotOpenOrOverTheRoutersLimit) {
  const std::vector<std::uint8_t> payload(513, 0x55);
  RawSocketFraming framing(json_options());
  framing.start();
  std::vector<std::uint8_t> handshake;
  ASSERT_TRUE(framing.take_output(handshake));
  const Status early = framing.send_ping(payload.data(), 8);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, transport_errc::not_open);

  const std::vector<std::uint8_t> reply = bytes("7f 01 0000");  // the router takes 512 octets
  ASSERT_TRUE(framing.feed(reply.data(), reply.size()));
  const Status too_large = framing.send_ping(payload.data(), payload.size());
  ASSERT_FALSE(too_large);
  EXPECT_EQ(too_large.error().code, transport_errc::message_too_large);
  EXPECT_EQ(too_large.error().message,
            "ping of 513 octets exceeds the router's limit of 512 octets");
  EXPECT_FALSE(framing.want_write());
  EXPECT_TRUE(framing.send_ping(payload.data(), 512));

  framing.close(1000, "");
  const Status late = framing.send_ping(payload.data(), 8);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, transport_errc::not_open);
}

TEST(RawSocketFraming, FramesAMessageForTheRouter) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> message = bytes("5b 31 5d");  // [1]
  ASSERT_TRUE(framing.send_message(message.data(), message.size()));
  ASSERT_TRUE(framing.send_message(nullptr, 0));
  EXPECT_TRUE(framing.want_write());
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("00 000003 5b315d"  // regular message, 3 octets
                          "00 000000"));      // regular message, empty
}

TEST(RawSocketFraming, TakeOutputAppendsAndEmptiesTheQueue) {
  RawSocketFraming framing(json_options());
  framing.start();
  std::vector<std::uint8_t> output = bytes("aabb");
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("aabb 7ff10000"));
  EXPECT_FALSE(framing.want_write());
  EXPECT_FALSE(framing.take_output(output));
  EXPECT_EQ(output, bytes("aabb 7ff10000"));
}

TEST(RawSocketFraming, HoldsMessagesToTheLimitInTheRoutersReply) {
  struct Case {
    const char* reply;
    std::size_t router_limit;
  };
  for (const Case& c : {Case{"7f 01 0000", 512}, Case{"7f 11 0000", 1024},
                        Case{"7f 81 0000", std::size_t{1} << 17}, Case{"7f f1 0000", k16M}}) {
    SCOPED_TRACE(c.reply);
    RawSocketFraming framing(json_options());
    open(framing, c.reply);
    const std::vector<std::uint8_t> message(c.router_limit + 1, 'x');
    const Status too_large = framing.send_message(message.data(), message.size());
    ASSERT_FALSE(too_large);
    EXPECT_EQ(too_large.error().code, transport_errc::message_too_large);
    EXPECT_EQ(too_large.error().message, "message of " + std::to_string(c.router_limit + 1) +
                                             " octets exceeds the router's limit of " +
                                             std::to_string(c.router_limit) + " octets");
    EXPECT_FALSE(framing.want_write());
    EXPECT_TRUE(framing.send_message(message.data(), c.router_limit));
    std::vector<std::uint8_t> output;
    EXPECT_TRUE(framing.take_output(output));
    EXPECT_EQ(output.size(), 4 + c.router_limit);
  }
}

TEST(RawSocketFraming, SendsSixteenMebibytesWithTheExtraLengthBit) {
  RawSocketFraming framing(json_options());
  open(framing, "7f f1 0000");
  const std::vector<std::uint8_t> message(k16M, 'x');
  std::vector<std::uint8_t> output;

  ASSERT_TRUE(framing.send_message(message.data(), k16M - 1));
  ASSERT_TRUE(framing.take_output(output));
  EXPECT_EQ(std::vector<std::uint8_t>(output.begin(), output.begin() + 4),
            bytes("00 ffffff"));  // X clear, 2^24 - 1
  EXPECT_EQ(output.size(), 4 + k16M - 1);

  output.clear();
  ASSERT_TRUE(framing.send_message(message.data(), k16M));
  ASSERT_TRUE(framing.take_output(output));
  EXPECT_EQ(std::vector<std::uint8_t>(output.begin(), output.begin() + 4),
            bytes("08 000000"));  // X set, the 24 bits clear: 2^24
  EXPECT_EQ(output.size(), 4 + k16M);
}

TEST(RawSocketFraming, ReceivesSixteenMebibytesWithTheExtraLengthBit) {
  RawSocketFraming framing(json_options(k16M));
  open(framing);
  const std::vector<std::uint8_t> prefix = bytes("08 000000");  // X set: 2^24
  std::vector<std::uint8_t> payload(k16M, 'y');
  payload.back() = 'z';
  AllocationProbe probe;
  ASSERT_TRUE(framing.feed(prefix.data(), prefix.size()));
  ASSERT_TRUE(framing.feed(payload.data(), payload.size()));
  EXPECT_EQ(probe.largest(), k16M);  // the payload, reserved once
  auto event = framing.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->kind, FramingEvent::Kind::message);
  EXPECT_EQ(event->payload, payload);
}

TEST(RawSocketFraming, RefusesSixteenMebibytesOverTheLimitWithoutAllocatingThem) {
  RawSocketFraming framing(json_options(std::size_t{1} << 23));
  open(framing);
  const std::vector<std::uint8_t> prefix = bytes("08 000000");  // X set: 2^24
  AllocationProbe probe;
  const Status status = framing.feed(prefix.data(), prefix.size());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, transport_errc::message_too_large);
  EXPECT_EQ(status.error().message,
            "RawSocket frame of 16777216 octets exceeds the limit of 8388608 octets the client "
            "announced");
  EXPECT_LT(probe.largest(), 4096u);
}

TEST(RawSocketFraming, RefusesTheExtraLengthBitWithOtherLengthBits) {
  const Outcome result = run_at_every_split(json_options(), bytes("7f f1 0000  08 000001 00"));
  EXPECT_EQ(result.events, std::vector<std::string>{"opened"});
  EXPECT_EQ(result.error, transport_errc::protocol_violation);
  EXPECT_EQ(result.error_message,
            "RawSocket frame sets the 25th length bit together with other length bits");
}

TEST(RawSocketFraming, RefusesAFrameOverTheAnnouncedLimitFromItsPrefix) {
  // message, PING, PONG, 2^24-1
  for (const char* prefix : {"00 000201", "01 000201", "02 000201", "00 ffffff"}) {
    SCOPED_TRACE(prefix);
    RawSocketFraming framing(json_options(512));
    open(framing);
    const std::vector<std::uint8_t> header = bytes(prefix);
    AllocationProbe probe;
    const Status status = framing.feed(header.data(), header.size());
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, transport_errc::message_too_large);
    EXPECT_LT(probe.largest(), 512u);
    EXPECT_FALSE(framing.next_event());
    EXPECT_FALSE(framing.want_write());
  }
}

TEST(RawSocketFraming, ReceivesAMessageOfExactlyTheAnnouncedLimit) {
  RawSocketFraming framing(json_options(512));
  open(framing);
  std::vector<std::uint8_t> frame = bytes("00 000200");
  frame.resize(4 + 512, 'x');
  ASSERT_TRUE(framing.feed(frame.data(), frame.size()));
  auto event = framing.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->payload.size(), 512u);
}

TEST(RawSocketFraming, ReservesOnceWhenFedOneOctetAtATime) {
  RawSocketFraming framing(json_options());
  open(framing);
  std::vector<std::uint8_t> frame = bytes("00 0003e8");  // 1000 octets
  frame.resize(4 + 1000, 'x');
  AllocationProbe probe;
  for (std::uint8_t octet : frame)
    ASSERT_TRUE(framing.feed(&octet, 1));
  // One for the payload; the event queue may take a block or two of its own.
  EXPECT_LE(probe.count(), 3u);
  EXPECT_EQ(probe.largest(), 1000u);
  auto event = framing.next_event();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->payload, std::vector<std::uint8_t>(frame.begin() + 4, frame.end()));
}

TEST(RawSocketFraming, RefusesReservedBitsInAFramePrefix) {
  for (const char* frame : {"10 000000", "20 000000", "40 000000", "80 000000", "f0 000000"}) {
    SCOPED_TRACE(frame);
    const Outcome result =
        run_at_every_split(json_options(), bytes("7f f1 0000" + std::string(frame)));
    EXPECT_EQ(result.events, std::vector<std::string>{"opened"});
    EXPECT_EQ(result.error, transport_errc::protocol_violation);
    EXPECT_EQ(result.error_message, "RawSocket frame prefix starts with 0x" +
                                        std::string(frame, 2) + ", which sets reserved bits");
  }
}

TEST(RawSocketFraming, RefusesReservedFrameTypes) {
  for (int type = 3; type <= 7; ++type) {
    SCOPED_TRACE(type);
    std::vector<std::uint8_t> script = bytes("7f f1 0000  00 000001 00");
    script[4] = static_cast<std::uint8_t>(type);
    const Outcome result = run_at_every_split(json_options(), script);
    EXPECT_EQ(result.events, std::vector<std::string>{"opened"});
    EXPECT_EQ(result.error, transport_errc::protocol_violation);
    EXPECT_EQ(result.error_message,
              "RawSocket frame has the reserved type " + std::to_string(type));
  }
}

TEST(RawSocketHandshake, RefusesAReplyWithoutTheMagicOctet) {
  const Outcome result =
      run_at_every_split(json_options(), bytes("48545450 2f312e31"));  // HTTP/1.1
  EXPECT_TRUE(result.events.empty());
  EXPECT_EQ(result.error, transport_errc::bad_handshake);
  EXPECT_EQ(result.error_message,
            "RawSocket handshake reply starts with 0x48, not the magic octet 0x7f");
}

TEST(RawSocketHandshake, ReportsEachErrorCodeOfARefusal) {
  const char* const reasons[] = {
      "unknown error 0",
      "serializer unsupported",
      "maximum message length unacceptable",
      "use of reserved bits (unsupported feature)",
      "maximum connection count reached",
  };
  for (unsigned code = 0; code < 16; ++code) {
    SCOPED_TRACE(code);
    // magic, EEEE 0000, two reserved octets, then a frame that must not be read
    std::vector<std::uint8_t> script = bytes("7f 00 0000  00 000001 31");
    script[1] = static_cast<std::uint8_t>(code << 4);
    const Outcome result = run_at_every_split(json_options(), script);
    EXPECT_TRUE(result.events.empty());
    EXPECT_EQ(result.error,
              code == 1 ? transport_errc::serializer_refused : transport_errc::handshake_refused);
    const std::string reason = code < 5 ? reasons[code] : "unknown error " + std::to_string(code);
    EXPECT_EQ(result.error_message, "the router refused the RawSocket handshake: " + reason);
  }
}

TEST(RawSocketHandshake, RefusesAReplyNamingAnotherSerializer) {
  const Outcome result = run_at_every_split(json_options(), bytes("7f f2 0000"));  // MessagePack
  EXPECT_TRUE(result.events.empty());
  EXPECT_EQ(result.error, transport_errc::bad_handshake);
  EXPECT_EQ(result.error_message,
            "RawSocket handshake reply names serializer 2, but the client asked for 1");
}

TEST(RawSocketHandshake, RefusesAReplyWithReservedOctetsSet) {
  for (const char* reply : {"7f f1 0001", "7f f1 8000", "7f 10 0100"}) {
    SCOPED_TRACE(reply);
    const Outcome result = run_at_every_split(json_options(), bytes(reply));
    EXPECT_TRUE(result.events.empty());
    EXPECT_EQ(result.error, transport_errc::bad_handshake);
  }
  const Outcome result = run(json_options(), {bytes("7f f1 0001")});
  EXPECT_EQ(result.error_message,
            "RawSocket handshake reply has reserved octets 0x00 0x01, which must be zero");
}

TEST(RawSocketFraming, KeepsFailingAfterAnError) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> bad = bytes("07 000000");
  const Status first = framing.feed(bad.data(), bad.size());
  ASSERT_FALSE(first);
  const std::vector<std::uint8_t> good = bytes("00 000001 31  01 000000");
  const Status again = framing.feed(good.data(), good.size());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, first.error().code);
  EXPECT_EQ(again.error().message, first.error().message);
  EXPECT_FALSE(framing.feed(nullptr, 0));
  EXPECT_FALSE(framing.next_event());
  EXPECT_FALSE(framing.want_write());
  const Status send = framing.send_message(good.data(), 1);
  ASSERT_FALSE(send);
  EXPECT_EQ(send.error().code, transport_errc::not_open);
  EXPECT_FALSE(framing.want_write());
}

TEST(RawSocketFraming, RefusesToSendBeforeTheHandshakeCompleted) {
  RawSocketFraming framing(json_options());
  framing.start();
  std::vector<std::uint8_t> handshake;
  ASSERT_TRUE(framing.take_output(handshake));
  const std::vector<std::uint8_t> message = bytes("5b5d");
  const Status status = framing.send_message(message.data(), message.size());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, transport_errc::not_open);
  EXPECT_EQ(status.error().message, "cannot send before the RawSocket handshake completed");
  EXPECT_FALSE(framing.want_write());

  const std::vector<std::uint8_t> half_reply = bytes("7f f1");
  ASSERT_TRUE(framing.feed(half_reply.data(), half_reply.size()));
  EXPECT_FALSE(framing.next_event());
  EXPECT_FALSE(framing.send_message(message.data(), message.size()));
  EXPECT_FALSE(framing.want_write());
}

TEST(RawSocketFraming, RefusesToSendAndIgnoresInputAfterClose) {
  RawSocketFraming framing(json_options());
  open(framing);
  const std::vector<std::uint8_t> message = bytes("5b5d");
  ASSERT_TRUE(framing.send_message(message.data(), message.size()));
  framing.close(1000, "bye");
  const Status status = framing.send_message(message.data(), message.size());
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, transport_errc::not_open);
  EXPECT_EQ(status.error().message, "cannot send after the RawSocket link was closed");

  const std::vector<std::uint8_t> input = bytes("00 000001 31  01 000001 aa");
  EXPECT_TRUE(framing.feed(input.data(), input.size()));
  EXPECT_FALSE(framing.next_event());
  std::vector<std::uint8_t> output;
  EXPECT_TRUE(framing.take_output(output));
  EXPECT_EQ(output, bytes("00 000002 5b5d"));  // what was sent before close(), and no PONG
}

}  // namespace
}  // namespace uvwamp
