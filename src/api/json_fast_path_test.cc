// Tests of the PutRecords fast path's parser: what it reads from a boto3-shaped body, and the
// bodies it declines so the generic path answers them (fuzz/json_fast_path.cc checks the two
// paths agree on everything it accepts).
#include "api/json_fast_path.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::api {
namespace {

TEST(JsonFastPath, ReadsRecordsWithDecodedDataAndKeys) {
  parsed_put_records p;
  ASSERT_TRUE(parse_put_records_json(
      R"({"Records":[{"Data":"aGk=","PartitionKey":"a"},)"
      R"({"PartitionKey":"b","Data":"","ExplicitHashKey":"7"}],"StreamName":"s"})",
      p));
  EXPECT_EQ(p.stream_name, "s");
  EXPECT_FALSE(p.stream_arn);
  ASSERT_EQ(p.records.size(), 2u);
  EXPECT_EQ(p.records[0].data, "hi");
  EXPECT_EQ(p.records[0].partition_key, "a");
  EXPECT_FALSE(p.records[0].explicit_hash_key);
  EXPECT_EQ(p.records[1].data, "");
  EXPECT_EQ(p.records[1].partition_key, "b");
  EXPECT_EQ(p.records[1].explicit_hash_key, "7");
}

TEST(JsonFastPath, ViewsOutliveTheNextParseOfAnotherObject) {
  parsed_put_records first, second;
  ASSERT_TRUE(
      parse_put_records_json(R"({"Records":[{"Data":"eA==","PartitionKey":"k1"}]})", first));
  ASSERT_TRUE(
      parse_put_records_json(R"({"Records":[{"Data":"eQ==","PartitionKey":"k2"}]})", second));
  EXPECT_EQ(first.records[0].partition_key, "k1");
  EXPECT_EQ(first.records[0].data, "x");
  EXPECT_EQ(second.records[0].partition_key, "k2");
}

TEST(JsonFastPath, DeclinesWhatTheGenericPathMustAnswer) {
  parsed_put_records p;
  for (const std::string body : {
           R"({"StreamName":"s"})",                                          // no Records
           R"({"Records":[],"StreamName":"s"})",                             // too few
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a"}],"Extra":1})",  // unknown member
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a"}],"StreamName":null})",  // null
           R"({"Records":[{"Data":"aGk","PartitionKey":"a"}]})",                     // bad base64
           R"({"Records":[{"Data":"aGk=","PartitionKey":""}]})",                     // empty key
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a","ExplicitHashKey":"x"}]})",
           R"({"Records":[{"Data":"a-k=","Data":"aGk=","PartitionKey":"a"}]})",  // repeated
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a","PartitionKey":"b"}]})",
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a"}],"StreamName":"s","StreamName":"t"})",
           R"({"Records":[{"Data":"aGk=","PartitionKey":"a"}],"Records":[]})",
           "not json",
       }) {
    EXPECT_FALSE(parse_put_records_json(body, p)) << body;
  }
}

}  // namespace
}  // namespace spate::api
