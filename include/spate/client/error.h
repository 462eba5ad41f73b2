// error and outcome<T>: how every call of the Spate client library reports failure.
//
// A failed call returns an `error` value, never throws. `code` is an `error_code`: the AWS
// error the server answered (ResourceNotFoundException, ProvisionedThroughputExceededException,
// ...) or one the client raised itself (connection, timeout, ...). `name()` is the AWS name as a
// string, also for an AWS error this client has no code for (code `unknown`). `http_status` is
// 0 when no answer arrived. `outcome<T>` holds a T or an error (std::expected is C++23; this is
// the C++20 stand-in).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace spate::client {

enum class error_code {
  unknown,  // an AWS error this client has no code for: error::name() says which
  // Kinesis Data Streams' errors (the API reference's list).
  access_denied,                    // AccessDeniedException
  expired_iterator,                 // ExpiredIteratorException
  expired_next_token,               // ExpiredNextTokenException
  internal_failure,                 // InternalFailure (InternalFailureException in events)
  invalid_argument,                 // InvalidArgumentException
  kms_access_denied,                // KMSAccessDeniedException
  kms_disabled,                     // KMSDisabledException
  kms_invalid_state,                // KMSInvalidStateException
  kms_not_found,                    // KMSNotFoundException
  kms_opt_in_required,              // KMSOptInRequired
  kms_throttling,                   // KMSThrottlingException
  limit_exceeded,                   // LimitExceededException
  provisioned_throughput_exceeded,  // ProvisionedThroughputExceededException
  resource_in_use,                  // ResourceInUseException
  resource_not_found,               // ResourceNotFoundException
  validation,                       // ValidationException
  // Errors every AWS JSON service answers (protocol, authentication, availability).
  serialization,                 // SerializationException
  unknown_operation,             // UnknownOperationException
  missing_authentication_token,  // MissingAuthenticationTokenException
  incomplete_signature,          // IncompleteSignatureException
  invalid_signature,             // InvalidSignatureException
  unrecognized_client,           // UnrecognizedClientException
  throttling,                    // ThrottlingException
  service_unavailable,           // ServiceUnavailable
  // The client's own (no AWS answer behind them).
  connection,        // ConnectionError: connect/read/write failed
  timeout,           // RequestTimeout: no answer within the timeout
  bad_response,      // BadResponse: an answer that does not decode
  queue_full,        // QueueFull: producer queue at its bound
  closed,            // Closed: object already closed
  invalid_option,    // InvalidOption: bad options or arguments
  checkpoint_store,  // CheckpointStoreError
  record_expired,    // RecordExpired: the producer gave up on a record
  handler_failed,    // HandlerError: the consumer's record handler threw
  not_implemented,   // NotImplemented: this implementation of `kinesis` lacks the action
};

// The name of `code`, as AWS writes it ("ResourceNotFoundException"); "" for `unknown`.
std::string_view to_string(error_code code);
// The code named `name` (with or without a "namespace#" prefix); `unknown` if none is.
error_code parse_error_code(std::string_view name);

struct error {
  error() = default;
  error(error_code c, std::string msg = {}, int status = 0)  // NOLINT: error{code, "..."}
      : code(c), message(std::move(msg)), http_status(status) {}
  // An error as an AWS answer names it; an unknown name is kept for name().
  static error from_name(std::string_view name, std::string message, int http_status);

  error_code code = error_code::unknown;
  std::string message;     // human-readable detail
  int http_status = 0;     // 0 when the failure happened before an HTTP answer
  std::string request_id;  // the answer's x-amzn-RequestId, when an answer carried one

  // AWS's name of the error ("ResourceNotFoundException"), or the client code's name.
  std::string_view name() const;
  // Throttling, 5xx and connection failures: worth retrying with backoff.
  bool retryable() const;
  // One line for logs and the CLI: "name: message".
  std::string to_string() const;

 private:
  std::string unknown_name_;  // set only when code == unknown
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
