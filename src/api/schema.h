// schema: the request shapes of the Kinesis actions and the two checks AWS runs on them, in
// AWS's order: type conversion (SerializationException: wrong JSON type, bad base64) and then
// member constraints (ValidationException: "N validation errors detected: Value 'x' at
// 'memberName' failed to satisfy constraint: ...", at most 10 listed).
//
// `normalize` converts in place what it checks: base64 strings become blobs (a codec's byte
// strings already are), numbers for integer members are truncated to int32 as AWS does,
// timestamps (JSON: epoch seconds; CBOR: tag 1 or numbers, epoch milliseconds) become integer
// milliseconds, and null members are removed. Actions then read typed values.
//
// Each action declares its shape once (in its own file), with members listed in the order
// AWS reports their validation errors.
#pragma once

#include "api/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::api {

enum class member_type { string, integer, boolean, blob, timestamp, list, map, structure };

// The string patterns Kinesis members use; checked by hand-written matchers (no regex engine
// on the request path). `text` is the pattern as AWS prints it.
enum class pattern {
  none,
  name,             // [a-zA-Z0-9_.-]+
  hash_key,         // 0|([1-9]\d{0,38})
  sequence_number,  // 0|([1-9]\d{0,128})
  stream_arn,       // arn:aws.*:kinesis:.*:\d{12}:stream/\S+
  resource_arn,     // arn:aws.*:kinesis:.*:\d{12}:.*stream/\S+
  consumer_arn,     // ^(arn):aws.*:kinesis:.*:\d{12}:.*stream/NAME/consumer/NAME:[0-9]+
};

struct shape;

struct member {
  std::string_view name;  // wire name, e.g. "StreamName"
  member_type type = member_type::string;
  bool required = false;
  std::optional<std::int64_t> min_length;  // characters, bytes, elements
  std::optional<std::int64_t> max_length;
  std::optional<std::int64_t> min_value;
  std::optional<std::int64_t> max_value;
  pattern matches = pattern::none;
  std::vector<std::string_view> one_of;  // enum values, in the order AWS prints them (for a
                                         // list of strings: each element's)
  const shape* element = nullptr;        // list elements / structure members (nullptr: strings)
  // Maps (tags): key and value lengths.
  std::int64_t map_key_max = 128;
  std::int64_t map_value_max = 256;
  std::string_view java_type;  // list-of-structure element class, printed in messages
};

struct shape {
  std::vector<member> members;
};

struct schema_error {
  bool serialization = false;  // SerializationException, else ValidationException
  std::string message;
};

// How a plain number in a timestamp member counts time: JSON sends epoch seconds (with a
// fraction), CBOR epoch milliseconds (AWS's CBOR convention, see cbor_codec.h). A timestamp
// value (CBOR tag 1) is milliseconds whatever this says.
enum class number_time { epoch_seconds, epoch_millis };

// Type conversion; the first wrong member stops it.
std::optional<schema_error> normalize(value& request, const shape& s,
                                      number_time numbers = number_time::epoch_seconds);
// Constraint validation of a normalized request.
std::optional<schema_error> validate(const value& request, const shape& s);

// Kinesis's lengths for the names every action shares.
inline constexpr std::int64_t max_stream_name_chars = 128;  // also shard ids
inline constexpr std::int64_t max_stream_arn_chars = 2048;

// A reusable member definition for StreamName / StreamARN (optional, as in today's model).
member stream_name_member(bool required = false);
member stream_arn_member(bool required = false);
member shard_id_member(std::string_view name, bool required);

bool matches_pattern(pattern p, std::string_view text);
// Length as AWS counts a string's: in characters (UTF-8 code points).
std::size_t utf8_length(std::string_view text);
std::string_view pattern_text(pattern p);

}  // namespace spate::api
