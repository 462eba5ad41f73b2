// uniform_scaling: how UpdateShardCount (UNIFORM_SCALING) reshapes a stream, as AWS performs
// it. Kinesis lineage allows a shard at most a parent and an adjacent parent, so the change is
// a series of splits and then merges:
//   1. every open shard is split at each target boundary strictly inside it, as a chain of
//      splits of the right-hand piece;
//   2. the pieces of each target range (split_evenly(target)) are merged left to right, as a
//      chain of merges.
// A shard whose range already is a target range is kept. A piece split or merged again within
// the series is closed at once and stays empty; readers pass through it to its children.
// spated's engine (as one catalog transaction) and fake_stream (in memory) both apply the same
// series through a `reshard_sink`, so their new shards get the same ids and parents.
#pragma once

#include "kinesis/hash_keys.h"
#include "kinesis/identifiers.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace spate::kinesis {

// Where the series goes: the caller's shards, old and new.
class reshard_sink {
 public:
  virtual ~reshard_sink() = default;
  // Closes a shard: an open shard of the stream, or one added earlier in the series.
  virtual void close(shard_index shard) = 0;
  // Adds an open shard and returns its index (the stream's next one).
  virtual shard_index add(hash_range range, shard_index parent,
                          std::optional<shard_index> adjacent_parent) = 0;
};

struct open_shard {
  shard_index index;
  hash_range range;
};

// Rescales `open` (the stream's open shards, which cover the whole key space, in any order) to
// `target` shards. The caller has checked check_shard_count().
void plan_uniform_scaling(std::vector<open_shard> open, std::size_t target, reshard_sink& sink);

}  // namespace spate::kinesis
