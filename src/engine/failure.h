// failure: how the engine reports an expected failure to the API layer, as a value.
//
// Kinesis errors carry a message naming the stream, shard or number at fault, so an engine
// failure is a Kinesis error code (kinesis::name() gives its AWS `__type`, http_status() its
// status) plus the message the client will read. `outcome<T>` is the engine's return
// type at its boundary: a T or a failure.
#pragma once

#include "kinesis/errors.h"

#include <boost/system/result.hpp>

#include <string>
#include <system_error>
#include <utility>

namespace spate::engine {

// The kinds are Kinesis's error codes (kinesis/errors.h); the engine uses these:
// resource_not_found (stream, shard or consumer missing or unusable), resource_in_use (exists
// already, or not ACTIVE for this change), limit_exceeded, invalid_argument (well-formed but
// wrong for this resource), expired_iterator, expired_next_token, throughput_exceeded (a record
// over its shard's write limit), internal (storage or catalog I/O failed).
using failure_kind = kinesis::error_code;

struct failure {
  failure_kind kind;
  std::string message;
};

// A rule of kinesis/rules.h or a message of kinesis/errors.h, as the engine's failure.
inline failure to_failure(kinesis::violation v) {
  return {v.code, std::move(v.message)};
}

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
