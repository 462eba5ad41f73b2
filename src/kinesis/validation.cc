// The wording of ValidationException, and the plain member checks.
#include "kinesis/validation.h"

#include "kinesis/identifiers.h"
#include "kinesis/limits.h"

#include <fmt/format.h>

#include <algorithm>

namespace spate::kinesis::validation {

namespace {

constexpr std::size_t max_listed = 10;

std::int64_t code_points(std::string_view text) {
  return static_cast<std::int64_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::string must_not_be_null() {
  return "Member must not be null";
}

std::string enum_set(const std::vector<std::string_view>& values) {
  return fmt::format("Member must satisfy enum value set: [{}]", fmt::join(values, ", "));
}

std::string pattern(std::string_view text) {
  return fmt::format("Member must satisfy regular expression pattern: {}", text);
}

std::string length_at_least(std::int64_t n) {
  return fmt::format("Member must have length greater than or equal to {}", n);
}

std::string length_at_most(std::int64_t n) {
  return fmt::format("Member must have length less than or equal to {}", n);
}

std::string value_at_least(std::int64_t n) {
  return fmt::format("Member must have value greater than or equal to {}", n);
}

std::string value_at_most(std::int64_t n) {
  return fmt::format("Member must have value less than or equal to {}", n);
}

std::string failure(std::string_view printed_value, std::string_view path,
                    std::string_view constraint) {
  return fmt::format("Value {} at '{}' failed to satisfy constraint: {}", printed_value, path,
                     constraint);
}

violation failed(const std::vector<std::string>& failures) {
  const std::size_t n = std::min(failures.size(), max_listed);
  std::string message = fmt::format("{} validation error{} detected: ", n, n == 1 ? "" : "s");
  for (std::size_t i = 0; i < n; ++i) {
    if (i) message += "; ";
    message += failures[i];
  }
  return {error_code::validation, std::move(message)};
}

bool decimal_pattern(std::string_view text, std::size_t max_digits) {
  if (text == "0") return true;
  if (text.empty() || text.size() > max_digits || text[0] < '1' || text[0] > '9') return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> check_string(std::string_view value, std::string_view path,
                                      const string_rule& rule) {
  std::vector<std::string> out;
  const std::string printed = fmt::format("'{}'", value);
  if (rule.matches && !rule.matches(value)) {
    out.push_back(failure(printed, path, pattern(rule.pattern_text)));
  }
  const std::int64_t length = code_points(value);
  if (rule.min_length && length < *rule.min_length) {
    out.push_back(failure(printed, path, length_at_least(*rule.min_length)));
  }
  if (rule.max_length && length > *rule.max_length) {
    out.push_back(failure(printed, path, length_at_most(*rule.max_length)));
  }
  return out;
}

std::vector<std::string> check_integer(std::int64_t value, std::string_view path,
                                       std::optional<std::int64_t> min,
                                       std::optional<std::int64_t> max) {
  std::vector<std::string> out;
  const std::string printed = fmt::format("'{}'", value);
  if (min && value < *min) out.push_back(failure(printed, path, value_at_least(*min)));
  if (max && value > *max) out.push_back(failure(printed, path, value_at_most(*max)));
  return out;
}

string_rule hash_key_rule() {
  return {
      [](std::string_view text) { return decimal_pattern(text, 39); }, hash_key_pattern, {}, {}};
}

string_rule name_rule() {
  return {&name_characters, name_pattern, 1, static_cast<std::int64_t>(max_name_length)};
}

}  // namespace spate::kinesis::validation
