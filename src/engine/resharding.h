// resharding: how SplitShard, MergeShards and UpdateShardCount change a stream's shards, as
// pure planning functions over shard records (no I/O; the engine applies a plan in one catalog
// transaction).
//
// A plan closes some open shards and adds new ones. A shard made and consumed inside
// UpdateShardCount's series of splits and merges ("intermediate") is added already closed and
// empty; readers pass through it to its children.
#pragma once

#include "metadata/catalog.h"

#include <cstdint>
#include <vector>

namespace spate::engine {

struct reshard_plan {
  std::vector<metadata::shard_index> closing;      // open shards the plan closes
  std::vector<metadata::shard_record> new_shards;  // in index order; intermediates closed
};

// Splits `parent` so that its second child starts at `new_start`; the caller has checked
// parent.range.start < new_start <= parent.range.end
// (the engine applies AWS's stricter start + 1 < new_start < end).
reshard_plan plan_split(const metadata::shard_record& parent, uint128 new_start,
                        metadata::shard_index next_index, std::int64_t now_ms);

// Merges two open shards whose ranges are adjacent (either order); the child's parent is
// `shard`, its adjacent parent `adjacent`.
reshard_plan plan_merge(const metadata::shard_record& shard, const metadata::shard_record& adjacent,
                        metadata::shard_index next_index, std::int64_t now_ms);

// Rescales the open shards (which cover the whole key space) to `target` shards with even
// ranges (kinesis::split_evenly). Shards whose range is already one of the target ranges
// are kept. The caller has checked AWS's bounds on `target`.
reshard_plan plan_uniform_scaling(std::vector<metadata::shard_record> open_shards,
                                  std::size_t target, metadata::shard_index next_index,
                                  std::int64_t now_ms);

}  // namespace spate::engine
