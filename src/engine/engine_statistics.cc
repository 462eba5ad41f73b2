// engine_statistics: the engine's statistics calls (statistics.h): copies of each stream's
// counters and shard tree, and the oldest record of a shard.
#include "engine/engine.h"
#include "engine/stream_state.h"

namespace spate::engine {

namespace {

void copy_statistics(const stream_state& stream, stream_statistics& s) {
  std::shared_lock topology(stream.mu);
  s.record = stream.record;
  s.tag = stream.tag;
  s.shards.reserve(stream.shards.size());
  for (const auto& shard : stream.shards) {
    shard_statistics& t = s.shards.emplace_back();
    t.id = shard->id;
    t.record = shard->record;
    for (std::size_t i = 0; i < shard_metric_count; ++i) {
      t.counters[i] = shard->counters.get(static_cast<shard_metric>(i));
    }
    t.end = shard->visible_end();
    t.first = std::min(shard->log->start_position(), t.end);
    t.last_get_records_ms = shard->last_get_records_ms.load(std::memory_order_relaxed);
  }
}

}  // namespace

void engine::statistics(std::vector<stream_statistics>& out) const {
  for (const auto& stream : streams_.all()) copy_statistics(*stream, out.emplace_back());
}

std::optional<stream_statistics> engine::statistics(std::string_view name) const {
  auto stream = streams_.find(name);
  if (!stream) return std::nullopt;
  stream_statistics s;
  copy_statistics(*stream, s);
  return s;
}

std::optional<std::int64_t> engine::oldest_arrival_ms(std::string_view name,
                                                      metadata::shard_index index) const {
  auto stream = streams_.find(name);
  if (!stream) return std::nullopt;
  std::shared_ptr<shard_state> shard;
  {
    std::shared_lock topology(stream->mu);
    shard = stream->find_shard(index);
  }
  if (!shard) return std::nullopt;
  const storage::position first = shard->log->start_position();
  if (first >= shard->visible_end()) return std::nullopt;
  auto batch = shard->log->read(first, {.max_records = 1, .max_bytes = 1});
  if (!batch || batch->records.empty()) return std::nullopt;
  return batch->records.front().arrival_ms;
}

}  // namespace spate::engine
