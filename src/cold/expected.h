#pragma once

#include <system_error>
#include <utility>
#include <variant>

namespace corecached::cold {

// Expected<T>: a value or a std::error_code, the part of C++23 std::expected the cold tier needs
// (GCC 12 has none in C++20). STYLE.md 6.5: I/O layers return Expected<T, std::error_code>.
// Kept in cold/ because it is the only user today; move it to core/ when a second module needs it.
//
// Thread: one thread at a time (plain value type).
template <typename T>
class Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}     // NOLINT(google-explicit-constructor)
  Expected(std::error_code error) : v_(error) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool HasValue() const { return v_.index() == 0; }
  explicit operator bool() const { return HasValue(); }
  [[nodiscard]] T& Value() { return std::get<0>(v_); }
  [[nodiscard]] const T& Value() const { return std::get<0>(v_); }
  T& operator*() { return Value(); }
  T* operator->() { return &Value(); }
  [[nodiscard]] std::error_code Error() const {
    return HasValue() ? std::error_code() : std::get<1>(v_);
  }

 private:
  std::variant<T, std::error_code> v_;
};

}  // namespace corecached::cold
