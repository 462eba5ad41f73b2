// failure: how the engine reports an expected failure to the API layer, as a value.
//
// Kinesis errors carry a message naming the stream, shard or number at fault, so an engine
// failure is a kind (which the API layer alone maps to an AWS `__type` and HTTP status, see
// api/errors.h) plus the message the client will read. `outcome<T>` is the engine's return
// type at its boundary: a T or a failure.
#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <system_error>
#include <utility>

namespace spate::engine {

enum class failure_kind {
  resource_not_found,  // stream, shard or consumer does not exist (or not in a usable state)
  resource_in_use,     // exists already, or is not ACTIVE for this change
  limit_exceeded,      // shard limit, resharding limits
  invalid_argument,    // well-formed but wrong for this resource (other shard's number, ...)
  expired_iterator,    // shard iterator older than the iterator lifetime
  expired_next_token,  // pagination token older than its lifetime
  throughput_exceeded, // a record over its shard's write limit
  internal,            // storage or catalog I/O failed
};

struct failure {
  failure_kind kind;
  std::string message;
};

// Turns a lower layer's error code into an internal failure that says what was being done.
inline failure internal_failure(std::string_view doing, std::error_code ec) {
  return {failure_kind::internal, std::string(doing) + ": " + ec.message()};
}

template <class T = void>
using outcome = boost::system::result<T, failure>;

// boost::system::result throws through this when value() is called on a failure; the engine
// never does that (it checks first), so reaching it is a bug.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

}  // namespace spate::engine
