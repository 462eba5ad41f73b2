// validation: how AWS words a ValidationException. Each member constraint a request fails is
// one "Value <value> at '<member path>' failed to satisfy constraint: <constraint>"; the
// exception lists them, at most ten, after "N validation error(s) detected: ". A member's
// checks run in one order: enum, pattern, minimum and maximum length, minimum and maximum
// value. spated's schema checks (api/schema) and the client's fake_stream word every such
// failure here, and check a plain string or integer member with the helpers below.
#pragma once

#include "kinesis/errors.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::kinesis::validation {

// The patterns as AWS prints them.
inline constexpr std::string_view name_pattern = "[a-zA-Z0-9_.-]+";
inline constexpr std::string_view hash_key_pattern = "0|([1-9]\\d{0,38})";
inline constexpr std::string_view sequence_number_pattern = "0|([1-9]\\d{0,128})";

// ---- constraints ----------------------------------------------------------------------------
std::string must_not_be_null();
std::string enum_set(const std::vector<std::string_view>& values);
std::string pattern(std::string_view text);
std::string length_at_least(std::int64_t n);
std::string length_at_most(std::int64_t n);
std::string value_at_least(std::int64_t n);
std::string value_at_most(std::int64_t n);

// One failed constraint; `printed_value` as AWS prints it ('text', 'N', null, ...).
std::string failure(std::string_view printed_value, std::string_view path,
                    std::string_view constraint);
// The ValidationException listing `failures` (the first ten).
violation failed(const std::vector<std::string>& failures);

// ---- members ----------------------------------------------------------------------------------
// Whether a decimal matches hash_key_pattern (`max_digits` 39) or sequence_number_pattern (129).
bool decimal_pattern(std::string_view text, std::size_t max_digits);

// A string member's failures, in AWS's order: `matches` (with `pattern_text`) if given, then
// the length in characters (UTF-8 code points).
struct string_rule {
  bool (*matches)(std::string_view) = nullptr;
  std::string_view pattern_text;
  std::optional<std::int64_t> min_length;
  std::optional<std::int64_t> max_length;
};
std::vector<std::string> check_string(std::string_view value, std::string_view path,
                                      const string_rule& rule);
// An integer member's failures: below `min`, above `max`.
std::vector<std::string> check_integer(std::int64_t value, std::string_view path,
                                       std::optional<std::int64_t> min,
                                       std::optional<std::int64_t> max);

// Stream and consumer names: the pattern, 1 to 128 characters.
string_rule name_rule();
// Hash keys (ExplicitHashKey, NewStartingHashKey): hash_key_pattern, no length of their own.
string_rule hash_key_rule();

}  // namespace spate::kinesis::validation
