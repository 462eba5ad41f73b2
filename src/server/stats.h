// stats: the dashboard's numbers (GET /v1/stats, docs/dashboard.md), sampled once a second
// into fixed-size ring buffers.
//
// A thread of its own wakes every `interval` and copies what the server already counts: the
// engine's per-shard counters (engine/statistics.h), the request counters, latency
// histograms and connection counts of metrics.h, the group committer's rounds, and the
// process's resident memory. Rates are the differences between two samples, so the data path
// does no work for the dashboard beyond what /metrics already costs, and a stream nobody looks
// at costs one copy of its counters a second.
//
// Memory is bounded and stated (memory_limit()): a stream's history is `points` samples of
// five series (records and bytes in and out, throttled records; the overview's sparklines are
// its last minute), a shard's `points` samples of four (records and bytes in and out), the
// server's `points` samples of eight, all 4-byte floats: 18,000, 14,400 and 28,800 bytes at
// the default 900 points. At most `max_stream_histories` streams and `max_shard_histories`
// shards get one; beyond that they show their current rates only (the JSON has no history for
// them). The defaults (256 streams, 1024 shards) bound the rings at 19,382,400 bytes
// (18.5 MiB).
//
// Thread safety: render_*() may be called from any thread (they copy under the sampler's
// mutex); the sampler thread is the only writer.
#pragma once

#include "api/encoder.h"
#include "api/errors.h"
#include "api/reader_registry.h"
#include "engine/engine.h"
#include "server/metrics.h"

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>

namespace spate::server {

struct stats_options {
  std::chrono::milliseconds interval{1000};
  std::size_t points = 900;       // history kept: 15 minutes of 1-second samples
  std::size_t spark_points = 60;  // the overview's sparklines
  std::size_t max_stream_histories = 256;
  std::size_t max_shard_histories = 1024;
};

// What the server page shows about how the server was started.
struct server_facts {
  std::string version;
  std::string data_dir;
  std::string auth;       // "none" or "sigv4"
  std::string dashboard;  // "on" or "read-only"
  bool throttling = false;
};

// A fixed-size ring of samples; NaN is "no sample" (null in JSON).
class sample_ring {
 public:
  explicit sample_ring(std::size_t capacity) : values_(capacity) {}
  void push(float v) {
    values_[next_ % values_.size()] = v;
    ++next_;
  }
  std::size_t size() const { return std::min(next_, values_.size()); }
  // The last `n` samples (or all there are), oldest first.
  std::vector<float> last(std::size_t n) const;
  std::size_t bytes() const { return values_.size() * sizeof(float); }

 private:
  std::vector<float> values_;
  std::size_t next_ = 0;
};

class stats {
 public:
  stats(engine::engine& engine, metrics& metrics, const api::reader_registry& readers,
        server_facts facts, stats_options options = {});
  ~stats();  // stops the sampler
  stats(const stats&) = delete;
  stats& operator=(const stats&) = delete;

  void start();  // starts the sampler thread
  // Stops the sampler and waits for it: after this nothing reads the engine, so the engine
  // may close. Idempotent.
  void stop();
  std::uint64_t samples_taken() const;
  // Takes one sample now (the sampler does this every interval; tests call it directly).
  void sample();

  // GET /v1/stats: the server and every stream.
  std::string render_overview() const;
  // The per-shard series GET /v1/stats?stream=NAME can carry (one at a time, to keep the
  // answer small for streams of many shards).
  static constexpr std::array<std::string_view, 4> shard_series_names = {
      "records_in", "bytes_in", "records_out", "bytes_out"};
  // GET /v1/stats?stream=NAME[&shard_history=SERIES]: one stream, its shards (each with the
  // history of `shard_series`, one of shard_series_names, or none when empty) and readers;
  // ResourceNotFound (404) when the stream does not exist.
  std::variant<std::string, api::api_error> render_stream(
      std::string_view name, std::string_view shard_series = "records_in") const;

  std::size_t memory_used() const;
  std::size_t memory_limit() const;

 private:
  struct rate {
    float records = 0, bytes = 0;
  };
  struct shard_entry {
    std::array<std::uint64_t, engine::shard_metric_count> last{};
    rate in, out;
    // records and bytes in, records and bytes out; empty beyond the history cap
    std::vector<sample_ring> history;
  };
  struct stream_entry {
    std::int64_t created_ms = 0;
    rate in, out;
    float throttled = 0;
    std::map<metadata::shard_index, shard_entry> shards;
    // records in, bytes in, records out, bytes out, throttled; empty beyond the history cap
    std::vector<sample_ring> history;
  };
  enum server_series {
    requests_per_s,
    rss_bytes,
    open_connections,
    commit_batch,
    put_p50,
    put_p99,
    get_p50,
    get_p99,
    server_series_count
  };

  void run();
  void sample_streams(double seconds);
  void sample_server(double seconds);
  void write_server(api::encoder& json) const;
  // Opens `key`: an object of series ending at the newest sample, its end_ms written. Call
  // with mu_ held; the caller writes the series and closes the object.
  void begin_series(api::encoder& json, std::string_view key) const;
  // The samples of a stream (this incarnation of it: same name and creation time), or an
  // entry with no rates and no history. Call with mu_ held.
  const stream_entry& sampled(const engine::stream_statistics& s) const;
  // What the overview and the stream page say alike about a stream.
  static void write_stream_summary(api::encoder& json, const engine::stream_statistics& s,
                                   const stream_entry& e);
  std::size_t rings_bytes(std::size_t stream_histories, std::size_t shard_histories) const;

  engine::engine& engine_;
  metrics& metrics_;
  const api::reader_registry& readers_;
  const server_facts facts_;
  const stats_options options_;
  const std::int64_t started_ms_;

  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, stream_entry, std::less<>> streams_;
  std::size_t stream_histories_ = 0, shard_histories_ = 0;
  std::vector<sample_ring> server_;                               // by server_series
  std::vector<std::pair<std::string_view, float>> requests_now_;  // per action, last interval
  std::vector<std::uint64_t> last_requests_;
  std::uint64_t last_commit_requests_ = 0, last_commit_rounds_ = 0;
  std::int64_t end_ms_ = 0;  // wall clock of the newest sample
  std::chrono::steady_clock::time_point last_sample_;
  std::uint64_t disk_used_ = 0;  // the data directory's size, refreshed every 10 samples
  std::uint64_t samples_ = 0;

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by wake_mu_
  std::thread thread_;
};

}  // namespace spate::server
