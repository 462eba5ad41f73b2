// resharding: split, merge and uniform-scaling plans.
#include "engine/resharding.h"

#include "kinesis/uniform_scaling.h"

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
  // The rulebook's series of splits and merges, recorded into one plan.
  struct sink : kinesis::reshard_sink {
    explicit sink(plan_builder& plan) : plan(plan) {}
    void close(shard_index shard) override { plan.close(shard); }
    shard_index add(hash_range range, shard_index parent,
                    std::optional<shard_index> adjacent) override {
      return plan.add(range, parent, adjacent);
    }
    plan_builder& plan;
  };
  plan_builder plan(next_index, now_ms);
  sink to_plan(plan);
  std::vector<kinesis::open_shard> open;
  for (const auto& shard : open_shards) open.push_back({shard.index, shard.range});
  kinesis::plan_uniform_scaling(std::move(open), target, to_plan);
  return plan.take();
}

}  // namespace spate::engine
