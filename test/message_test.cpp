#include "message/message.hpp"

#include <uvwamp/serializer.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace uvwamp {

void PrintTo(const Value& value, std::ostream* out) {
  *out << value.debug_string();
}

}  // namespace uvwamp

namespace uvwamp::msg {

// Field-by-field equality, so that a round trip is compared with what went in rather than with
// another output of the code under test.
auto fields(const Hello& m) {
  return std::tie(m.realm, m.details);
}
auto fields(const Welcome& m) {
  return std::tie(m.session, m.details);
}
auto fields(const Abort& m) {
  return std::tie(m.details, m.reason);
}
auto fields(const Challenge& m) {
  return std::tie(m.auth_method, m.extra);
}
auto fields(const Authenticate& m) {
  return std::tie(m.signature, m.extra);
}
auto fields(const Goodbye& m) {
  return std::tie(m.details, m.reason);
}
auto fields(const Error& m) {
  return std::tie(m.request_type, m.request, m.details, m.error, m.args, m.kwargs);
}
auto fields(const Publish& m) {
  return std::tie(m.request, m.options, m.topic, m.args, m.kwargs);
}
auto fields(const Published& m) {
  return std::tie(m.request, m.publication);
}
auto fields(const Subscribe& m) {
  return std::tie(m.request, m.options, m.topic);
}
auto fields(const Subscribed& m) {
  return std::tie(m.request, m.subscription);
}
auto fields(const Unsubscribe& m) {
  return std::tie(m.request, m.subscription);
}
auto fields(const Unsubscribed& m) {
  return std::tie(m.request, m.details);
}
auto fields(const Event& m) {
  return std::tie(m.subscription, m.publication, m.details, m.args, m.kwargs);
}
auto fields(const Call& m) {
  return std::tie(m.request, m.options, m.procedure, m.args, m.kwargs);
}
auto fields(const Cancel& m) {
  return std::tie(m.request, m.options);
}
auto fields(const Result& m) {
  return std::tie(m.request, m.details, m.args, m.kwargs);
}
auto fields(const Register& m) {
  return std::tie(m.request, m.options, m.procedure);
}
auto fields(const Registered& m) {
  return std::tie(m.request, m.registration);
}
auto fields(const Unregister& m) {
  return std::tie(m.request, m.registration);
}
auto fields(const Unregistered& m) {
  return std::tie(m.request, m.details);
}
auto fields(const Invocation& m) {
  return std::tie(m.request, m.registration, m.details, m.args, m.kwargs);
}
auto fields(const Interrupt& m) {
  return std::tie(m.request, m.options);
}
auto fields(const Yield& m) {
  return std::tie(m.request, m.options, m.args, m.kwargs);
}

template <class M, class = decltype(fields(std::declval<const M&>()))>
bool operator==(const M& a, const M& b) {
  return fields(a) == fields(b);
}

void PrintTo(const Message& message, std::ostream* out) {
  *out << build_message(message).debug_string();
}

namespace {

using Binary = Value::Binary;

// A message and the array the spec says it is on the wire, written out by hand.
struct Case {
  std::string name;
  Message message;
  Value wire;
};

// The payload variants of the messages that carry Arguments and ArgumentsKw, with the elements
// the spec puts after the fixed part of the message.
struct Payload {
  std::string name;
  Array args;
  Object kwargs;
  Array wire_tail;
};

std::vector<Payload> payloads() {
  const Array args{1, "grüße", 2.5, true, nullptr, -7};
  const Object kwargs{{"a", 1}, {"nested", Object{{"list", Array{1, 2}}}}};
  const Array binary_args{Binary{0x00, 0xff, 0x10, 0x80}, "text"};
  const Object binary_kwargs{{"blob", Binary{0xde, 0xad, 0xbe, 0xef}}};
  // Braces around a single Array copy it; Value() makes the list an element.
  const Array list_arg{Value(Array{1, "two", Array{3}})};
  return {
      {"no payload", {}, {}, {}},
      {"args only", args, {}, {Value(args)}},
      {"kwargs only", {}, kwargs, {Array{}, kwargs}},
      {"args and kwargs", args, kwargs, {args, kwargs}},
      {"binary args", binary_args, binary_kwargs, {binary_args, binary_kwargs}},
      {"a single list argument", list_arg, {}, {Value(list_arg)}},
  };
}

template <class M>
void add_payload_cases(std::vector<Case>& cases, const std::string& name, const M& base,
                       const Array& fixed_wire) {
  for (const Payload& payload : payloads()) {
    M message = base;
    message.args = payload.args;
    message.kwargs = payload.kwargs;
    Array wire = fixed_wire;
    wire.insert(wire.end(), payload.wire_tail.begin(), payload.wire_tail.end());
    cases.push_back({name + ", " + payload.name, message, Value(std::move(wire))});
  }
}

std::vector<Case> all_cases() {
  const Object details{{"roles", Object{{"caller", Object{{"features", Object{}}}}}}};
  const Object revocation{{"subscription", 1293722}, {"reason", "no longer authorized"}};
  const Object unregistration{{"registration", 1293722}, {"reason", "moving endpoint"}};
  std::vector<Case> cases = {
      {"HELLO", Hello{"realm1", details}, Array{1, "realm1", details}},
      {"WELCOME", Welcome{max_id, details}, Array{2, max_id, details}},
      {"ABORT", Abort{{{"message", "no realm"}}, "wamp.error.no_such_realm"},
       Array{3, Object{{"message", "no realm"}}, "wamp.error.no_such_realm"}},
      {"CHALLENGE", Challenge{"wampcra", {{"challenge", "{\"nonce\": 1}"}}},
       Array{4, "wampcra", Object{{"challenge", "{\"nonce\": 1}"}}}},
      {"AUTHENTICATE", Authenticate{"c2lnbmF0dXJl", {}}, Array{5, "c2lnbmF0dXJl", Object{}}},
      {"AUTHENTICATE with an empty signature", Authenticate{"", {}}, Array{5, "", Object{}}},
      {"GOODBYE", Goodbye{{}, "wamp.close.close_realm"},
       Array{6, Object{}, "wamp.close.close_realm"}},
      {"ERROR for SUBSCRIBE", Error{Type::subscribe, 3, {}, "wamp.error.not_authorized", {}, {}},
       Array{8, 32, 3, Object{}, "wamp.error.not_authorized"}},
      {"ERROR for INVOCATION", Error{Type::invocation, 4, {}, "com.myapp.error", {}, {}},
       Array{8, 68, 4, Object{}, "com.myapp.error"}},
      {"PUBLISHED", Published{1, max_id}, Array{17, 1, max_id}},
      {"SUBSCRIBE with an empty wildcard component",
       Subscribe{2, {{"match", "wildcard"}}, "com..topic"},
       Array{32, 2, Object{{"match", "wildcard"}}, "com..topic"}},
      {"SUBSCRIBED", Subscribed{2, 3}, Array{33, 2, 3}},
      {"UNSUBSCRIBE", Unsubscribe{4, 3}, Array{34, 4, 3}},
      {"UNSUBSCRIBED", Unsubscribed{4, {}}, Array{35, 4}},
      {"UNSUBSCRIBED revocation", Unsubscribed{0, revocation}, Array{35, 0, revocation}},
      {"CANCEL", Cancel{5, {{"mode", "kill"}}}, Array{49, 5, Object{{"mode", "kill"}}}},
      {"REGISTER", Register{6, {}, "com.myapp.add"}, Array{64, 6, Object{}, "com.myapp.add"}},
      {"REGISTERED", Registered{6, 7}, Array{65, 6, 7}},
      {"UNREGISTER", Unregister{8, 7}, Array{66, 8, 7}},
      {"UNREGISTERED", Unregistered{8, {}}, Array{67, 8}},
      {"UNREGISTERED revocation", Unregistered{0, unregistration}, Array{67, 0, unregistration}},
      // Found by the message fuzzer: empty Details were dropped, and [35, 0] does not parse.
      {"UNSUBSCRIBED revocation with empty Details", Unsubscribed{0, {}}, Array{35, 0, Object{}}},
      {"UNREGISTERED revocation with empty Details", Unregistered{0, {}}, Array{67, 0, Object{}}},
      {"INTERRUPT", Interrupt{9, {{"mode", "killnowait"}}},
       Array{69, 9, Object{{"mode", "killnowait"}}}},
  };
  add_payload_cases(cases, "ERROR", Error{Type::call, 5, {}, "com.myapp.error", {}, {}},
                    Array{8, 48, 5, Object{}, "com.myapp.error"});
  add_payload_cases(cases, "PUBLISH",
                    Publish{1, {{"acknowledge", true}}, "com.myapp.topic", {}, {}},
                    Array{16, 1, Object{{"acknowledge", true}}, "com.myapp.topic"});
  add_payload_cases(cases, "EVENT", Event{3, max_id, {}, {}, {}}, Array{36, 3, max_id, Object{}});
  add_payload_cases(cases, "CALL", Call{5, {}, "com.myapp.add", {}, {}},
                    Array{48, 5, Object{}, "com.myapp.add"});
  add_payload_cases(cases, "RESULT", Result{5, {{"progress", false}}, {}, {}},
                    Array{50, 5, Object{{"progress", false}}});
  add_payload_cases(cases, "INVOCATION", Invocation{9, 7, {}, {}, {}}, Array{68, 9, 7, Object{}});
  add_payload_cases(cases, "YIELD", Yield{9, {}, {}, {}}, Array{70, 9, Object{}});
  return cases;
}

TEST(Message, CasesCoverEveryMessageType) {
  std::set<Type> covered;
  for (const Case& c : all_cases())
    covered.insert(type_of(c.message));
  EXPECT_EQ(covered.size(), std::variant_size_v<Message>);
}

TEST(Message, TypeOfAndTypeNameFollowTheSpecCodes) {
  const std::vector<std::tuple<Message, int, std::string_view>> expected = {
      {Hello{}, 1, "HELLO"},
      {Welcome{}, 2, "WELCOME"},
      {Abort{}, 3, "ABORT"},
      {Challenge{}, 4, "CHALLENGE"},
      {Authenticate{}, 5, "AUTHENTICATE"},
      {Goodbye{}, 6, "GOODBYE"},
      {Error{}, 8, "ERROR"},
      {Publish{}, 16, "PUBLISH"},
      {Published{}, 17, "PUBLISHED"},
      {Subscribe{}, 32, "SUBSCRIBE"},
      {Subscribed{}, 33, "SUBSCRIBED"},
      {Unsubscribe{}, 34, "UNSUBSCRIBE"},
      {Unsubscribed{}, 35, "UNSUBSCRIBED"},
      {Event{}, 36, "EVENT"},
      {Call{}, 48, "CALL"},
      {Cancel{}, 49, "CANCEL"},
      {Result{}, 50, "RESULT"},
      {Register{}, 64, "REGISTER"},
      {Registered{}, 65, "REGISTERED"},
      {Unregister{}, 66, "UNREGISTER"},
      {Unregistered{}, 67, "UNREGISTERED"},
      {Invocation{}, 68, "INVOCATION"},
      {Interrupt{}, 69, "INTERRUPT"},
      {Yield{}, 70, "YIELD"},
  };
  ASSERT_EQ(expected.size(), std::variant_size_v<Message>);
  for (const auto& [message, code, name] : expected) {
    EXPECT_EQ(static_cast<int>(type_of(message)), code) << name;
    EXPECT_EQ(type_name(type_of(message)), name);
  }
  EXPECT_EQ(type_name(static_cast<Type>(7)), "UNKNOWN");
  EXPECT_EQ(type_name(static_cast<Type>(255)), "UNKNOWN");
}

TEST(Message, BuildWritesTheSpecLayout) {
  for (const Case& c : all_cases()) {
    EXPECT_EQ(build_message(c.message), c.wire) << c.name;
  }
}

TEST(Message, ParseReadsTheSpecLayout) {
  for (const Case& c : all_cases()) {
    auto parsed = parse_message(c.wire);
    ASSERT_TRUE(parsed.ok()) << c.name << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), c.message) << c.name;
  }
}

TEST(Message, ParseAcceptsTheOptionalElementsASenderMayStillWrite) {
  // Empty lists the spec only asks senders to avoid.
  auto call = parse_message(Array{48, 1, Object{}, "com.p", Array{}, Object{}});
  ASSERT_TRUE(call.ok()) << call.error().message;
  EXPECT_EQ(call.value(), Message(Call{1, {}, "com.p", {}, {}}));
  // An UNSUBSCRIBED that answers a request and still carries Details.
  auto unsubscribed = parse_message(Array{35, 4, Object{{"reason", "x"}}});
  ASSERT_TRUE(unsubscribed.ok()) << unsubscribed.error().message;
  EXPECT_EQ(unsubscribed.value(), Message(Unsubscribed{4, {{"reason", "x"}}}));
  // The smallest id.
  auto welcome = parse_message(Array{2, 1, Object{}});
  ASSERT_TRUE(welcome.ok()) << welcome.error().message;
  EXPECT_EQ(std::get<Welcome>(welcome.value()).session, 1u);
}

TEST(Message, BuildWritesDetailsOfUnsubscribedOnlyWhenNotEmpty) {
  EXPECT_EQ(build_message(Unsubscribed{4, {{"reason", "x"}}}),
            Value(Array{35, 4, Object{{"reason", "x"}}}));
  EXPECT_EQ(build_message(Unregistered{4, {}}), Value(Array{67, 4}));
}

TEST(Message, ParseMovesPayloadsInsteadOfCopying) {
  Value wire(Array{48, 1, Object{}, std::string(1000, 'p'), Array{std::string(1000, 'a')},
                   Object{{"k", Array{1, 2, 3}}}});
  Array& elements = *wire.if_array();
  const char* procedure_bytes = elements[3].if_string()->data();
  const Value* first_arg = elements[4].if_array()->data();
  const Value* kwarg = &elements[5].if_object()->at("k");

  auto parsed = parse_message(std::move(wire));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const Call& call = std::get<Call>(parsed.value());
  EXPECT_EQ(call.procedure.data(), procedure_bytes);
  EXPECT_EQ(call.args.data(), first_arg);
  EXPECT_EQ(&call.kwargs.at("k"), kwarg);
}

class MessageCodecRoundTrip : public ::testing::TestWithParam<const Serializer*> {};

TEST_P(MessageCodecRoundTrip, EveryMessageComesBackEqual) {
  const Serializer& serializer = *GetParam();
  for (const Case& c : all_cases()) {
    std::vector<std::uint8_t> bytes;
    Status encoded = serializer.encode(build_message(c.message), bytes);
    ASSERT_TRUE(encoded.ok()) << c.name << ": " << encoded.error().message;
    auto decoded = serializer.decode(bytes.data(), bytes.size());
    ASSERT_TRUE(decoded.ok()) << c.name << ": " << decoded.error().message;
    auto parsed = parse_message(std::move(decoded.value()));
    ASSERT_TRUE(parsed.ok()) << c.name << ": " << parsed.error().message;
    EXPECT_EQ(parsed.value(), c.message) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(AllSerializers, MessageCodecRoundTrip,
                         ::testing::Values(&json_serializer(), &msgpack_serializer(),
                                           &cbor_serializer()),
                         [](const auto& info) { return std::string(info.param->name()); });

struct BadMessage {
  Value wire;
  protocol_errc code;
  std::string text;
};

void expect_rejected(const std::vector<BadMessage>& messages) {
  for (const BadMessage& bad : messages) {
    auto parsed = parse_message(bad.wire);
    ASSERT_FALSE(parsed.ok()) << bad.wire.debug_string() << " was accepted";
    EXPECT_EQ(parsed.error().code, make_error_code(bad.code)) << bad.wire.debug_string();
    EXPECT_EQ(parsed.error().message, bad.text) << bad.wire.debug_string();
  }
}

TEST(ParseMessage, RejectsWhatIsNoMessageOfAKnownType) {
  const auto unknown = protocol_errc::unknown_message_type;
  expect_rejected({
      {Object{{"type", 48}}, unknown, "a WAMP message must be an array, got object"},
      {"[48]", unknown, "a WAMP message must be an array, got string"},
      {Value(), unknown, "a WAMP message must be an array, got null"},
      {Array{}, unknown, "a WAMP message must not be an empty array"},
      {Array{"CALL", 1, Object{}, "com.p"}, unknown,
       "a WAMP message type must be an integer, got string"},
      {Array{48.0, 1, Object{}, "com.p"}, unknown,
       "a WAMP message type must be an integer, got real"},
      {Array{7, 1}, unknown, "unknown WAMP message type 7"},
      {Array{0}, unknown, "unknown WAMP message type 0"},
      {Array{256, 1}, unknown, "unknown WAMP message type 256"},
      {Array{-48, 1, Object{}, "com.p"}, unknown, "unknown WAMP message type -48"},
      {Array{std::numeric_limits<std::uint64_t>::max()}, unknown,
       "unknown WAMP message type 18446744073709551615"},
  });
}

TEST(ParseMessage, RejectsAWrongNumberOfElements) {
  const auto invalid = protocol_errc::invalid_message;
  expect_rejected({
      {Array{36, 1, 2}, invalid, "EVENT: expected 4 to 6 elements, got 3"},
      {Array{48, 1, Object{}, "com.p", Array{}, Object{}, Object{}}, invalid,
       "CALL: expected 4 to 6 elements, got 7"},
      {Array{32, 1, Object{}, "com.t", Array{}}, invalid, "SUBSCRIBE: expected 4 elements, got 5"},
      {Array{1}, invalid, "HELLO: expected 3 elements, got 1"},
      {Array{8, 48, 1, Object{}}, invalid, "ERROR: expected 5 to 7 elements, got 4"},
      {Array{35}, invalid, "UNSUBSCRIBED: expected 2 to 3 elements, got 1"},
      {Array{70, 1, Object{}, Array{}, Object{}, Array{}}, invalid,
       "YIELD: expected 3 to 5 elements, got 6"},
  });
}

TEST(ParseMessage, RejectsFieldsOfTheWrongKind) {
  const auto invalid = protocol_errc::invalid_message;
  expect_rejected({
      {Array{48, 1, "options", "com.p"}, invalid, "CALL: Options must be an object, got string"},
      {Array{48, 1, Object{}, "com.p", "args"}, invalid,
       "CALL: Arguments must be an array, got string"},
      {Array{48, 1, Object{}, "com.p", Array{}, Array{}}, invalid,
       "CALL: ArgumentsKw must be an object, got array"},
      {Array{48, "1", Object{}, "com.p"}, invalid,
       "CALL: Request must be an id in [1, 2^53], got string"},
      {Array{36, 1, 2.5, Object{}}, invalid,
       "EVENT: Publication must be an id in [1, 2^53], got real"},
      {Array{1, 42, Object{}}, invalid, "HELLO: Realm must be a URI, got integer"},
      {Array{1, "realm1", Array{}}, invalid, "HELLO: Details must be an object, got array"},
      {Array{4, 5, Object{}}, invalid, "CHALLENGE: AuthMethod must be a string, got integer"},
      {Array{5, "sig", nullptr}, invalid, "AUTHENTICATE: Extra must be an object, got null"},
      {Array{6, Object{}, Binary{1}}, invalid, "GOODBYE: Reason must be a URI, got binary"},
      {Array{35, 0, "details"}, invalid, "UNSUBSCRIBED: Details must be an object, got string"},
      // The first bad field is the one reported.
      {Array{48, 0, "options", ""}, invalid, "CALL: Request must be an id in [1, 2^53], got 0"},
  });
}

TEST(ParseMessage, RejectsIdsOutsideOneTo2Pow53) {
  const auto invalid = protocol_errc::invalid_message;
  expect_rejected({
      {Array{2, 0, Object{}}, invalid, "WELCOME: Session must be an id in [1, 2^53], got 0"},
      {Array{17, 1, max_id + 1}, invalid,
       "PUBLISHED: Publication must be an id in [1, 2^53], got 9007199254740993"},
      {Array{17, 1, std::numeric_limits<std::uint64_t>::max()}, invalid,
       "PUBLISHED: Publication must be an id in [1, 2^53], got 18446744073709551615"},
      {Array{33, -1, 5}, invalid, "SUBSCRIBED: Request must be an id in [1, 2^53], got -1"},
      {Array{34, 1, 0}, invalid, "UNSUBSCRIBE: Subscription must be an id in [1, 2^53], got 0"},
      {Array{68, 1, max_id + 1, Object{}}, invalid,
       "INVOCATION: Registration must be an id in [1, 2^53], got 9007199254740993"},
      {Array{8, 48, 0, Object{}, "com.e"}, invalid,
       "ERROR: REQUEST.Request must be an id in [1, 2^53], got 0"},
  });
}

TEST(ParseMessage, AllowsRequestZeroOnlyForARevocationWithDetails) {
  const auto invalid = protocol_errc::invalid_message;
  expect_rejected({
      {Array{35, 0}, invalid,
       "UNSUBSCRIBED: Request must be an id in [1, 2^53], got 0 (only a revocation, which carries "
       "Details, has request 0)"},
      {Array{67, 0}, invalid,
       "UNREGISTERED: Request must be an id in [1, 2^53], got 0 (only a revocation, which carries "
       "Details, has request 0)"},
      {Array{35, -1, Object{}}, invalid,
       "UNSUBSCRIBED: Request must be an id in [1, 2^53], got -1"},
      {Array{67, max_id + 1, Object{}}, invalid,
       "UNREGISTERED: Request must be an id in [1, 2^53], got 9007199254740993"},
      // Only UNSUBSCRIBED and UNREGISTERED know revocations.
      {Array{33, 0, 5}, invalid, "SUBSCRIBED: Request must be an id in [1, 2^53], got 0"},
  });
}

TEST(ParseMessage, RejectsStringsThatAreNoUri) {
  const auto invalid = protocol_errc::invalid_message;
  expect_rejected({
      {Array{48, 1, Object{}, ""}, invalid, "CALL: Procedure must be a URI, got an empty string"},
      {Array{32, 1, Object{}, "com.my topic"}, invalid,
       "SUBSCRIBE: Topic must be a URI, got a string containing whitespace"},
      {Array{6, Object{}, "wamp.close\t"}, invalid,
       "GOODBYE: Reason must be a URI, got a string containing whitespace"},
      {Array{1, "realm\n1", Object{}}, invalid,
       "HELLO: Realm must be a URI, got a string containing whitespace"},
      {Array{8, 48, 1, Object{}, "com.error#1"}, invalid,
       "ERROR: Error must be a URI, got a string containing '#'"},
      {Array{3, Object{}, ""}, invalid, "ABORT: Reason must be a URI, got an empty string"},
  });
}

TEST(ParseMessage, RejectsAnErrorForARequestThatCannotFail) {
  const auto invalid = protocol_errc::invalid_message;
  const std::string expected =
      "ERROR: REQUEST.Type must be one of SUBSCRIBE, UNSUBSCRIBE, PUBLISH, REGISTER, UNREGISTER, "
      "CALL, INVOCATION, got ";
  expect_rejected({
      {Array{8, 49, 1, Object{}, "wamp.error.canceled"}, invalid, expected + "49 (CANCEL)"},
      {Array{8, 36, 1, Object{}, "com.e"}, invalid, expected + "36 (EVENT)"},
      {Array{8, 99, 1, Object{}, "com.e"}, invalid, expected + "99"},
      {Array{8, -48, 1, Object{}, "com.e"}, invalid, expected + "-48"},
      {Array{8, "CALL", 1, Object{}, "com.e"}, invalid, expected + "string"},
  });
}

TEST(ParseMessage, RejectsArgumentsKwWithoutArguments) {
  const auto invalid = protocol_errc::invalid_message;
  const Object kwargs{{"a", 1}};
  expect_rejected({
      {Array{48, 1, Object{}, "com.p", kwargs}, invalid,
       "CALL: Arguments must be an array, got object"},
      {Array{36, 1, 2, Object{}, kwargs}, invalid, "EVENT: Arguments must be an array, got object"},
      {Array{50, 1, Object{}, kwargs}, invalid, "RESULT: Arguments must be an array, got object"},
      {Array{8, 48, 1, Object{}, "com.e", kwargs}, invalid,
       "ERROR: Arguments must be an array, got object"},
  });
}

TEST(ProtocolCategory, NamesItselfAndItsErrors) {
  const std::error_code invalid = make_error_code(protocol_errc::invalid_message);
  const std::error_code unknown = protocol_errc::unknown_message_type;
  EXPECT_STREQ(invalid.category().name(), "uvwamp.protocol");
  EXPECT_EQ(&invalid.category(), &protocol_category());
  EXPECT_EQ(&unknown.category(), &protocol_category());
  EXPECT_EQ(invalid.value(), 1);
  EXPECT_EQ(invalid.message(), "message breaks the WAMP spec");
  EXPECT_EQ(unknown.message(), "not a WAMP message type a client knows");
  EXPECT_NE(invalid, unknown);
}

}  // namespace
}  // namespace uvwamp::msg
