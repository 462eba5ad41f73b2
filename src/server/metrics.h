// metrics: the server's counters, rendered in the Prometheus text format at GET /metrics.
//
// Series: spate_requests_total{action}, spate_errors_total{action}, spate_records_in_total /
// spate_bytes_in_total / spate_records_out_total / spate_bytes_out_total {stream},
// spate_request_duration_seconds, spate_commit_sync_seconds and spate_push_delay_seconds
// (histograms: each request; each group-commit round's sync; each push subscriber's wake-up
// answered with new records, until their message is written), spate_open_connections,
// spate_connections_total{protocol} (http1, http1_tls, h2c, h2),
// spate_subscribers{kind} (open push subscriptions: event_stream, websocket),
// spate_slow_subscribers_closed_total, spate_resident_memory_bytes; the memory budgets
// (budgets.h) as spate_memory_budget_{used,limit,peak}_bytes{budget} and
// spate_memory_budget_refusals_total{budget}; admission (admission.h) as
// spate_admission_{active,queued,overloaded} gauges, spate_admission_{admitted,shed}_total
// and spate_admission_last_wait_seconds; connections closed to make room for new ones as
// spate_idle_connections_evicted_total, and those idle now as spate_idle_connections;
// spate_incidents_total{kind} (common/incident.h: disk_full, io_error, sync_failed,
// descriptors_exhausted, catalog_write_failed); memory given back after bursts as
// spate_memory_trims_total and spate_memory_trimmed_bytes_total (memory_trimmer.h);
// spate_getrecords_iterator_age_milliseconds{stream}, AWS's GetRecords.IteratorAgeMilliseconds
// (the oldest of the stream's shards, among those GetRecords has read); spate_build_info
// {version,commit} (always 1).
//
// For the dashboard's statistics (stats.h) it also keeps the latency of PutRecord(s) and of
// GetRecords over the current second (latency_histogram.h) and hands out its counters.
//
// Thread safety: every method may be called from any thread. Action counters are lock-free;
// per-stream counters take a shared lock (exclusive only to add a stream's first series).
// Series are kept for at most `max_stream_series` stream names (streams come and go, names
// are unbounded); traffic of streams beyond that is counted under stream="_other".
#pragma once

#include "api/action.h"
#include "common/duration_histogram.h"
#include "server/latency_histogram.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

namespace spate::server {

struct budgets;
class admission;
class idle_connections;
class memory_trimmer;

// What /metrics samples besides its own counters; each may be null. They must outlive the
// renders (the server stops serving before its engine closes).
struct metrics_sources {
  const engine::engine* engine = nullptr;  // enhanced-monitoring series
  const budgets* memory = nullptr;
  const admission* queue = nullptr;
  const idle_connections* idle = nullptr;
  const memory_trimmer* trimmer = nullptr;
  const api::shared_batches* shared_pages = nullptr;
};

class metrics final : public api::traffic_observer {
 public:
  explicit metrics(std::vector<std::string_view> action_names, metrics_sources sources = {});

  // One finished request; `action` empty when the request named none.
  void request_done(std::string_view action, bool error, std::int64_t micros);
  void connection_opened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const {
    return open_connections_.load(std::memory_order_relaxed);
  }

  enum class protocol { http1, http1_tls, h2c, h2 };
  void connection_speaks(protocol p) {
    protocols_[static_cast<std::size_t>(p)].fetch_add(1, std::memory_order_relaxed);
  }

  enum class subscriber_kind { event_stream, websocket };
  void subscriber_opened(subscriber_kind k) { subscribers_[index(k)].fetch_add(1); }
  void subscriber_closed(subscriber_kind k) { subscribers_[index(k)].fetch_sub(1); }
  void slow_subscriber_closed() { slow_closed_.fetch_add(1, std::memory_order_relaxed); }
  // A pushed message was written `waited` after the wake-up that announced its records
  // (api::pushed_message::woken_at).
  void pushed(std::chrono::steady_clock::duration waited) {
    push_delays_.record(std::chrono::duration_cast<std::chrono::microseconds>(waited));
  }
  void idle_connection_evicted() { evicted_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t subscribers(subscriber_kind k) const { return subscribers_[index(k)].load(); }

  void records_in(std::string_view stream, std::uint64_t records, std::uint64_t bytes) override;
  void records_out(std::string_view stream, std::uint64_t records, std::uint64_t bytes) override;

  std::string render() const;

  // For the statistics sampler (stats.h).
  enum class latency_family { put, get };  // PutRecord and PutRecords; GetRecords
  latency_histogram::counts drain_latency(latency_family f) {
    return latencies_[static_cast<std::size_t>(f)].drain();
  }
  // Requests so far by action, in action_names() order, then "unknown".
  void request_totals(std::vector<std::pair<std::string_view, std::uint64_t>>& out) const;
  std::uint64_t connections_speaking(protocol p) const {
    return protocols_[static_cast<std::size_t>(p)].load(std::memory_order_relaxed);
  }
  static std::uint64_t resident_bytes();

  static constexpr std::size_t max_stream_series = 10'000;

 private:
  struct action_counters {
    std::string name;
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> errors{0};
    latency_histogram* latency = nullptr;  // its family's, for the dashboard; null for others
  };
  struct stream_counters {
    std::atomic<std::uint64_t> records_in{0}, bytes_in{0}, records_out{0}, bytes_out{0};
  };
  action_counters& counters_for(std::string_view action);
  static std::size_t index(subscriber_kind k) { return static_cast<std::size_t>(k); }
  stream_counters& stream(std::string_view name);

  const metrics_sources sources_;
  std::vector<std::unique_ptr<action_counters>> actions_;  // fixed after construction; last: other
  mutable std::shared_mutex streams_mu_;
  std::map<std::string, std::unique_ptr<stream_counters>, std::less<>> streams_;
  duration_histogram durations_;    // of every request
  duration_histogram push_delays_;  // of push subscribers' takes of new records
  std::atomic<std::int64_t> open_connections_{0};
  std::array<std::atomic<std::int64_t>, 2> subscribers_{};
  std::array<std::atomic<std::uint64_t>, 4> protocols_{};
  std::atomic<std::uint64_t> slow_closed_{0};
  std::atomic<std::uint64_t> evicted_{0};
  std::array<latency_histogram, 2> latencies_;  // by latency_family
};

}  // namespace spate::server
