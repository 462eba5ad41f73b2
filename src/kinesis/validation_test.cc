// ValidationException's wording and the plain member checks, against AWS's texts.
#include "kinesis/validation.h"

#include <gtest/gtest.h>

namespace spate::kinesis::validation {
namespace {

TEST(Validation, OneFailureIsWordedAsAws) {
  const auto v = failed(check_string("a b", "streamName", name_rule()));
  EXPECT_EQ(v.code, error_code::validation);
  EXPECT_EQ(v.message,
            "1 validation error detected: Value 'a b' at 'streamName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+");
}

TEST(Validation, AnEmptyNameFailsPatternThenLength) {
  const auto failures = check_string("", "streamName", name_rule());
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_NE(failures[0].find("regular expression pattern"), std::string::npos);
  EXPECT_NE(failures[1].find("Member must have length greater than or equal to 1"),
            std::string::npos);
  EXPECT_EQ(failed(failures).message.rfind("2 validation errors detected: ", 0), 0u);
}

TEST(Validation, LengthsCountCharactersNotBytes) {
  const string_rule key{nullptr, {}, 1, 2};
  EXPECT_TRUE(check_string("\xc3\xa9\xc3\xa9", "partitionKey", key).empty());
  EXPECT_EQ(check_string("\xc3\xa9\xc3\xa9\xc3\xa9", "partitionKey", key).size(), 1u);
}

TEST(Validation, IntegersAndTheTenListed) {
  EXPECT_EQ(check_integer(0, "limit", 1, 10000)[0],
            "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater "
            "than or equal to 1");
  EXPECT_TRUE(check_integer(10000, "limit", 1, 10000).empty());
  std::vector<std::string> many(12, "x");
  EXPECT_EQ(failed(many).message.rfind("10 validation errors detected: ", 0), 0u);
}

TEST(Validation, DecimalPatterns) {
  EXPECT_TRUE(decimal_pattern("0", 39));
  EXPECT_TRUE(decimal_pattern(std::string(39, '9'), 39));
  EXPECT_FALSE(decimal_pattern(std::string(40, '9'), 39));
  EXPECT_FALSE(decimal_pattern("01", 39));
  EXPECT_FALSE(decimal_pattern("", 39));
  EXPECT_FALSE(decimal_pattern("1x", 39));
}

}  // namespace
}  // namespace spate::kinesis::validation
