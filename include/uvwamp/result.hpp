// uvwamp: results that carry either a value or an error.
//
// Every fallible operation in uvwamp returns a Result<T> (or a Status, which is Result<void>):
// the receive path never throws, and an error always carries a std::error_code from the
// category of the layer that raised it plus a sentence for people ("CALL: Options must
// be an object, got string"). The client's requests complete with a Result whose error is a
// WampError instead (client.hpp), which adds the WAMP error URI and payload.
#pragma once

#include <string>
#include <system_error>
#include <utility>
#include <variant>

namespace uvwamp {

struct Error {
  std::error_code code;
  std::string message;
};

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Reading the value of a failed result throws std::bad_variant_access: a programming error,
  // but never undefined behaviour.
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const E& error() const noexcept { return error_; }

 private:
  E error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace uvwamp
