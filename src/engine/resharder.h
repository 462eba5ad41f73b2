// resharder: SplitShard, MergeShards and UpdateShardCount carried out - the checks of the
// rulebook (kinesis/rules.h), a plan of closing and new shards (resharding.h), the children's
// logs made first, then one catalog commit, then the stream's shard table swapped. A failure
// at any step leaves no shard and no file behind.
//
// Owned by the engine. Threads: the control thread (every change under the control mutex).
// Puts and reads of the stream wait only for the instant the shard table is swapped.
#pragma once

#include "common/uint128.h"
#include "engine/resharding.h"
#include "engine/types.h"

#include <cstddef>
#include <string>

namespace spate::engine {

struct control_context;
class shard_logs;
struct stream_state;

class resharder {
 public:
  resharder(control_context& control, shard_logs& logs) : control_(control), logs_(logs) {}

  outcome<void> split_shard(const std::string& name, metadata::shard_index shard,
                            uint128 new_starting_hash_key);
  outcome<void> merge_shards(const std::string& name, metadata::shard_index shard,
                             metadata::shard_index adjacent);
  // Returns the open shard count before the change.
  outcome<std::size_t> update_shard_count(const std::string& name, std::size_t target);

 private:
  // Caller holds the control mutex.
  outcome<void> apply(stream_state& stream, const reshard_plan& plan);

  control_context& control_;
  shard_logs& logs_;
};

}  // namespace spate::engine
