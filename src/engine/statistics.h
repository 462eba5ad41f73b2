// statistics: what the dashboard and /v1/stats read of the engine - per stream and per shard,
// the traffic counters the data path keeps anyway (shard_metrics.h), the shard tree and how
// many records each shard holds. A snapshot is a copy taken under each stream's topology
// lock held shared for the instant of the copy; nothing here runs on the data path.
//
// Thread safety: the engine's statistics calls may be made from any thread.
#pragma once

#include "engine/shard_metrics.h"
#include "metadata/catalog.h"
#include "storage/record.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace spate::engine {

struct shard_statistics {
  std::string id;
  metadata::shard_record record;
  std::array<std::uint64_t, shard_metric_count> counters{};  // by shard_metric
  storage::position first = 0;           // the oldest retained record's position
  storage::position end = 0;             // one past the newest committed record
  std::int64_t last_get_records_ms = 0;  // when a GetRecords call last read the shard (0: never)

  std::uint64_t stored_records() const { return end > first ? end - first : 0; }
  std::uint64_t counter(shard_metric m) const { return counters[static_cast<std::size_t>(m)]; }
};

struct stream_statistics {
  metadata::stream_record record;
  std::uint32_t tag = 0;                 // the stream's sequence-number tag
  std::vector<shard_statistics> shards;  // by shard index
};

}  // namespace spate::engine
