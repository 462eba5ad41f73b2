// schema: AWS's SerializationException and ValidationException messages, member by member.
#include "api/schema.h"

#include "api/json_codec.h"

#include <gtest/gtest.h>

namespace spate::api {
namespace {

const shape entry{{
    {.name = "PartitionKey", .required = true, .min_length = 1, .max_length = 256},
    {.name = "Data", .type = member_type::blob, .required = true, .max_length = 4},
}};
const shape request{{
    {.name = "Records",
     .type = member_type::list,
     .required = true,
     .min_length = 1,
     .max_length = 2,
     .element = &entry},
    {.name = "Limit", .type = member_type::integer, .min_value = 1, .max_value = 10},
    stream_name_member(true),
}};

std::optional<schema_error> check(std::string_view json) {
  auto v = decode_json(json);
  EXPECT_TRUE(v);
  if (auto e = normalize(*v, request)) return e;
  return validate(*v, request);
}

TEST(SchemaTest, AcceptsAValidRequest) {
  EXPECT_FALSE(check(R"({"Records":[{"PartitionKey":"k","Data":"AAE="}],"StreamName":"s"})"));
}

TEST(SchemaTest, ReportsEveryConstraintInAwsForm) {
  auto e = check(R"({"Records":[{"PartitionKey":"","Data":"AAAAAAAA"}],"StreamName":""})");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->serialization);
  EXPECT_EQ(e->message,
            "4 validation errors detected: "
            "Value '' at 'records.1.member.partitionKey' failed to satisfy constraint: Member "
            "must have length greater than or equal to 1; "
            "Value 'java.nio.HeapByteBuffer[pos=0 lim=6 cap=6]' at 'records.1.member.data' failed "
            "to satisfy constraint: Member must have length less than or equal to 4; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+; "
            "Value '' at 'streamName' failed to satisfy constraint: Member must have length "
            "greater than or equal to 1");
}

TEST(SchemaTest, MissingRequiredMembersAreNull) {
  auto e = check(R"({"Limit":11})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "3 validation errors detected: Value null at 'records' failed to satisfy constraint: "
            "Member must not be null; Value '11' at 'limit' failed to satisfy constraint: Member "
            "must have value less than or equal to 10; Value null at 'streamName' failed to "
            "satisfy constraint: Member must not be null");
}

TEST(SchemaTest, WrongTypesAreSerializationErrors) {
  auto e = check(R"({"Limit":"3","StreamName":"s","Records":[]})");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->serialization);
  EXPECT_EQ(e->message, "class java.lang.String can not be converted to an Integer");
  e = check(R"({"StreamName":true})");
  EXPECT_EQ(e->message, "class java.lang.Boolean can not be converted to an String");
  e = check(R"({"StreamName":{}})");
  EXPECT_EQ(e->message, "Start of structure or map found where not expected.");
  e = check(R"({"Records":[{"PartitionKey":"k","Data":"abc"}],"StreamName":"s"})");
  EXPECT_EQ(e->message,
            "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple "
            "of 4 bytes but found: 3");
}

TEST(SchemaTest, FractionalIntegersAreTruncatedAndNullsIgnored) {
  auto v = decode_json(
      R"({"Limit":3.9,"StreamName":"s","Records":[{"PartitionKey":"k","Data":""}],"X":null})");
  ASSERT_TRUE(v);
  ASSERT_FALSE(normalize(*v, request));
  EXPECT_EQ(v->find("Limit")->as_integer(), 3);
  EXPECT_EQ(v->find("X"), nullptr);
}

TEST(SchemaTest, PatternsMatchAsAwsPrintsThem) {
  EXPECT_TRUE(matches_pattern(pattern::hash_key, "0"));
  EXPECT_FALSE(matches_pattern(pattern::hash_key, "01"));
  EXPECT_TRUE(matches_pattern(pattern::hash_key, std::string(39, '9')));
  EXPECT_FALSE(matches_pattern(pattern::hash_key, std::string(40, '9')));
  EXPECT_TRUE(
      matches_pattern(pattern::stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/s"));
  EXPECT_FALSE(matches_pattern(pattern::stream_arn, "arn:aws:kinesis:us-east-1:0000:stream/s"));
  EXPECT_FALSE(
      matches_pattern(pattern::stream_arn, "arn:aws:kinesis:us-east-1:000000000000:stream/"));
}

}  // namespace
}  // namespace spate::api

namespace spate::api {
namespace {

// A list of enum strings (ShardLevelMetrics): every element must be in the set.
TEST(SchemaTest, ListOfEnumStringsChecksEachElement) {
  const shape metrics{{{.name = "ShardLevelMetrics",
                        .type = member_type::list,
                        .required = true,
                        .min_length = 1,
                        .one_of = {"IncomingBytes", "ALL"}}}};
  auto run = [&](std::string_view json) -> std::optional<schema_error> {
    auto v = decode_json(json);
    EXPECT_TRUE(v);
    if (auto e = normalize(*v, metrics)) return e;
    return validate(*v, metrics);
  };
  EXPECT_FALSE(run(R"({"ShardLevelMetrics":["ALL","IncomingBytes"]})"));
  auto e = run(R"({"ShardLevelMetrics":["IncomingBytes","Nope"]})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message,
            "1 validation error detected: Value '[IncomingBytes, Nope]' at 'shardLevelMetrics' "
            "failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy "
            "enum value set: [IncomingBytes, ALL]]");
}

}  // namespace
}  // namespace spate::api
