// result<T>: the one error-carrying return type at every layer boundary in Spate.
//
// Expected failures (not found, limits, CRC mismatch, I/O errors) travel as values: a
// `result<T>` holds either a T or a std::error_code from a module's `errc` enum or from errno
// (std::system_category). Exceptions are reserved for startup configuration errors.
#pragma once

#include <boost/system/result.hpp>

#include <cerrno>
#include <system_error>

namespace spate {

template <class T = void>
using result = boost::system::result<T, std::error_code>;

// The error of the last failed POSIX call, as a value.
inline std::error_code last_system_error() {
  return {errno, std::system_category()};
}

}  // namespace spate

// SPATE_TRY(lhs, expr): evaluates a result-returning expression and returns its error from the
// enclosing function, or moves its value into `lhs`.
#define SPATE_TRY_CONCAT_INNER(a, b) a##b
#define SPATE_TRY_CONCAT(a, b) SPATE_TRY_CONCAT_INNER(a, b)
#define SPATE_TRY(lhs, expr)                               \
  auto SPATE_TRY_CONCAT(spate_try_, __LINE__) = (expr);    \
  if (!SPATE_TRY_CONCAT(spate_try_, __LINE__)) {           \
    return SPATE_TRY_CONCAT(spate_try_, __LINE__).error(); \
  }                                                        \
  lhs = std::move(*SPATE_TRY_CONCAT(spate_try_, __LINE__))

// SPATE_TRY_VOID(expr): returns the error of a result<void> expression, if any.
#define SPATE_TRY_VOID(expr)                               \
  do {                                                     \
    if (auto spate_try_void_ = (expr); !spate_try_void_) { \
      return spate_try_void_.error();                      \
    }                                                      \
  } while (0)
