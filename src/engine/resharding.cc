// resharding: split, merge and uniform-scaling plans.
#include "engine/resharding.h"

#include <algorithm>

namespace spate::engine {
namespace {

using metadata::hash_range;
using metadata::shard_index;
using metadata::shard_record;

// Builds new shards of one plan, numbering them from next_index.
class plan_builder {
 public:
  plan_builder(shard_index next_index, std::int64_t now_ms) : next_(next_index), now_(now_ms) {}

  // Adds a shard and returns its index.
  shard_index add(hash_range range, std::optional<shard_index> parent,
                  std::optional<shard_index> adjacent) {
    shard_record shard;
    shard.index = next_++;
    shard.range = range;
    shard.parent = parent;
    shard.adjacent_parent = adjacent;
    shard.created_ms = now_;
    plan_.new_shards.push_back(shard);
    return shard.index;
  }

  // Marks an existing shard as closed by the plan: an original (open) shard joins `closing`,
  // a shard made earlier in this plan becomes an empty intermediate.
  void close(shard_index index) {
    for (auto& shard : plan_.new_shards) {
      if (shard.index == index) {
        shard.ending_position = 0;
        return;
      }
    }
    plan_.closing.push_back(index);
  }

  reshard_plan take() { return std::move(plan_); }

 private:
  shard_index next_;
  std::int64_t now_;
  reshard_plan plan_;
};

struct piece {
  shard_index index;
  hash_range range;
};

}  // namespace

reshard_plan plan_split(const shard_record& parent, uint128 new_start, shard_index next_index,
                        std::int64_t now_ms) {
  plan_builder plan(next_index, now_ms);
  plan.close(parent.index);
  plan.add({parent.range.start, new_start - 1}, parent.index, std::nullopt);
  plan.add({new_start, parent.range.end}, parent.index, std::nullopt);
  return plan.take();
}

reshard_plan plan_merge(const shard_record& shard, const shard_record& adjacent,
                        shard_index next_index, std::int64_t now_ms) {
  plan_builder plan(next_index, now_ms);
  plan.close(shard.index);
  plan.close(adjacent.index);
  const hash_range merged{std::min(shard.range.start, adjacent.range.start),
                          std::max(shard.range.end, adjacent.range.end)};
  plan.add(merged, shard.index, adjacent.index);
  return plan.take();
}

reshard_plan plan_uniform_scaling(std::vector<shard_record> open_shards, std::size_t target,
                                  shard_index next_index, std::int64_t now_ms) {
  std::sort(open_shards.begin(), open_shards.end(),
            [](const auto& a, const auto& b) { return a.range.start < b.range.start; });
  const std::vector<hash_range> targets = metadata::split_evenly(target);
  plan_builder plan(next_index, now_ms);

  // Stage 1: split every shard at each target boundary strictly inside it, as a chain of
  // splits of the right-hand child.
  std::vector<piece> pieces;
  for (const auto& shard : open_shards) {
    piece rest{shard.index, shard.range};
    for (const auto& t : targets) {
      if (t.start <= rest.range.start || t.start > rest.range.end) continue;
      plan.close(rest.index);
      const shard_index left = plan.add({rest.range.start, t.start - 1}, rest.index, {});
      const shard_index right = plan.add({t.start, rest.range.end}, rest.index, {});
      pieces.push_back({left, {rest.range.start, t.start - 1}});
      rest = {right, {t.start, rest.range.end}};
    }
    pieces.push_back(rest);
  }

  // Stage 2: merge the pieces of each target range, left to right, as a chain of merges.
  std::size_t next_piece = 0;
  for (const auto& t : targets) {
    piece acc = pieces[next_piece++];
    while (acc.range.end < t.end) {
      const piece& right = pieces[next_piece++];
      plan.close(acc.index);
      plan.close(right.index);
      const hash_range merged{acc.range.start, right.range.end};
      acc = {plan.add(merged, acc.index, right.index), merged};
    }
  }
  return plan.take();
}

}  // namespace spate::engine
