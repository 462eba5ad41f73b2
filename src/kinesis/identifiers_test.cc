// Shard ids in both readings, names, and ARNs in and out.
#include "kinesis/identifiers.h"

#include <gtest/gtest.h>

namespace spate::kinesis {
namespace {

TEST(Identifiers, ShardIdsHaveTwelveDigits) {
  EXPECT_EQ(shard_id(0), "shardId-000000000000");
  EXPECT_EQ(shard_id(123), "shardId-000000000123");
  EXPECT_EQ(parse_shard_id("shardId-000000000123"), 123u);
  EXPECT_FALSE(parse_shard_id("shardId-123"));
  EXPECT_FALSE(parse_shard_id("shardid-000000000123"));
  EXPECT_FALSE(parse_shard_id("shardId-00000000012x"));
  EXPECT_FALSE(parse_shard_id("shardId-999999999999")) << "above 2^32 - 1";
}

TEST(Identifiers, LenientShardIdsReadTheDigitsAfterTheFirstDash) {
  EXPECT_EQ(lenient_shard_index("shardId-5"), 5u);
  EXPECT_EQ(lenient_shard_index("5"), 5u);
  EXPECT_EQ(lenient_shard_index("x-00005"), 5u);
  EXPECT_EQ(lenient_shard_index("shardId-2147483647"), 2147483647u);
  EXPECT_FALSE(lenient_shard_index("shardId-2147483648"));
  EXPECT_FALSE(lenient_shard_index("shardId-"));
  EXPECT_FALSE(lenient_shard_index("shardId-1-2"));
  EXPECT_FALSE(lenient_shard_index(""));
}

TEST(Identifiers, NamesAreOneTo128OfAwsCharacters) {
  EXPECT_TRUE(valid_name("clicks_2026.v1-a"));
  EXPECT_TRUE(valid_name(std::string(128, 'a')));
  EXPECT_FALSE(valid_name(std::string(129, 'a')));
  EXPECT_FALSE(valid_name(""));
  EXPECT_FALSE(valid_name("a b"));
  EXPECT_FALSE(valid_name("a/b"));
}

TEST(Identifiers, StreamArnsRoundTrip) {
  const std::string arn = stream_arn("eu-west-1", "123456789012", "clicks");
  EXPECT_EQ(arn, "arn:aws:kinesis:eu-west-1:123456789012:stream/clicks");
  const auto parts = parse_stream_arn(arn);
  EXPECT_EQ(parts.region, "eu-west-1");
  EXPECT_EQ(parts.account, "123456789012");
  EXPECT_EQ(parts.name, "clicks");
  const auto other = parse_stream_arn("arn:aws-cn:kinesis:cn-north-1:1:stream/x");
  EXPECT_EQ(other.account, "1");
  EXPECT_EQ(other.name, "x");
  const auto not_arn = parse_stream_arn("clicks");
  EXPECT_EQ(not_arn.name, "clicks");
  EXPECT_EQ(not_arn.account, "");
}

TEST(Identifiers, ConsumerArnsNameStreamConsumerAndSeconds) {
  const std::string stream = stream_arn("us-east-1", "000000000000", "clicks");
  const std::string arn = consumer_arn(stream, "billing", 1'700'000'000'999);
  EXPECT_EQ(arn, stream + "/consumer/billing:1700000000");
  const auto parts = parse_consumer_arn(arn);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->stream_arn, stream);
  EXPECT_EQ(parts->consumer, "billing");
  EXPECT_EQ(parts->created_s, 1'700'000'000);
  EXPECT_FALSE(parse_consumer_arn(stream));
  EXPECT_FALSE(parse_consumer_arn(stream + "/consumer/:17"));
  EXPECT_FALSE(parse_consumer_arn(stream + "/consumer/billing:17x"));
  EXPECT_FALSE(parse_consumer_arn(stream + "/consumer/billing"));
}

}  // namespace
}  // namespace spate::kinesis
