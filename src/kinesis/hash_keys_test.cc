// Known vectors: MD5 digests from RFC 1321 and the shard ranges AWS reports for new streams.
#include "kinesis/hash_keys.h"

#include <gtest/gtest.h>

namespace spate::kinesis {
namespace {

uint128 dec(const char* s) {
  return *parse_uint128(s);
}

TEST(HashKey, PartitionKeyHashIsBigEndianMd5) {
  // RFC 1321 test suite: MD5("") = d41d8cd98f00b204e9800998ecf8427e.
  EXPECT_EQ(to_decimal(partition_key_hash("")), "281949768489412648962353822266799178366");
  // MD5("abc") = 900150983cd24fb0d6963f7d28e17f72.
  uint128 abc = (static_cast<uint128>(0x900150983cd24fb0ull) << 64) | 0xd6963f7d28e17f72ull;
  EXPECT_TRUE(partition_key_hash("abc") == abc);
}

TEST(HashKey, TwoShardsSplitAtTwoToThe127) {
  auto ranges = split_evenly(2);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(to_decimal(ranges[0].start), "0");
  EXPECT_EQ(to_decimal(ranges[0].end), "170141183460469231731687303715884105727");
  EXPECT_EQ(to_decimal(ranges[1].start), "170141183460469231731687303715884105728");
  EXPECT_EQ(to_decimal(ranges[1].end), "340282366920938463463374607431768211455");
}

TEST(HashKey, ThreeShardsMatchWhatAwsReports) {
  auto ranges = split_evenly(3);
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_TRUE(ranges[0].end == dec("113427455640312821154458202477256070484"));
  EXPECT_TRUE(ranges[1].start == dec("113427455640312821154458202477256070485"));
  EXPECT_TRUE(ranges[1].end == dec("226854911280625642308916404954512140969"));
  EXPECT_TRUE(ranges[2].start == dec("226854911280625642308916404954512140970"));
  EXPECT_TRUE(ranges[2].end == uint128_max) << "the last shard takes the remainder";
}

TEST(HashKey, EverySplitCoversTheKeySpaceWithoutGaps) {
  for (std::size_t n : {1u, 4u, 7u, 10u, 100u, 500u, 10000u}) {
    auto ranges = split_evenly(n);
    ASSERT_EQ(ranges.size(), n);
    EXPECT_TRUE(ranges.front().start == 0);
    EXPECT_TRUE(ranges.back().end == uint128_max);
    for (std::size_t i = 1; i < n; ++i) {
      EXPECT_TRUE(ranges[i].start == ranges[i - 1].end + 1) << n << " " << i;
      EXPECT_TRUE(ranges[i].end - ranges[i].start >= ranges[0].end - ranges[0].start);
    }
  }
}

TEST(HashKey, OneShardOwnsEverything) {
  auto ranges = split_evenly(1);
  EXPECT_TRUE(ranges[0].contains(0));
  EXPECT_TRUE(ranges[0].contains(uint128_max));
  EXPECT_TRUE(ranges[0].contains(partition_key_hash("anything")));
}

TEST(HashKey, MidpointStartsTheUpperHalf) {
  EXPECT_TRUE(*midpoint({0, uint128_max}) == dec("170141183460469231731687303715884105728"));
  EXPECT_TRUE(*midpoint({10, 20}) == 16);
  EXPECT_TRUE(*midpoint({10, 11}) == 11);
  EXPECT_FALSE(midpoint({7, 7}));
}

TEST(HashKey, AdjacentRangesTouchInEitherOrder) {
  EXPECT_TRUE(adjacent_ranges({0, 9}, {10, 20}));
  EXPECT_TRUE(adjacent_ranges({10, 20}, {0, 9}));
  EXPECT_FALSE(adjacent_ranges({0, 9}, {11, 20}));
  EXPECT_FALSE(adjacent_ranges({0, 10}, {10, 20}));
  EXPECT_FALSE(adjacent_ranges({0, uint128_max}, {0, uint128_max}));
}

}  // namespace
}  // namespace spate::kinesis
