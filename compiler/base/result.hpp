// Result<T, E>: a value or an error, with std::expected's member names so a later move to
// C++23 is a rename. Our code does not throw; fallible functions return this.
#pragma once

#include <cassert>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "compiler/base/error.hpp"

namespace vmforge {

template <class E>
class Unexpected {
 public:
  explicit Unexpected(E error) : error_(std::move(error)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

/// Wraps an error so it converts into any Result<T, E>.
template <class E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
  return Unexpected<std::decay_t<E>>(std::forward<E>(error));
}

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  using value_type = T;
  using error_type = E;

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  template <class U>
  Result(Unexpected<U> error)  // NOLINT: implicit by design
      : state_(std::in_place_index<1>, E(std::move(error).error())) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & {
    assert(!has_value());
    return std::get<1>(state_);
  }
  const E& error() const& {
    assert(!has_value());
    return std::get<1>(state_);
  }
  E&& error() && {
    assert(!has_value());
    return std::get<1>(std::move(state_));
  }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  Result() = default;
  template <class U>
  Result(Unexpected<U> error)  // NOLINT: implicit by design
      : error_(E(std::move(error).error())), failed_(true) {}

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const { assert(has_value()); }

  E& error() & {
    assert(failed_);
    return error_;
  }
  const E& error() const& {
    assert(failed_);
    return error_;
  }
  E&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace vmforge

#define VMFORGE_CONCAT_INNER_(a, b) a##b
#define VMFORGE_CONCAT_(a, b) VMFORGE_CONCAT_INNER_(a, b)

/// `VMFORGE_TRY(auto x, expr);` binds the value of a Result or returns its error.
#define VMFORGE_TRY(decl, expr)                                                               \
  auto&& VMFORGE_CONCAT_(vmforge_try_, __LINE__) = (expr);                                    \
  if (!VMFORGE_CONCAT_(vmforge_try_, __LINE__))                                               \
    return ::vmforge::unexpected(std::move(VMFORGE_CONCAT_(vmforge_try_, __LINE__)).error()); \
  decl = std::move(*VMFORGE_CONCAT_(vmforge_try_, __LINE__))

/// `VMFORGE_TRY_VOID(expr);` returns the error of a Result<void> (or any Result) if it failed.
#define VMFORGE_TRY_VOID(expr)                                                                  \
  do {                                                                                          \
    auto&& vmforge_try_void_ = (expr);                                                          \
    if (!vmforge_try_void_) return ::vmforge::unexpected(std::move(vmforge_try_void_).error()); \
  } while (false)
