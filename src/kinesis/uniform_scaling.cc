// UpdateShardCount's series of splits and merges.
#include "kinesis/uniform_scaling.h"

#include <algorithm>

namespace spate::kinesis {

void plan_uniform_scaling(std::vector<open_shard> open, std::size_t target, reshard_sink& sink) {
  std::sort(open.begin(), open.end(),
            [](const auto& a, const auto& b) { return a.range.start < b.range.start; });
  const std::vector<hash_range> targets = split_evenly(target);

  std::vector<open_shard> pieces;
  for (const auto& shard : open) {
    open_shard rest = shard;
    for (const auto& t : targets) {
      if (t.start <= rest.range.start || t.start > rest.range.end) continue;
      sink.close(rest.index);
      const hash_range left{rest.range.start, t.start - 1};
      const hash_range right{t.start, rest.range.end};
      pieces.push_back({sink.add(left, rest.index, std::nullopt), left});
      rest = {sink.add(right, rest.index, std::nullopt), right};
    }
    pieces.push_back(rest);
  }

  std::size_t next_piece = 0;
  for (const auto& t : targets) {
    open_shard acc = pieces[next_piece++];
    while (acc.range.end < t.end) {
      const open_shard right = pieces[next_piece++];
      sink.close(acc.index);
      sink.close(right.index);
      const hash_range merged{acc.range.start, right.range.end};
      acc = {sink.add(merged, acc.index, right.index), merged};
    }
  }
}

}  // namespace spate::kinesis
