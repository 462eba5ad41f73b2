// UpdateShardCount's series: the exact shards, parents and order for known cases, and exact
// cover of the key space for every reachable target.
#include "kinesis/uniform_scaling.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace spate::kinesis {
namespace {

struct shard {
  shard_index index;
  hash_range range;
  std::optional<shard_index> parent, adjacent;
  bool open = true;
};

// A stream's shards in memory, as the sink sees them.
class table : public reshard_sink {
 public:
  explicit table(std::size_t n) {
    const auto ranges = split_evenly(n);
    for (std::size_t i = 0; i < n; ++i) {
      shards.push_back({static_cast<shard_index>(i), ranges[i], {}, {}, true});
    }
  }
  void close(shard_index s) override {
    ASSERT_TRUE(shards.at(s).open) << s;
    shards[s].open = false;
  }
  shard_index add(hash_range range, shard_index parent,
                  std::optional<shard_index> adjacent) override {
    const auto index = static_cast<shard_index>(shards.size());
    EXPECT_FALSE(shards.at(parent).open) << "parent " << parent << " still open";
    if (adjacent) {
      EXPECT_FALSE(shards.at(*adjacent).open);
    }
    shards.push_back({index, range, parent, adjacent, true});
    return index;
  }
  std::vector<open_shard> open() const {
    std::vector<open_shard> out;
    for (const auto& s : shards) {
      if (s.open) out.push_back({s.index, s.range});
    }
    return out;
  }
  std::vector<shard> shards;
};

TEST(UniformScaling, TwoToThreeSplitsThenMerges) {
  table t(2);
  plan_uniform_scaling(t.open(), 3, t);
  const auto targets = split_evenly(3);
  // Shard 0 [0, 2^127) is split at the second target's start: 2 and 3. Shard 1 is split at
  // the third target's start: 4 and 5. Then 3 and 4 merge into 6.
  ASSERT_EQ(t.shards.size(), 7u);
  EXPECT_EQ(t.shards[2].parent, 0u);
  EXPECT_EQ(t.shards[3].parent, 0u);
  EXPECT_EQ(t.shards[4].parent, 1u);
  EXPECT_EQ(t.shards[5].parent, 1u);
  EXPECT_EQ(t.shards[6].parent, 3u);
  EXPECT_EQ(t.shards[6].adjacent, 4u);
  EXPECT_EQ(t.shards[2].range, targets[0]);
  EXPECT_EQ(t.shards[6].range, targets[1]);
  EXPECT_EQ(t.shards[5].range, targets[2]);
  std::vector<shard_index> open;
  for (const auto& s : t.open()) open.push_back(s.index);
  EXPECT_EQ(open, (std::vector<shard_index>{2, 5, 6}));
}

TEST(UniformScaling, EveryReachableTargetEndsOnTheEvenRanges) {
  for (std::size_t from = 1; from <= 12; ++from) {
    for (std::size_t to = (from + 1) / 2; to <= from * 2; ++to) {
      table t(from);
      plan_uniform_scaling(t.open(), to, t);
      auto open = t.open();
      std::sort(open.begin(), open.end(),
                [](const auto& a, const auto& b) { return a.range.start < b.range.start; });
      const auto targets = split_evenly(to);
      ASSERT_EQ(open.size(), to) << from << " -> " << to;
      for (std::size_t i = 0; i < to; ++i) EXPECT_EQ(open[i].range, targets[i]);
    }
  }
}

TEST(UniformScaling, TheSameRangesChangeNothing) {
  table t(4);
  plan_uniform_scaling(t.open(), 4, t);
  EXPECT_EQ(t.shards.size(), 4u);
}

}  // namespace
}  // namespace spate::kinesis
