#include "message/message.hpp"

#include <array>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <string>
#include <type_traits>
#include <utility>

namespace uvwamp {
namespace {

class ProtocolCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "uvwamp.protocol"; }
  std::string message(int code) const override {
    switch (static_cast<protocol_errc>(code)) {
      case protocol_errc::invalid_message:
        return "message breaks the WAMP spec";
      case protocol_errc::unknown_message_type:
        return "not a WAMP message type a client knows";
    }
    return "unknown protocol error";
  }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
  static const ProtocolCategory category;
  return category;
}

std::error_code make_error_code(protocol_errc e) noexcept {
  return {static_cast<int>(e), protocol_category()};
}

}  // namespace uvwamp

namespace uvwamp::msg {
namespace {

// What one element of a message must hold.
enum class Kind : std::uint8_t {
  id,            // an integer in [1, max_id]
  revocable_id,  // an id, or 0 when a router revokes: then the optional Details element is present
  uri,
  string,
  object,
  array,
  request_type,  // ERROR's REQUEST.Type: the type of a request that can fail
};

struct Field {
  std::string_view name;
  Kind kind;
};

// The elements after the message type; ERROR has the most.
constexpr std::size_t max_fields = 6;

struct Shape {
  Type type;
  std::string_view name;
  std::size_t min_length;  // elements, counting the message type
  std::size_t max_length;
  Field fields[max_fields];
};

constexpr Field request{"Request", Kind::id};
constexpr Field options{"Options", Kind::object};
constexpr Field details{"Details", Kind::object};
constexpr Field extra{"Extra", Kind::object};
constexpr Field reason{"Reason", Kind::uri};
constexpr Field topic{"Topic", Kind::uri};
constexpr Field procedure{"Procedure", Kind::uri};
constexpr Field subscription{"Subscription", Kind::id};
constexpr Field publication{"Publication", Kind::id};
constexpr Field registration{"Registration", Kind::id};
constexpr Field arguments{"Arguments", Kind::array};
constexpr Field arguments_kw{"ArgumentsKw", Kind::object};

// One row per message, in code order, which is also the order of the alternatives of Message.
// Trailing elements past min_length are optional; build_message() omits them when empty.
constexpr Shape shapes[] = {
    {Type::hello, "HELLO", 3, 3, {{"Realm", Kind::uri}, details}},
    {Type::welcome, "WELCOME", 3, 3, {{"Session", Kind::id}, details}},
    {Type::abort, "ABORT", 3, 3, {details, reason}},
    {Type::challenge, "CHALLENGE", 3, 3, {{"AuthMethod", Kind::string}, extra}},
    {Type::authenticate, "AUTHENTICATE", 3, 3, {{"Signature", Kind::string}, extra}},
    {Type::goodbye, "GOODBYE", 3, 3, {details, reason}},
    {Type::error,
     "ERROR",
     5,
     7,
     {{"REQUEST.Type", Kind::request_type},
      {"REQUEST.Request", Kind::id},
      details,
      {"Error", Kind::uri},
      arguments,
      arguments_kw}},
    {Type::publish, "PUBLISH", 4, 6, {request, options, topic, arguments, arguments_kw}},
    {Type::published, "PUBLISHED", 3, 3, {request, publication}},
    {Type::subscribe, "SUBSCRIBE", 4, 4, {request, options, topic}},
    {Type::subscribed, "SUBSCRIBED", 3, 3, {request, subscription}},
    {Type::unsubscribe, "UNSUBSCRIBE", 3, 3, {request, subscription}},
    {Type::unsubscribed, "UNSUBSCRIBED", 2, 3, {{"Request", Kind::revocable_id}, details}},
    {Type::event, "EVENT", 4, 6, {subscription, publication, details, arguments, arguments_kw}},
    {Type::call, "CALL", 4, 6, {request, options, procedure, arguments, arguments_kw}},
    {Type::cancel, "CANCEL", 3, 3, {request, options}},
    {Type::result, "RESULT", 3, 5, {request, details, arguments, arguments_kw}},
    {Type::register_, "REGISTER", 4, 4, {request, options, procedure}},
    {Type::registered, "REGISTERED", 3, 3, {request, registration}},
    {Type::unregister, "UNREGISTER", 3, 3, {request, registration}},
    {Type::unregistered, "UNREGISTERED", 2, 3, {{"Request", Kind::revocable_id}, details}},
    {Type::invocation,
     "INVOCATION",
     4,
     6,
     {request, registration, details, arguments, arguments_kw}},
    {Type::interrupt, "INTERRUPT", 3, 3, {request, options}},
    {Type::yield, "YIELD", 3, 5, {request, options, arguments, arguments_kw}},
};

constexpr bool shapes_in_code_order() {
  for (std::size_t i = 1; i < std::size(shapes); ++i) {
    if (shapes[i - 1].type >= shapes[i].type) return false;
  }
  return true;
}
static_assert(std::size(shapes) == std::variant_size_v<Message>);
static_assert(shapes_in_code_order(), "a Message alternative is found by its row's index");

// The requests that can fail (rfc "Message Definitions", ERROR). A canceled call fails with
// an ERROR for its CALL (wamp.error.canceled); CANCEL and INTERRUPT get no reply of their own.
constexpr Type failable_requests[] = {Type::subscribe, Type::unsubscribe, Type::publish,
                                      Type::register_, Type::unregister,  Type::call,
                                      Type::invocation};

const Shape* find_shape(std::uint64_t code) noexcept {
  for (const Shape& shape : shapes) {
    if (static_cast<std::uint64_t>(shape.type) == code) return &shape;
  }
  return nullptr;
}

std::string join(std::initializer_list<std::string_view> parts) {
  std::string text;
  for (std::string_view part : parts) {
    text += part;
  }
  return text;
}

// What was found instead of the expected element: the number for an integer (so that
// "got 0" and "got -1" explain themselves), the type for anything else.
std::string describe(const Value& value) {
  if (auto number = value.to_int64()) return std::to_string(number.value());
  if (auto number = value.to_uint64()) return std::to_string(number.value());
  return value.type_name();
}

bool is_id(const Value& value) {
  auto number = value.to_uint64();
  return number.ok() && number.value() >= 1 && number.value() <= max_id;
}

bool is_zero(const Value& value) {
  auto number = value.to_uint64();
  return number.ok() && number.value() == 0;
}

bool is_failable_request(const Value& value) {
  auto number = value.to_uint64();
  if (!number.ok()) return false;
  for (Type type : failable_requests) {
    if (static_cast<std::uint64_t>(type) == number.value()) return true;
  }
  return false;
}

// The loose URI rule (rfc "URIs"): components never contain whitespace or '#'. Empty components
// stay allowed because pattern-based subscriptions and registrations use them as wildcards.
// Returns what is wrong with `uri`, or nullptr when nothing is.
const char* uri_defect(std::string_view uri) noexcept {
  if (uri.empty()) return "an empty string";
  for (char c : uri) {
    if (c == '#') return "a string containing '#'";
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') {
      return "a string containing whitespace";
    }
  }
  return nullptr;
}

uvwamp::Error unknown_type(std::string text) {
  return {protocol_errc::unknown_message_type, std::move(text)};
}

uvwamp::Error invalid(const Shape& shape, std::string_view text) {
  return {protocol_errc::invalid_message, join({shape.name, ": ", text})};
}

uvwamp::Error field_error(const Shape& shape, const Field& field, std::string_view expected,
                          std::string_view found) {
  return invalid(shape, join({field.name, " must be ", expected, ", got ", found}));
}

uvwamp::Result<const Shape*> shape_of(const Value& message) {
  const Array* elements = message.if_array();
  if (elements == nullptr) {
    return unknown_type(join({"a WAMP message must be an array, got ", message.type_name()}));
  }
  if (elements->empty()) return unknown_type("a WAMP message must not be an empty array");
  const Value& code = elements->front();
  if (!code.is_integer()) {
    return unknown_type(join({"a WAMP message type must be an integer, got ", code.type_name()}));
  }
  auto number = code.to_uint64();
  const Shape* shape = number.ok() ? find_shape(number.value()) : nullptr;
  if (shape == nullptr) return unknown_type("unknown WAMP message type " + describe(code));
  return shape;
}

Status check_length(const Shape& shape, std::size_t length) {
  if (length >= shape.min_length && length <= shape.max_length) return {};
  std::string expected = std::to_string(shape.min_length);
  if (shape.max_length != shape.min_length) expected += " to " + std::to_string(shape.max_length);
  return invalid(shape, join({"expected ", expected, " elements, got ", std::to_string(length)}));
}

std::string failable_request_names() {
  std::string names;
  for (Type type : failable_requests) {
    if (!names.empty()) names += ", ";
    names += type_name(type);
  }
  return names;
}

// `length` is the element count of the whole message: a revocation is recognized by it.
Status check_field(const Shape& shape, const Field& field, const Value& value, std::size_t length) {
  constexpr std::string_view id_range = "an id in [1, 2^53]";
  switch (field.kind) {
    case Kind::id:
      if (is_id(value)) return {};
      return field_error(shape, field, id_range, describe(value));
    case Kind::revocable_id:
      if (is_id(value) || (is_zero(value) && length == shape.max_length)) return {};
      if (is_zero(value)) {
        return field_error(shape, field, id_range,
                           "0 (only a revocation, which carries Details, has request 0)");
      }
      return field_error(shape, field, id_range, describe(value));
    case Kind::uri: {
      const std::string* uri = value.if_string();
      if (uri == nullptr) return field_error(shape, field, "a URI", value.type_name());
      if (const char* defect = uri_defect(*uri)) return field_error(shape, field, "a URI", defect);
      return {};
    }
    case Kind::string:
      if (value.is_string()) return {};
      return field_error(shape, field, "a string", value.type_name());
    case Kind::object:
      if (value.is_object()) return {};
      return field_error(shape, field, "an object", value.type_name());
    case Kind::array:
      if (value.is_array()) return {};
      return field_error(shape, field, "an array", value.type_name());
    case Kind::request_type: {
      if (is_failable_request(value)) return {};
      std::string found = describe(value);
      if (auto code = value.to_uint64(); code.ok() && find_shape(code.value()) != nullptr) {
        found = join({found, " (", type_name(static_cast<Type>(code.value())), ")"});
      }
      return field_error(shape, field, "one of " + failable_request_names(), found);
    }
  }
  return invalid(shape, join({field.name, " has a kind the message table does not know"}));
}

// The fields of each message in wire order, for both directions: parsing fills them from the
// elements after the message type, building writes them out. Each list matches its row in
// `shapes`.
template <class M, class F>
void for_each_field(M& m, F&& f) {
  using T = std::remove_const_t<M>;
  if constexpr (std::is_same_v<T, Hello>) {
    f(m.realm);
    f(m.details);
  } else if constexpr (std::is_same_v<T, Welcome>) {
    f(m.session);
    f(m.details);
  } else if constexpr (std::is_same_v<T, Abort> || std::is_same_v<T, Goodbye>) {
    f(m.details);
    f(m.reason);
  } else if constexpr (std::is_same_v<T, Challenge>) {
    f(m.auth_method);
    f(m.extra);
  } else if constexpr (std::is_same_v<T, Authenticate>) {
    f(m.signature);
    f(m.extra);
  } else if constexpr (std::is_same_v<T, Error>) {
    f(m.request_type);
    f(m.request);
    f(m.details);
    f(m.error);
    f(m.args);
    f(m.kwargs);
  } else if constexpr (std::is_same_v<T, Publish>) {
    f(m.request);
    f(m.options);
    f(m.topic);
    f(m.args);
    f(m.kwargs);
  } else if constexpr (std::is_same_v<T, Published>) {
    f(m.request);
    f(m.publication);
  } else if constexpr (std::is_same_v<T, Subscribe>) {
    f(m.request);
    f(m.options);
    f(m.topic);
  } else if constexpr (std::is_same_v<T, Subscribed> || std::is_same_v<T, Unsubscribe>) {
    f(m.request);
    f(m.subscription);
  } else if constexpr (std::is_same_v<T, Unsubscribed> || std::is_same_v<T, Unregistered>) {
    f(m.request);
    f(m.details);
  } else if constexpr (std::is_same_v<T, Event>) {
    f(m.subscription);
    f(m.publication);
    f(m.details);
    f(m.args);
    f(m.kwargs);
  } else if constexpr (std::is_same_v<T, Call>) {
    f(m.request);
    f(m.options);
    f(m.procedure);
    f(m.args);
    f(m.kwargs);
  } else if constexpr (std::is_same_v<T, Cancel> || std::is_same_v<T, Interrupt>) {
    f(m.request);
    f(m.options);
  } else if constexpr (std::is_same_v<T, Result>) {
    f(m.request);
    f(m.details);
    f(m.args);
    f(m.kwargs);
  } else if constexpr (std::is_same_v<T, Register>) {
    f(m.request);
    f(m.options);
    f(m.procedure);
  } else if constexpr (std::is_same_v<T, Registered> || std::is_same_v<T, Unregister>) {
    f(m.request);
    f(m.registration);
  } else if constexpr (std::is_same_v<T, Invocation>) {
    f(m.request);
    f(m.registration);
    f(m.details);
    f(m.args);
    f(m.kwargs);
  } else {
    static_assert(std::is_same_v<T, Yield>, "every Message alternative lists its fields");
    f(m.request);
    f(m.options);
    f(m.args);
    f(m.kwargs);
  }
}

// Moves checked elements into a message's fields; an absent optional element leaves its field
// empty.
class FieldTaker {
 public:
  explicit FieldTaker(Array& elements) : elements_(elements) {}

  void operator()(Id& id) {
    if (Value* element = next()) {
      if (auto number = element->to_uint64()) id = number.value();
    }
  }
  void operator()(Type& type) {
    Id code = 0;
    (*this)(code);
    type = static_cast<Type>(code);
  }
  void operator()(std::string& text) { take(text, &Value::if_string); }
  void operator()(Object& object) { take(object, &Value::if_object); }
  void operator()(Array& array) { take(array, &Value::if_array); }

 private:
  template <class T>
  void take(T& field, T* (Value::*get)() noexcept) {
    if (Value* element = next()) {
      if (T* contents = (element->*get)()) field = std::move(*contents);
    }
  }

  Value* next() { return index_ < elements_.size() ? &elements_[index_++] : nullptr; }

  Array& elements_;
  std::size_t index_ = 1;  // past the message type
};

class FieldWriter {
 public:
  explicit FieldWriter(Array& elements) : elements_(elements) {}

  void operator()(Type type) { elements_.emplace_back(static_cast<int>(type)); }
  template <class T>
  void operator()(const T& field) {
    elements_.emplace_back(field);
  }

 private:
  Array& elements_;
};

template <std::size_t I>
Message take_message(Array& elements) {
  Message message(std::in_place_index<I>);
  for_each_field(std::get<I>(message), FieldTaker(elements));
  return message;
}

template <std::size_t... I>
constexpr auto message_takers(std::index_sequence<I...>) {
  return std::array<Message (*)(Array&), sizeof...(I)>{&take_message<I>...};
}

constexpr auto take_message_at =
    message_takers(std::make_index_sequence<std::variant_size_v<Message>>());

bool is_empty_container(const Value& value) {
  const Array* array = value.if_array();
  const Object* object = value.if_object();
  return (array != nullptr && array->empty()) || (object != nullptr && object->empty());
}

}  // namespace

std::string_view type_name(Type type) noexcept {
  const Shape* shape = find_shape(static_cast<std::uint64_t>(type));
  return shape == nullptr ? "UNKNOWN" : shape->name;
}

Type type_of(const Message& message) noexcept {
  return shapes[message.index()].type;
}

uvwamp::Result<Message> parse_message(Value value) {
  auto found = shape_of(value);
  if (!found) return found.error();
  const Shape& shape = *found.value();
  Array& elements = *value.if_array();
  if (Status length = check_length(shape, elements.size()); !length) return length.error();
  for (std::size_t i = 1; i < elements.size(); ++i) {
    Status field = check_field(shape, shape.fields[i - 1], elements[i], elements.size());
    if (!field) return field.error();
  }
  return take_message_at[static_cast<std::size_t>(&shape - shapes)](elements);
}

Value build_message(const Message& message) {
  const Shape& shape = shapes[message.index()];
  Array elements;
  elements.reserve(shape.max_length);
  elements.emplace_back(static_cast<int>(shape.type));
  std::visit([&](const auto& m) { for_each_field(m, FieldWriter(elements)); }, message);
  // The spec asks not to send empty trailing lists; an empty Arguments before a non-empty
  // ArgumentsKw stays, as it holds the place. A revocation (request 0) is told from a reply only
  // by its Details, so they stay even when empty.
  const bool revocation = shape.fields[0].kind == Kind::revocable_id && elements[1] == Value(0);
  const std::size_t keep = revocation ? shape.max_length : shape.min_length;
  while (elements.size() > keep && is_empty_container(elements.back())) {
    elements.pop_back();
  }
  return Value(std::move(elements));
}

}  // namespace uvwamp::msg
