// error and outcome<T>: how every call of the Spate client library reports failure.
//
// A failed call returns an `error` value, never throws: `code` is the AWS error name the
// server answered (`ResourceNotFoundException`, `ProvisionedThroughputExceededException`, ...)
// or one of the client's own codes below; `http_status` is 0 when no answer arrived.
// `outcome<T>` holds a T or an error (std::expected is C++23; this is the C++20 stand-in).
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace spate::client {

// Codes the client itself produces (no AWS answer behind them).
namespace client_error {
inline constexpr const char* connection = "ConnectionError";    // connect/read/write failed
inline constexpr const char* timeout = "RequestTimeout";        // no answer within the timeout
inline constexpr const char* bad_response = "BadResponse";      // unparseable answer
inline constexpr const char* queue_full = "QueueFull";          // producer queue at its bound
inline constexpr const char* closed = "Closed";                 // object already closed
inline constexpr const char* invalid_option = "InvalidOption";  // bad options or arguments
inline constexpr const char* checkpoint_store = "CheckpointStoreError";
inline constexpr const char* expired = "RecordExpired";  // producer gave up on a record
}  // namespace client_error

struct error {
  std::string code;     // AWS __type (without namespace prefix) or a client_error code
  std::string message;  // human-readable detail
  int http_status = 0;  // 0 when the failure happened before an HTTP answer

  // Throttling, 5xx and connection failures: worth retrying with backoff.
  bool retryable() const;
  // One line for logs and the CLI: "code: message".
  std::string to_string() const;
};

template <class T>
class [[nodiscard]] outcome {
 public:
  outcome(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  outcome(error err) : state_(std::in_place_index<1>, std::move(err)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, error> state_;
};

// outcome<void>: success carries nothing.
struct ok_t {};
template <>
class [[nodiscard]] outcome<void> {
 public:
  outcome() = default;
  outcome(ok_t) {}                                             // NOLINT
  outcome(error err) : err_(std::move(err)), failed_(true) {}  // NOLINT
  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const error& err() const {
    assert(failed_);
    return err_;
  }

 private:
  error err_;
  bool failed_ = false;
};

}  // namespace spate::client
