// resharding: split, merge and uniform scaling plans keep the key space covered exactly once
// by open shards, and every new shard's lineage points at shards that the plan closes.
#include "engine/resharding.h"

#include "kinesis/hash_keys.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace spate::engine {
namespace {

using metadata::shard_index;
using metadata::shard_record;

std::vector<shard_record> initial(std::size_t n) {
  std::vector<shard_record> shards;
  const auto ranges = kinesis::split_evenly(n);
  for (std::size_t i = 0; i < n; ++i) {
    shard_record s;
    s.index = static_cast<shard_index>(i);
    s.range = ranges[i];
    shards.push_back(s);
  }
  return shards;
}

// Applies a plan to a shard table the way the engine does.
void apply_plan(std::vector<shard_record>& shards, const reshard_plan& plan) {
  for (auto index : plan.closing) {
    ASSERT_TRUE(shards[index].is_open());
    shards[index].ending_position = 0;
  }
  for (const auto& s : plan.new_shards) {
    ASSERT_EQ(s.index, shards.size());
    for (auto parent : {s.parent, s.adjacent_parent}) {
      if (!parent) continue;
      ASSERT_LT(*parent, s.index);
      EXPECT_FALSE(shards[*parent].is_open()) << "parent of " << s.index << " left open";
    }
    shards.push_back(s);
  }
}

void expect_exact_cover(const std::vector<shard_record>& shards, std::size_t expected_open) {
  std::vector<metadata::hash_range> open;
  for (const auto& s : shards) {
    if (s.is_open()) open.push_back(s.range);
  }
  ASSERT_EQ(open.size(), expected_open);
  std::sort(open.begin(), open.end(), [](auto& a, auto& b) { return a.start < b.start; });
  EXPECT_EQ(open.front().start, 0);
  EXPECT_EQ(open.back().end, uint128_max);
  for (std::size_t i = 1; i < open.size(); ++i) EXPECT_EQ(open[i].start, open[i - 1].end + 1);
}

TEST(ReshardingTest, SplitMakesTwoChildrenOfTheParent) {
  auto shards = initial(1);
  const uint128 middle = uint128_max / 2;
  const auto plan = plan_split(shards[0], middle, 1, 0);
  apply_plan(shards, plan);
  expect_exact_cover(shards, 2);
  EXPECT_EQ(shards[1].range.end + 1, middle);
  EXPECT_EQ(shards[2].parent, 0u);
}

TEST(ReshardingTest, MergeNamesBothParents) {
  auto shards = initial(2);
  apply_plan(shards, plan_merge(shards[1], shards[0], 2, 0));
  expect_exact_cover(shards, 1);
  EXPECT_EQ(shards[2].parent, 1u);
  EXPECT_EQ(shards[2].adjacent_parent, 0u);
}

TEST(ReshardingTest, UniformScalingReachesEveryTargetWithinAwsBounds) {
  for (std::size_t from = 1; from <= 12; ++from) {
    for (std::size_t to = (from + 1) / 2; to <= from * 2; ++to) {
      auto shards = initial(from);
      std::vector<shard_record> open(shards.begin(), shards.end());
      apply_plan(shards, plan_uniform_scaling(open, to, static_cast<shard_index>(from), 0));
      expect_exact_cover(shards, to);
      const auto targets = kinesis::split_evenly(to);
      for (const auto& s : shards) {
        if (!s.is_open()) continue;
        EXPECT_NE(std::find(targets.begin(), targets.end(), s.range), targets.end())
            << from << " -> " << to;
      }
    }
  }
}

TEST(ReshardingTest, UniformScalingToTheSameRangesChangesNothing) {
  auto shards = initial(4);
  const auto plan = plan_uniform_scaling(shards, 4, 4, 0);
  EXPECT_TRUE(plan.closing.empty());
  EXPECT_TRUE(plan.new_shards.empty());
}

}  // namespace
}  // namespace spate::engine
