// shard_metrics: AWS's metric names.
#include "engine/shard_metrics.h"

namespace spate::engine {

std::optional<shard_metric> parse_shard_metric(std::string_view name) {
  for (std::size_t i = 0; i < shard_metric_names.size(); ++i) {
    if (shard_metric_names[i] == name) return static_cast<shard_metric>(i);
  }
  return std::nullopt;
}

}  // namespace spate::engine
