// The CBOR serializer (RFC 8949), WAMP subprotocol "wamp.2.cbor".
//
// Decoding drives libcbor's streaming decoder one item head at a time and builds the Value in
// its callbacks, with an explicit stack of the containers still open: hostile nesting cannot
// exhaust the C++ stack, and nothing is allocated from a claimed length before the input has
// been shown to be able to hold it. cbor_load() is avoided because it builds its own item tree
// and allocates from those claimed lengths. Encoding writes shortest heads and definite lengths
// with libcbor's cbor_encode_* functions.
#include <uvwamp/serializer.hpp>

#include "codec/append_all_or_nothing.hpp"
#include "util/utf8.hpp"

#include <cbor/callbacks.h>
#include <cbor/data.h>
#include <cbor/encoding.h>
#include <cbor/streaming.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace uvwamp {
namespace {

constexpr std::uint64_t kSelfDescribeTag = 55799;

std::string at_byte(std::size_t offset) {
  return " at byte " + std::to_string(offset);
}

// Bytes taken by the head of an array or map whose initial byte is `initial` (additional
// information 0..27).
std::size_t head_size(std::uint8_t initial) {
  const unsigned info = initial & 0x1fu;
  return info < 24 ? 1 : 1 + (std::size_t{1} << (info - 24));
}

class Decoder {
 public:
  Decoder(const std::uint8_t* data, std::size_t size, const DecodeLimits& limits)
      : data_(data), size_(size), limits_(limits), reserve_budget_(size) {}

  Result<Value> run() {
    while (!done_ && !error_)
      offset_ += decode_item_head();
    if (error_) return std::move(*error_);
    if (offset_ < size_) {
      return Error{codec_errc::trailing_data, "the value ends" + at_byte(offset_) +
                                                  ", but the input has " + std::to_string(size_) +
                                                  " bytes"};
    }
    return std::move(result_);
  }

 private:
  enum class Kind : std::uint8_t { array, object, text_chunks, byte_chunks };

  // What an item head is, for the checks that depend on where the item appears.
  enum class Head : std::uint8_t { text, tag, other };

  struct Open {
    Open(Kind kind, bool indefinite, std::size_t start, std::size_t remaining, Value value)
        : kind(kind),
          indefinite(indefinite),
          start(start),
          remaining(remaining),
          value(std::move(value)) {}

    Kind kind;
    bool indefinite;
    std::size_t start;      // byte offset of the head, for error messages
    std::size_t remaining;  // definite containers: elements or members still to come
    Value value;            // the array, object, text or binary being built
    std::string key;        // objects: a key read, waiting for its value
    bool has_key = false;
    std::size_t key_start = 0;
  };

  static const char* describe(Kind kind) {
    switch (kind) {
      case Kind::array:
        return "array";
      case Kind::object:
        return "map";
      case Kind::text_chunks:
        return "text string";
      case Kind::byte_chunks:
        return "byte string";
    }
    return "item";
  }

  static bool is_chunks(Kind kind) {
    return kind == Kind::text_chunks || kind == Kind::byte_chunks;
  }

  static Decoder& self(void* context) { return *static_cast<Decoder*>(context); }

  static const cbor_callbacks& callbacks() {
    static const cbor_callbacks table = [] {
      cbor_callbacks c = cbor_empty_callbacks;
      c.uint8 = [](void* d, std::uint8_t n) { self(d).on_unsigned(n); };
      c.uint16 = [](void* d, std::uint16_t n) { self(d).on_unsigned(n); };
      c.uint32 = [](void* d, std::uint32_t n) { self(d).on_unsigned(n); };
      c.uint64 = [](void* d, std::uint64_t n) { self(d).on_unsigned(n); };
      c.negint8 = [](void* d, std::uint8_t n) { self(d).on_negative(n); };
      c.negint16 = [](void* d, std::uint16_t n) { self(d).on_negative(n); };
      c.negint32 = [](void* d, std::uint32_t n) { self(d).on_negative(n); };
      c.negint64 = [](void* d, std::uint64_t n) { self(d).on_negative(n); };
      // libcbor's names are misleading: byte_string and string deliver definite strings, the
      // *_start callbacks open indefinite ones.
      c.byte_string = [](void* d, cbor_data bytes, std::size_t size) {
        self(d).on_bytes(bytes, size);
      };
      c.byte_string_start = [](void* d) { self(d).on_indefinite_string(Kind::byte_chunks); };
      c.string = [](void* d, cbor_data bytes, std::size_t size) { self(d).on_text(bytes, size); };
      c.string_start = [](void* d) { self(d).on_indefinite_string(Kind::text_chunks); };
      c.array_start = [](void* d, std::size_t count) { self(d).on_container(Kind::array, count); };
      c.indef_array_start = [](void* d) { self(d).on_indefinite_container(Kind::array); };
      c.map_start = [](void* d, std::size_t count) { self(d).on_container(Kind::object, count); };
      c.indef_map_start = [](void* d) { self(d).on_indefinite_container(Kind::object); };
      c.tag = [](void* d, std::uint64_t number) { self(d).on_tag(number); };
      c.float2 = [](void* d, float f) { self(d).on_real(f); };
      c.float4 = [](void* d, float f) { self(d).on_real(f); };
      c.float8 = [](void* d, double f) { self(d).on_real(f); };
      c.undefined = [](void* d) { self(d).on_unsupported_simple("undefined"); };
      c.null = [](void* d) { self(d).on_scalar("null", Value()); };
      c.boolean = [](void* d, bool b) { self(d).on_scalar("a boolean", Value(b)); };
      c.indef_break = [](void* d) { self(d).on_break(); };
      return c;
    }();
    return table;
  }

  // Decodes the head (and, for definite strings, the payload) at offset_ and returns the bytes
  // it took; on failure error_ is set.
  std::size_t decode_item_head() {
    item_start_ = offset_;
    const std::uint8_t* head = data_ + offset_;
    const std::size_t available = size_ - offset_;
    if (available > 0) {
      if (const std::size_t taken = decode_head_libcbor_refuses(head, available)) return taken;
    }
    const cbor_decoder_result result = cbor_stream_decode(head, available, &callbacks(), this);
    switch (result.status) {
      case CBOR_DECODER_FINISHED:
        return result.read;
      case CBOR_DECODER_NEDATA:
        fail_truncated(available);
        return 0;
      case CBOR_DECODER_ERROR:
        break;
    }
    char hex_byte[8];
    std::snprintf(hex_byte, sizeof hex_byte, "0x%02x", head[0]);
    fail(codec_errc::malformed,
         std::string("invalid initial byte ") + hex_byte + at_byte(item_start_));
    return 0;
  }

  // libcbor 0.8 reports tags 6..20 and the simple values it has no callback for as errors,
  // although they are well-formed CBOR. They are classified here, so that they come out as
  // unsupported rather than malformed. Returns the bytes of the head it handled, or 0 when the
  // head is left to libcbor.
  std::size_t decode_head_libcbor_refuses(const std::uint8_t* head, std::size_t available) {
    const std::uint8_t initial = head[0];
    if (initial >= 0xc6 && initial <= 0xd4) {
      on_tag(initial - 0xc0u);
      return 1;
    }
    if (initial >= 0xe0 && initial <= 0xf3) {
      on_unsupported_simple(("simple value " + std::to_string(initial - 0xe0u)).c_str());
      return 1;
    }
    if (initial != 0xf8) return 0;
    if (available < 2) {
      fail_truncated(available);
    } else if (head[1] < 32) {
      // RFC 8949 section 3.3: the two-byte form of simple values 0..31 is not well-formed.
      fail(codec_errc::malformed, "simple value " + std::to_string(head[1]) +
                                      " in its two-byte form" + at_byte(item_start_));
    } else {
      on_unsupported_simple(("simple value " + std::to_string(head[1])).c_str());
    }
    return 2;
  }

  bool fail(codec_errc code, std::string message) {
    if (!error_) error_ = Error{code, std::move(message)};
    return false;
  }

  void fail_truncated(std::size_t available) {
    if (size_ == 0) {
      fail(codec_errc::truncated, "input is empty");
    } else if (available > 0) {
      fail(codec_errc::truncated,
           "the item" + at_byte(item_start_) + " runs past the end of the input");
    } else if (!stack_.empty()) {
      const Open& open = stack_.back();
      fail(codec_errc::truncated, "input ends" + at_byte(size_) + " inside the " +
                                      describe(open.kind) + " that starts" + at_byte(open.start));
    } else {
      fail(codec_errc::truncated, "input ends" + at_byte(size_) + " after a tag");
    }
  }

  // Every item head passes here first: checks that the item may stand where it is.
  bool accept_head(const char* what, Head head) {
    tag_pending_ = head == Head::tag;
    if (stack_.empty()) return true;
    Open& top = stack_.back();
    if (is_chunks(top.kind)) {
      return fail(codec_errc::malformed, std::string("an indefinite-length ") + describe(top.kind) +
                                             " holds " + what + at_byte(item_start_) +
                                             "; only definite " + describe(top.kind) +
                                             "s may be its chunks");
    }
    if (top.kind == Kind::object && !top.has_key && head != Head::tag) {
      if (head != Head::text) {
        return fail(codec_errc::unsupported, std::string("map key") + at_byte(item_start_) +
                                                 " is " + what + "; only text keys are supported");
      }
      top.key_start = item_start_;
    }
    return true;
  }

  void on_scalar(const char* what, Value value) {
    if (accept_head(what, Head::other)) complete(std::move(value));
  }

  void on_unsigned(std::uint64_t n) { on_scalar("an integer", Value(n)); }

  // CBOR major type 1 carries n for the number -1 - n.
  void on_negative(std::uint64_t n) {
    if (!accept_head("an integer", Head::other)) return;
    if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      fail(codec_errc::unsupported,
           "negative integer" + at_byte(item_start_) + " is below the int64 range");
      return;
    }
    complete(Value(std::int64_t{-1} - static_cast<std::int64_t>(n)));
  }

  void on_real(double d) { on_scalar("a float", Value(d)); }

  void on_unsupported_simple(const char* what) {
    if (!accept_head(what, Head::other)) return;
    fail(codec_errc::unsupported, std::string(what) + at_byte(item_start_) + " has no Value");
  }

  void on_tag(std::uint64_t number) {
    if (!accept_head("a tag", Head::tag)) return;
    // The self-describe tag only marks the data as CBOR; the item it wraps is taken as is.
    if (number == kSelfDescribeTag) return;
    fail(codec_errc::unsupported,
         "tag " + std::to_string(number) + at_byte(item_start_) + " has no Value");
  }

  bool check_string_size(std::size_t size, const char* what, std::size_t start) {
    if (size <= limits_.max_string_bytes) return true;
    return fail(codec_errc::too_large, std::string(what) + at_byte(start) +
                                           " is longer than the limit of " +
                                           std::to_string(limits_.max_string_bytes) + " bytes");
  }

  // The open indefinite-length string of `kind` that takes this chunk, or nullptr.
  Open* chunk_target(Kind kind) {
    if (stack_.empty() || stack_.back().kind != kind) return nullptr;
    return &stack_.back();
  }

  void on_text(cbor_data bytes, std::size_t size) {
    const char* text = reinterpret_cast<const char*>(bytes);
    Open* target = chunk_target(Kind::text_chunks);
    if (target) {
      std::string& whole = *target->value.if_string();
      if (!check_string_size(whole.size() + size, "indefinite-length text string", target->start)) {
        return;
      }
    } else if (!accept_head("a text string", Head::text) ||
               !check_string_size(size, "text string", item_start_)) {
      return;
    }
    // RFC 8949 section 3.2.3: each chunk of a text string is well-formed UTF-8 by itself.
    if (!utf8::is_valid(text, size)) {
      fail(codec_errc::malformed, "text string" + at_byte(item_start_) + " is not valid UTF-8");
      return;
    }
    if (target) {
      target->value.if_string()->append(text, size);
    } else {
      complete(Value(std::string(text, size)));
    }
  }

  void on_bytes(cbor_data bytes, std::size_t size) {
    Open* target = chunk_target(Kind::byte_chunks);
    if (target) {
      Value::Binary& whole = *target->value.if_binary();
      if (check_string_size(whole.size() + size, "indefinite-length byte string", target->start)) {
        whole.insert(whole.end(), bytes, bytes + size);
      }
    } else if (accept_head("a byte string", Head::other) &&
               check_string_size(size, "byte string", item_start_)) {
      complete(Value(Value::Binary(bytes, bytes + size)));
    }
  }

  void on_indefinite_string(Kind kind) {
    const bool text = kind == Kind::text_chunks;
    if (!accept_head(text ? "an indefinite-length text string" : "an indefinite-length byte string",
                     text ? Head::text : Head::other)) {
      return;
    }
    stack_.emplace_back(kind, true, item_start_, 0,
                        text ? Value(std::string()) : Value(Value::Binary()));
  }

  bool enter_container(Kind kind) {
    if (stack_.size() < limits_.max_depth) return true;
    return fail(codec_errc::too_deep, std::string(describe(kind)) + at_byte(item_start_) +
                                          " nests deeper than the limit of " +
                                          std::to_string(limits_.max_depth));
  }

  void on_container(Kind kind, std::size_t count) {
    const char* what = kind == Kind::array ? "an array" : "a map";
    if (!accept_head(what, Head::other) || !enter_container(kind)) return;
    if (count > limits_.max_container_items) {
      fail(codec_errc::too_large, std::string(describe(kind)) + at_byte(item_start_) + " has " +
                                      std::to_string(count) + " entries, more than the limit of " +
                                      std::to_string(limits_.max_container_items));
      return;
    }
    // Every element takes at least one byte and every member two, so a count the rest of the
    // input cannot hold is known to be truncated before anything is allocated for it.
    const std::size_t after_head = size_ - item_start_ - head_size(data_[item_start_]);
    const std::size_t per_entry = kind == Kind::array ? 1 : 2;
    if (count > after_head / per_entry) {
      fail(codec_errc::truncated, std::string(describe(kind)) + at_byte(item_start_) + " claims " +
                                      std::to_string(count) + " entries, but the input ends" +
                                      at_byte(size_));
      return;
    }
    if (count == 0) {
      complete(kind == Kind::array ? Value(Value::Array()) : Value(Value::Object()));
      return;
    }
    stack_.emplace_back(
        kind, false, item_start_, count,
        kind == Kind::array ? Value(reserved_array(count)) : Value(Value::Object()));
  }

  // All elements of all arrays together take at least one byte each, so a budget of the input
  // size caps what nested claims can reserve; well-formed input never runs out of it.
  Value::Array reserved_array(std::size_t count) {
    Value::Array items;
    const std::size_t reserved = std::min(count, reserve_budget_);
    items.reserve(reserved);
    reserve_budget_ -= reserved;
    return items;
  }

  void on_indefinite_container(Kind kind) {
    const char* what =
        kind == Kind::array ? "an indefinite-length array" : "an indefinite-length map";
    if (!accept_head(what, Head::other) || !enter_container(kind)) return;
    stack_.emplace_back(kind, true, item_start_, 0,
                        kind == Kind::array ? Value(Value::Array()) : Value(Value::Object()));
  }

  void on_break() {
    if (tag_pending_) {
      fail(codec_errc::malformed, "break" + at_byte(item_start_) + " follows a tag");
      return;
    }
    if (stack_.empty() || !stack_.back().indefinite) {
      fail(codec_errc::malformed,
           "break" + at_byte(item_start_) + " outside an indefinite-length item");
      return;
    }
    Open& top = stack_.back();
    if (top.has_key) {
      fail(codec_errc::malformed, "map that starts" + at_byte(top.start) +
                                      " ends after a key without a value" + at_byte(item_start_));
      return;
    }
    Value value = std::move(top.value);
    stack_.pop_back();
    complete(std::move(value));
  }

  // Hands a finished item to the container it belongs to, closing every definite container it
  // fills; the last one closed is the result.
  void complete(Value value) {
    while (!stack_.empty()) {
      Open& top = stack_.back();
      if (top.kind == Kind::array) {
        Value::Array& items = *top.value.if_array();
        if (top.indefinite && !check_indefinite_count(top, items.size())) return;
        items.push_back(std::move(value));
      } else if (!top.has_key) {
        top.key = std::move(*value.if_string());
        top.has_key = true;
        return;
      } else {
        Value::Object& members = *top.value.if_object();
        if (top.indefinite && !check_indefinite_count(top, members.size())) return;
        if (!members.try_emplace(std::move(top.key), std::move(value)).second) {
          fail(codec_errc::malformed, "duplicate map key" + at_byte(top.key_start));
          return;
        }
        top.has_key = false;
      }
      if (top.indefinite || --top.remaining > 0) return;
      value = std::move(top.value);
      stack_.pop_back();
    }
    result_ = std::move(value);
    done_ = true;
  }

  bool check_indefinite_count(const Open& open, std::size_t count) {
    if (count < limits_.max_container_items) return true;
    return fail(codec_errc::too_large, std::string("indefinite-length ") + describe(open.kind) +
                                           " that starts" + at_byte(open.start) +
                                           " has more entries than the limit of " +
                                           std::to_string(limits_.max_container_items));
  }

  const std::uint8_t* data_;
  std::size_t size_;
  const DecodeLimits& limits_;
  std::size_t offset_ = 0;
  std::size_t item_start_ = 0;
  std::size_t reserve_budget_;
  bool tag_pending_ = false;
  std::vector<Open> stack_;
  std::optional<Error> error_;
  Value result_;
  bool done_ = false;
};

// Appends CBOR to `out`. Each head is encoded into a 9-byte stack buffer (the longest head)
// and appended in one step.
class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}

  void null() { put(cbor_encode_null(head_, sizeof head_)); }
  void boolean(bool b) { put(cbor_encode_bool(b, head_, sizeof head_)); }
  void integer(std::int64_t i) {
    if (i >= 0) {
      put(cbor_encode_uint(static_cast<std::uint64_t>(i), head_, sizeof head_));
    } else {
      // -1 - i cannot overflow for negative i, even for INT64_MIN.
      put(cbor_encode_negint(static_cast<std::uint64_t>(-1 - i), head_, sizeof head_));
    }
  }
  void unsigned_integer(std::uint64_t u) { put(cbor_encode_uint(u, head_, sizeof head_)); }
  void real(double d) { put(cbor_encode_double(d, head_, sizeof head_)); }
  bool text(const std::string& s) {
    if (!utf8::is_valid(s.data(), s.size())) return false;
    put(cbor_encode_string_start(s.size(), head_, sizeof head_));
    out_.insert(out_.end(), s.begin(), s.end());
    return true;
  }
  void binary(const Value::Binary& b) {
    put(cbor_encode_bytestring_start(b.size(), head_, sizeof head_));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void array_head(std::size_t count) { put(cbor_encode_array_start(count, head_, sizeof head_)); }
  void map_head(std::size_t count) { put(cbor_encode_map_start(count, head_, sizeof head_)); }

 private:
  void put(std::size_t written) {
    if (written == 1) {
      out_.push_back(head_[0]);
    } else {
      out_.insert(out_.end(), head_, head_ + written);
    }
  }

  std::vector<std::uint8_t>& out_;
  unsigned char head_[9];
};

Error not_utf8(const char* what) {
  return Error{codec_errc::not_encodable,
               std::string(what) + " is not valid UTF-8; CBOR text must be (send bytes as binary)"};
}

// Writes `root` depth-first with an explicit stack, so that deep values cannot exhaust the C++
// stack. An array's open entry uses the item iterators and an object's the member iterators;
// the unused pair is value-initialized and so compares equal.
Status write_value(const Value& root, Writer& writer) {
  struct OpenContainer {
    Value::Array::const_iterator next_item, end_item;
    Value::Object::const_iterator next_member, end_member;
  };
  std::vector<OpenContainer> open;
  const Value* next = &root;
  while (next) {
    switch (next->type()) {
      case Value::Type::null:
        writer.null();
        break;
      case Value::Type::boolean:
        writer.boolean(next->to_bool().value());
        break;
      case Value::Type::int64:
        writer.integer(next->to_int64().value());
        break;
      case Value::Type::uint64:
        writer.unsigned_integer(next->to_uint64().value());
        break;
      case Value::Type::real:
        writer.real(next->to_double().value());
        break;
      case Value::Type::string:
        if (!writer.text(*next->if_string())) return not_utf8("a string");
        break;
      case Value::Type::binary:
        writer.binary(*next->if_binary());
        break;
      case Value::Type::array: {
        const Value::Array& items = *next->if_array();
        writer.array_head(items.size());
        open.push_back(OpenContainer{items.begin(), items.end(), {}, {}});
        break;
      }
      case Value::Type::object: {
        const Value::Object& members = *next->if_object();
        writer.map_head(members.size());
        open.push_back(OpenContainer{{}, {}, members.begin(), members.end()});
        break;
      }
    }
    next = nullptr;
    while (!next && !open.empty()) {
      OpenContainer& top = open.back();
      if (top.next_item != top.end_item) {
        next = &*top.next_item++;
      } else if (top.next_member != top.end_member) {
        if (!writer.text(top.next_member->first)) return not_utf8("an object key");
        next = &top.next_member->second;
        ++top.next_member;
      } else {
        open.pop_back();
      }
    }
  }
  return {};
}

class CborSerializer final : public Serializer {
 public:
  std::string_view name() const noexcept override { return "cbor"; }
  std::string_view websocket_subprotocol() const noexcept override { return "wamp.2.cbor"; }
  std::uint8_t rawsocket_id() const noexcept override { return 3; }
  bool is_text() const noexcept override { return false; }

  Status encode(const Value& value, std::vector<std::uint8_t>& out) const override {
    return append_all_or_nothing(out, [&] {
      Writer writer(out);
      return write_value(value, writer);
    });
  }

  Result<Value> decode(const std::uint8_t* data, std::size_t size,
                       const DecodeLimits& limits) const override {
    return Decoder(data, size, limits).run();
  }
};

}  // namespace

const Serializer& cbor_serializer() noexcept {
  static const CborSerializer serializer;
  return serializer;
}

}  // namespace uvwamp
