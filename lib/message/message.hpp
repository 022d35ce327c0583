// Typed WAMP messages: one struct per message a client sends or receives, parsed from the
// Value array a Serializer decodes and built back into one.
//
// Shapes follow the WAMP spec (rfc/text/basic and advanced): ids are integers in [1, 2^53],
// URIs are strings, Details/Options/Extra are objects, Arguments an array and ArgumentsKw an
// object. Arguments and ArgumentsKw are optional on the wire; here an absent list is an empty
// one, and building omits them when both are empty (and writes an empty Arguments only when
// ArgumentsKw is not empty), as the spec asks.
//
// The shape of every message lives in one table in message.cpp; parse_message() checks a
// decoded Value against it. It never throws: an invalid message gives a protocol_errc error
// whose text names the message and the field ("CALL: Options must be an object, got string").
// Internal to the library (not installed).
#pragma once

#include <uvwamp/result.hpp>
#include <uvwamp/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace uvwamp {

enum class protocol_errc {
  invalid_message = 1,   // a message of a known type whose shape breaks the spec
  unknown_message_type,  // not an array starting with a message type a client knows
};

const std::error_category& protocol_category() noexcept;
std::error_code make_error_code(protocol_errc e) noexcept;

}  // namespace uvwamp

namespace std {
template <>
struct is_error_code_enum<uvwamp::protocol_errc> : true_type {};
}  // namespace std

namespace uvwamp::msg {

using Id = std::uint64_t;
constexpr Id max_id = Id{1} << 53;

enum class Type : std::uint8_t {
  hello = 1,
  welcome = 2,
  abort = 3,
  challenge = 4,
  authenticate = 5,
  goodbye = 6,
  error = 8,
  publish = 16,
  published = 17,
  subscribe = 32,
  subscribed = 33,
  unsubscribe = 34,
  unsubscribed = 35,
  event = 36,
  call = 48,
  cancel = 49,
  result = 50,
  register_ = 64,
  registered = 65,
  unregister = 66,
  unregistered = 67,
  invocation = 68,
  interrupt = 69,
  yield = 70,
};

// "HELLO", "CALL", ...; "UNKNOWN" for a value outside the enum.
std::string_view type_name(Type type) noexcept;

using Array = Value::Array;
using Object = Value::Object;

struct Hello {
  std::string realm;
  Object details;
};
struct Welcome {
  Id session = 0;
  Object details;
};
struct Abort {
  Object details;
  std::string reason;
};
struct Challenge {
  std::string auth_method;
  Object extra;
};
struct Authenticate {
  std::string signature;
  Object extra;
};
struct Goodbye {
  Object details;
  std::string reason;
};
struct Error {
  Type request_type =
      Type::call;  // SUBSCRIBE, UNSUBSCRIBE, PUBLISH, REGISTER, UNREGISTER, CALL or INVOCATION
  Id request = 0;
  Object details;
  std::string error;
  Array args;
  Object kwargs;
};
struct Publish {
  Id request = 0;
  Object options;
  std::string topic;
  Array args;
  Object kwargs;
};
struct Published {
  Id request = 0;
  Id publication = 0;
};
struct Subscribe {
  Id request = 0;
  Object options;
  std::string topic;
};
struct Subscribed {
  Id request = 0;
  Id subscription = 0;
};
struct Unsubscribe {
  Id request = 0;
  Id subscription = 0;
};
// A router that revokes a subscription sends request 0 with Details (Advanced Profile).
struct Unsubscribed {
  Id request = 0;
  Object details;
};
struct Event {
  Id subscription = 0;
  Id publication = 0;
  Object details;
  Array args;
  Object kwargs;
};
struct Call {
  Id request = 0;
  Object options;
  std::string procedure;
  Array args;
  Object kwargs;
};
struct Cancel {
  Id request = 0;
  Object options;
};
struct Result {
  Id request = 0;
  Object details;
  Array args;
  Object kwargs;
};
struct Register {
  Id request = 0;
  Object options;
  std::string procedure;
};
struct Registered {
  Id request = 0;
  Id registration = 0;
};
struct Unregister {
  Id request = 0;
  Id registration = 0;
};
// A router that revokes a registration sends request 0 with Details (Advanced Profile).
struct Unregistered {
  Id request = 0;
  Object details;
};
struct Invocation {
  Id request = 0;
  Id registration = 0;
  Object details;
  Array args;
  Object kwargs;
};
struct Interrupt {
  Id request = 0;
  Object options;
};
struct Yield {
  Id request = 0;
  Object options;
  Array args;
  Object kwargs;
};

using Message =
    std::variant<Hello, Welcome, Abort, Challenge, Authenticate, Goodbye, Error, Publish, Published,
                 Subscribe, Subscribed, Unsubscribe, Unsubscribed, Event, Call, Cancel, Result,
                 Register, Registered, Unregister, Unregistered, Invocation, Interrupt, Yield>;

Type type_of(const Message& message) noexcept;

// Takes the decoded array by value so that strings, arguments and details move into the message.
uvwamp::Result<Message> parse_message(Value value);

// The message as the array a Serializer encodes. Building trusts the fields (the session checks
// what users hand it); parse_message(build_message(m)) gives m back for every valid m.
Value build_message(const Message& message);

}  // namespace uvwamp::msg
