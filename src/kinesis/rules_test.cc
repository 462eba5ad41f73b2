// The checks before a stream changes: each refusal with its code, and the edges that pass.
#include "kinesis/rules.h"

#include <gtest/gtest.h>

namespace spate::kinesis {
namespace {

const stream_facts stream{"s", "000000000000"};

TEST(Rules, SplitNeedsAnOpenShardAndAKeyStrictlyInside) {
  const shard_facts shard{"shardId-000000000000", {100, 200}, true};
  EXPECT_FALSE(check_split(stream, shard, 102));
  EXPECT_FALSE(check_split(stream, shard, 199));
  for (uint128 key : {uint128{100}, uint128{101}, uint128{200}, uint128{300}}) {
    const auto refused = check_split(stream, shard, key);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->code, error_code::invalid_argument);
    EXPECT_NE(refused->message.find("is not both greater than one plus"), std::string::npos);
  }
  const shard_facts closed{"shardId-000000000000", {100, 200}, false};
  const auto refused = check_split(stream, closed, 150);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->message.find("not eligible for splitting."), std::string::npos);
}

TEST(Rules, MergeNeedsTwoOpenAdjacentShards) {
  const shard_facts a{"shardId-000000000000", {0, 9}, true};
  const shard_facts b{"shardId-000000000001", {10, 20}, true};
  const shard_facts c{"shardId-000000000002", {21, 30}, true};
  EXPECT_FALSE(check_merge(stream, a, b));
  EXPECT_FALSE(check_merge(stream, b, a));
  ASSERT_TRUE(check_merge(stream, a, c));
  EXPECT_NE(check_merge(stream, a, c)->message.find("are not an adjacent pair"), std::string::npos);
  ASSERT_TRUE(check_merge(stream, a, a));
  const shard_facts closed{"shardId-000000000001", {10, 20}, false};
  ASSERT_TRUE(check_merge(stream, a, closed));
  EXPECT_NE(check_merge(stream, a, closed)->message.find("not eligible for merging"),
            std::string::npos);
}

TEST(Rules, ShardCountStaysWithinHalfDoubleAndTheLimit) {
  EXPECT_FALSE(check_shard_count(4, 8, 4, 500));
  EXPECT_FALSE(check_shard_count(4, 2, 4, 500));
  EXPECT_EQ(check_shard_count(4, 9, 4, 500)->code, error_code::limit_exceeded);
  EXPECT_EQ(check_shard_count(4, 1, 4, 500)->code, error_code::limit_exceeded);
  EXPECT_NE(check_shard_count(4, 8, 498, 500)->message.find("cannot be greater than 500"),
            std::string::npos);
  EXPECT_FALSE(check_shard_count(4, 8, 496, 500));
}

TEST(Rules, ShardLimitCountsTheAdditionalShards) {
  EXPECT_FALSE(check_shard_limit("1", "r", 499, 1, 500));
  const auto refused = check_shard_limit("1", "r", 499, 2, 500);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, error_code::limit_exceeded);
  EXPECT_NE(refused->message.find("Current shard count for the account: 499. Limit: 500."),
            std::string::npos);
}

TEST(Rules, RetentionIsBetweenADayAndAYearAndMovesOneWay) {
  EXPECT_FALSE(check_retention_hours(24));
  EXPECT_FALSE(check_retention_hours(8760));
  EXPECT_TRUE(check_retention_hours(23));
  EXPECT_TRUE(check_retention_hours(8761));
  EXPECT_FALSE(check_retention_change(retention_direction::increase, 48, "s", 48));
  EXPECT_TRUE(check_retention_change(retention_direction::increase, 24, "s", 48));
  EXPECT_TRUE(check_retention_change(retention_direction::decrease, 72, "s", 48));
  EXPECT_NE(check_retention_change(retention_direction::decrease, 72, "s", 48)
                ->message.find("Use IncreaseRetentionPeriod API."),
            std::string::npos);
}

TEST(Rules, TagCharactersAreAwsOnes) {
  EXPECT_FALSE(check_tag_characters({"team", "a b_c.d/e=f+g-h%i@j", "\xc3\xa9t\xc3\xa9"}));
  EXPECT_TRUE(check_tag_characters({"ok", "semi;colon"}));
  EXPECT_TRUE(check_tag_characters({"star*"}));
}

}  // namespace
}  // namespace spate::kinesis
