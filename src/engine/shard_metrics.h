// shard_metrics: the shard-level metrics of enhanced monitoring (EnableEnhancedMonitoring):
// their AWS names, the per-shard counters the data path bumps, and the samples /metrics renders.
//
// Every shard counts all seven metrics, always, with relaxed atomics (one fetch_add per metric
// per put or read, no lock); only streams with monitoring enabled are sampled, and only the
// metrics they enabled. IteratorAgeMilliseconds is a gauge: the age of the newest record the
// last GetRecords call returned (0 when it returned nothing), as AWS's
// GetRecords.IteratorAgeMilliseconds; pushed reads do not move it.
// ReadProvisionedThroughputExceeded stays 0 (reads are not throttled).
//
// The server's metrics ask the engine for samples (engine::enhanced_metrics) when /metrics is
// rendered. Thread safety: every function may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace spate::engine {

enum class shard_metric : std::size_t {
  incoming_bytes,
  incoming_records,
  outgoing_bytes,
  outgoing_records,
  write_throughput_exceeded,
  read_throughput_exceeded,
  iterator_age_ms,
};
inline constexpr std::size_t shard_metric_count = 7;

// AWS's names, in AWS's order (the order of shard_metric).
inline constexpr std::array<std::string_view, shard_metric_count> shard_metric_names = {
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
};

std::optional<shard_metric> parse_shard_metric(std::string_view name);

// The counters of one shard.
class shard_counters {
 public:
  void add(shard_metric m, std::uint64_t n) {
    values_[static_cast<std::size_t>(m)].fetch_add(n, std::memory_order_relaxed);
  }
  void set(shard_metric m, std::uint64_t v) {
    values_[static_cast<std::size_t>(m)].store(v, std::memory_order_relaxed);
  }
  std::uint64_t get(shard_metric m) const {
    return values_[static_cast<std::size_t>(m)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::uint64_t>, shard_metric_count> values_{};
};

// One shard of a monitored stream: which metrics are enabled and their values.
struct shard_metrics_sample {
  std::string stream;
  std::string shard_id;
  std::array<bool, shard_metric_count> enabled{};
  std::array<std::uint64_t, shard_metric_count> values{};
};

}  // namespace spate::engine
