// stats: the sampler thread, the ring buffers and the JSON of GET /v1/stats.
#include "server/stats.h"

#include "api/json_codec.h"
#include "common/thread_name.h"
#include "common/uint128.h"
#include "engine/sequence_number.h"
#include "kinesis/errors.h"
#include "kinesis/identifiers.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sys/statvfs.h>

namespace spate::server {
namespace {

constexpr float no_sample = std::numeric_limits<float>::quiet_NaN();
constexpr std::size_t disk_refresh_samples = 10;  // the data directory is walked this seldom
enum stream_series { records_in, bytes_in, records_out, bytes_out, throttled, stream_series_count };
constexpr std::size_t shard_series_count = 4;  // the first four of stream_series

// Rates are shown to a tenth: enough for a graph, and short in JSON.
float tenths(double v) {
  return static_cast<float>(std::round(v * 10.0) / 10.0);
}

std::uint64_t delta(std::uint64_t now, std::uint64_t before) {
  return now >= before ? now - before : now;  // a counter that restarted counts from zero
}

void write_number(api::encoder& json, float v) {
  if (std::isnan(v)) return json.null();
  const double d = v;
  if (d == std::floor(d) && std::fabs(d) < 9e15) return json.integer(static_cast<std::int64_t>(d));
  json.number(std::round(d * 1000.0) / 1000.0);
}

void write_series(api::encoder& json, std::string_view key, const sample_ring& ring,
                  std::size_t n) {
  json.key(key);
  json.begin_array();
  for (float v : ring.last(n)) write_number(json, v);
  json.end_array();
}

void write_rate(api::encoder& json, std::string_view key, float records, float bytes) {
  json.key(key);
  json.begin_object();
  json.key("records_per_s");
  write_number(json, records);
  json.key("bytes_per_s");
  write_number(json, bytes);
  json.end_object();
}

std::string_view fsync_name(storage::fsync_policy p) {
  switch (p) {
    case storage::fsync_policy::always:
      return "always";
    case storage::fsync_policy::never:
      return "never";
    case storage::fsync_policy::batch:
      break;
  }
  return "batch";
}

std::uint64_t directory_bytes(const std::string& dir) {
  namespace fs = std::filesystem;
  std::uint64_t total = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) total += size;
    }
  }
  return total;
}

std::string sequence_number_at(const engine::stream_statistics& s,
                               const metadata::shard_record& shard, storage::position pos) {
  return engine::format_sequence_number({s.tag, shard.index, pos});
}

}  // namespace

std::vector<float> sample_ring::last(std::size_t n) const {
  const std::size_t count = std::min(n, size());
  std::vector<float> out;
  out.reserve(count);
  for (std::size_t i = next_ - count; i < next_; ++i) out.push_back(values_[i % values_.size()]);
  return out;
}

stats::stats(engine::engine& engine, metrics& metrics, const api::reader_registry& readers,
             server_facts facts, stats_options options)
    : engine_(engine),
      metrics_(metrics),
      readers_(readers),
      facts_(std::move(facts)),
      options_(options),
      started_ms_(engine.time().wall_ms()) {
  for (std::size_t i = 0; i < server_series_count; ++i) server_.emplace_back(options_.points);
  last_sample_ = std::chrono::steady_clock::now();
}

stats::~stats() {
  stop();
}

void stats::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t stats::samples_taken() const {
  std::lock_guard lock(mu_);
  return samples_;
}

void stats::start() {
  thread_ = std::thread([this] {
    name_this_thread("spate-stats");
    run();
  });
}

void stats::run() {
  std::unique_lock lock(wake_mu_);
  auto next = std::chrono::steady_clock::now() + options_.interval;
  while (!wake_.wait_until(lock, next, [this] { return stopping_; })) {
    lock.unlock();
    sample();
    lock.lock();
    next += options_.interval;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now + options_.interval;  // fell behind (a suspended process)
  }
}

void stats::sample() {
  std::vector<engine::stream_statistics> snapshot;
  engine_.statistics(snapshot);
  std::vector<std::pair<std::string_view, std::uint64_t>> requests;
  metrics_.request_totals(requests);
  const auto put = metrics_.drain_latency(metrics::latency_family::put);
  const auto get = metrics_.drain_latency(metrics::latency_family::get);
  const std::uint64_t rss = metrics::resident_bytes();
  const std::uint64_t commit_requests = engine_.commit_requests();
  const std::uint64_t commit_rounds = engine_.commit_rounds();
  std::optional<std::uint64_t> disk_used;
  if (samples_ % disk_refresh_samples == 0) disk_used = directory_bytes(engine_.options().data_dir);

  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  const double seconds = std::max(1e-3, std::chrono::duration<double>(now - last_sample_).count());
  last_sample_ = now;
  end_ms_ = engine_.time().wall_ms();
  ++samples_;
  if (disk_used) disk_used_ = *disk_used;

  // Streams and shards.
  std::map<std::string, stream_entry, std::less<>> seen;
  for (const auto& s : snapshot) {
    auto node = streams_.extract(s.record.name);
    stream_entry entry;
    if (!node.empty() && node.mapped().created_ms == s.record.created_ms) {
      entry = std::move(node.mapped());
    } else {
      entry.created_ms = s.record.created_ms;
    }
    std::array<double, stream_series_count> totals{};
    for (const auto& shard : s.shards) {
      auto [it, added] = entry.shards.try_emplace(shard.record.index);
      shard_entry& e = it->second;
      std::array<std::uint64_t, engine::shard_metric_count> d{};
      for (std::size_t m = 0; m < engine::shard_metric_count; ++m) {
        d[m] = delta(shard.counters[m], e.last[m]);
      }
      e.last = shard.counters;
      using engine::shard_metric;
      const auto at = [&d](shard_metric m) { return static_cast<double>(d[static_cast<int>(m)]); };
      e.in = {tenths(at(shard_metric::incoming_records) / seconds),
              tenths(at(shard_metric::incoming_bytes) / seconds)};
      e.out = {tenths(at(shard_metric::outgoing_records) / seconds),
               tenths(at(shard_metric::outgoing_bytes) / seconds)};
      totals[records_in] += at(shard_metric::incoming_records);
      totals[bytes_in] += at(shard_metric::incoming_bytes);
      totals[records_out] += at(shard_metric::outgoing_records);
      totals[bytes_out] += at(shard_metric::outgoing_bytes);
      totals[throttled] += at(shard_metric::write_throughput_exceeded);
      if (e.history.empty() && shard_histories_ < options_.max_shard_histories) {
        for (std::size_t i = 0; i < shard_series_count; ++i)
          e.history.emplace_back(options_.points);
        ++shard_histories_;
      }
      if (!e.history.empty()) {
        const float values[] = {e.in.records, e.in.bytes, e.out.records, e.out.bytes};
        for (std::size_t i = 0; i < shard_series_count; ++i) e.history[i].push(values[i]);
      }
    }
    entry.in = {tenths(totals[records_in] / seconds), tenths(totals[bytes_in] / seconds)};
    entry.out = {tenths(totals[records_out] / seconds), tenths(totals[bytes_out] / seconds)};
    entry.throttled = tenths(totals[throttled] / seconds);
    if (entry.history.empty() && stream_histories_ < options_.max_stream_histories) {
      for (int i = 0; i < stream_series_count; ++i) entry.history.emplace_back(options_.points);
      ++stream_histories_;
    }
    if (!entry.history.empty()) {
      const float values[] = {entry.in.records, entry.in.bytes, entry.out.records, entry.out.bytes,
                              entry.throttled};
      for (int i = 0; i < stream_series_count; ++i) entry.history[i].push(values[i]);
    }
    seen.emplace(s.record.name, std::move(entry));
  }
  // What is left was deleted (or replaced): its histories go back to the caps.
  for (const auto& [name, gone] : streams_) {
    if (!gone.history.empty()) --stream_histories_;
    for (const auto& [index, shard] : gone.shards) {
      if (!shard.history.empty()) --shard_histories_;
    }
  }
  streams_ = std::move(seen);

  // The server.
  double total_requests = 0;
  requests_now_.clear();
  last_requests_.resize(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const double d = static_cast<double>(delta(requests[i].second, last_requests_[i]));
    last_requests_[i] = requests[i].second;
    total_requests += d;
    if (d > 0) requests_now_.emplace_back(requests[i].first, tenths(d / seconds));
  }
  const std::uint64_t rounds = delta(commit_rounds, last_commit_rounds_);
  const std::uint64_t committed = delta(commit_requests, last_commit_requests_);
  last_commit_rounds_ = commit_rounds;
  last_commit_requests_ = commit_requests;
  const auto ms_or_none = [](double ms) {
    return ms < 0 ? no_sample : static_cast<float>(std::round(ms * 1000.0) / 1000.0);
  };
  server_[requests_per_s].push(tenths(total_requests / seconds));
  server_[rss_bytes].push(static_cast<float>(rss));
  server_[open_connections].push(static_cast<float>(metrics_.open_connections()));
  server_[commit_batch].push(
      rounds ? tenths(static_cast<double>(committed) / static_cast<double>(rounds)) : no_sample);
  server_[put_p50].push(ms_or_none(latency_histogram::percentile_ms(put, 0.5)));
  server_[put_p99].push(ms_or_none(latency_histogram::percentile_ms(put, 0.99)));
  server_[get_p50].push(ms_or_none(latency_histogram::percentile_ms(get, 0.5)));
  server_[get_p99].push(ms_or_none(latency_histogram::percentile_ms(get, 0.99)));
}

std::size_t stats::rings_bytes(std::size_t streams, std::size_t shards) const {
  const std::size_t ring = options_.points * sizeof(float);
  return ring * (streams * stream_series_count + shards * shard_series_count +
                 static_cast<std::size_t>(server_series_count));
}

std::size_t stats::memory_used() const {
  std::lock_guard lock(mu_);
  return rings_bytes(stream_histories_, shard_histories_);
}

std::size_t stats::memory_limit() const {
  return rings_bytes(options_.max_stream_histories, options_.max_shard_histories);
}

void stats::write_server(api::encoder& json) const {
  const std::int64_t now = engine_.time().wall_ms();
  json.key("server");
  json.begin_object();
  json.key("version");
  json.string(facts_.version);
  json.key("started_ms");
  json.integer(started_ms_);
  json.key("uptime_s");
  json.integer((now - started_ms_) / 1000);
  json.key("data_dir");
  json.string(facts_.data_dir);
  json.key("disk");
  json.begin_object();
  json.key("used_bytes");
  json.integer(static_cast<std::int64_t>(disk_used_));
  struct statvfs fs {};
  if (::statvfs(facts_.data_dir.c_str(), &fs) == 0) {
    json.key("free_bytes");
    json.integer(static_cast<std::int64_t>(fs.f_bavail * fs.f_frsize));
    json.key("total_bytes");
    json.integer(static_cast<std::int64_t>(fs.f_blocks * fs.f_frsize));
  }
  json.end_object();
  json.key("fsync");
  json.string(fsync_name(engine_.fsync()));
  json.key("auth");
  json.string(facts_.auth);
  json.key("dashboard");
  json.string(facts_.dashboard);
  json.key("throttling");
  json.boolean(facts_.throttling);
  json.key("rss_bytes");
  json.integer(static_cast<std::int64_t>(metrics::resident_bytes()));
  json.key("connections");
  json.begin_object();
  json.key("open");
  json.integer(metrics_.open_connections());
  json.key("by_protocol");
  json.begin_object();
  const std::pair<const char*, metrics::protocol> protocols[] = {
      {"http1", metrics::protocol::http1},
      {"http1_tls", metrics::protocol::http1_tls},
      {"h2c", metrics::protocol::h2c},
      {"h2", metrics::protocol::h2}};
  for (const auto& [name, p] : protocols) {
    json.key(name);
    json.integer(static_cast<std::int64_t>(metrics_.connections_speaking(p)));
  }
  json.end_object();
  json.end_object();
  json.key("subscribers");
  json.begin_object();
  json.key("event_stream");
  json.integer(metrics_.subscribers(metrics::subscriber_kind::event_stream));
  json.key("websocket");
  json.integer(metrics_.subscribers(metrics::subscriber_kind::websocket));
  json.end_object();
  json.key("requests_per_s");
  json.begin_object();
  for (const auto& [action, rate] : requests_now_) {
    json.key(action);
    write_number(json, rate);
  }
  json.end_object();
  json.key("stats_memory");
  json.begin_object();
  json.key("used_bytes");
  json.integer(static_cast<std::int64_t>(rings_bytes(stream_histories_, shard_histories_)));
  json.key("limit_bytes");
  json.integer(static_cast<std::int64_t>(memory_limit()));
  json.end_object();
  begin_series(json, "history");
  write_series(json, "requests_per_s", server_[requests_per_s], options_.points);
  write_series(json, "rss_bytes", server_[rss_bytes], options_.points);
  write_series(json, "open_connections", server_[open_connections], options_.points);
  write_series(json, "commit_batch", server_[commit_batch], options_.points);
  json.end_object();
  json.end_object();
}

void stats::begin_series(api::encoder& json, std::string_view key) const {
  json.key(key);
  json.begin_object();
  json.key("end_ms");
  json.integer(end_ms_);
}

const stats::stream_entry& stats::sampled(const engine::stream_statistics& s) const {
  static const stream_entry never_sampled;
  const auto it = streams_.find(s.record.name);
  const bool same = it != streams_.end() && it->second.created_ms == s.record.created_ms;
  return same ? it->second : never_sampled;
}

void stats::write_stream_summary(api::encoder& json, const engine::stream_statistics& s,
                                 const stream_entry& e) {
  json.key("name");
  json.string(s.record.name);
  json.key("status");
  json.string(metadata::to_string(s.record.status));
  json.key("mode");
  json.string(metadata::to_string(s.record.mode));
  json.key("retention_hours");
  json.integer(s.record.retention_hours);
  std::int64_t open = 0;
  for (const auto& shard : s.shards) open += shard.record.is_open() ? 1 : 0;
  json.key("open_shards");
  json.integer(open);
  json.key("shards");
  json.integer(static_cast<std::int64_t>(s.shards.size()));
  write_rate(json, "in", e.in.records, e.in.bytes);
  write_rate(json, "out", e.out.records, e.out.bytes);
}

std::string stats::render_overview() const {
  std::vector<engine::stream_statistics> snapshot;
  engine_.statistics(snapshot);
  std::string out;
  api::json_encoder json(out);
  std::lock_guard lock(mu_);
  json.begin_object();
  json.key("now");
  json.integer(engine_.time().wall_ms());
  json.key("interval_ms");
  json.integer(options_.interval.count());
  write_server(json);
  json.key("streams");
  json.begin_array();
  for (const auto& s : snapshot) {
    json.begin_object();
    const stream_entry& e = sampled(s);
    write_stream_summary(json, s, e);
    if (!e.history.empty()) {
      begin_series(json, "spark");
      write_series(json, "records_in", e.history[records_in], options_.spark_points);
      write_series(json, "records_out", e.history[records_out], options_.spark_points);
      json.end_object();
    }
    json.end_object();
  }
  json.end_array();
  json.end_object();
  return out;
}

std::variant<std::string, api::api_error> stats::render_stream(
    std::string_view name, std::string_view shard_series) const {
  const auto* chosen =
      std::find(shard_series_names.begin(), shard_series_names.end(), shard_series);
  // Only this stream is copied: a page's poll does not pay for every other stream.
  const auto found = engine_.statistics(name);
  if (!found) {
    auto missing =
        api::from_violation(kinesis::stream_not_found(name, engine_.options().account_id));
    missing.status = 404;  // a REST path, not the Kinesis API: the resource is not there
    return missing;
  }
  const auto& s = *found;
  // Outside the lock: reading the oldest record of each shard touches the logs.
  std::vector<std::optional<std::int64_t>> oldest;
  for (const auto& shard : s.shards) {
    oldest.push_back(shard.stored_records() ? engine_.oldest_arrival_ms(name, shard.record.index)
                                            : std::nullopt);
  }
  const auto readers = readers_.list(name);
  const auto consumers = engine_.list_consumers(s.record.name, s.record.created_ms);
  const std::int64_t now = engine_.time().wall_ms();

  std::string out;
  api::json_encoder json(out);
  std::lock_guard lock(mu_);
  const stream_entry& e = sampled(s);

  json.begin_object();
  json.key("now");
  json.integer(now);
  json.key("interval_ms");
  json.integer(options_.interval.count());
  json.key("stream");
  json.begin_object();
  write_stream_summary(json, s, e);
  json.key("arn");
  json.string(s.record.arn);
  json.key("created_ms");
  json.integer(s.record.created_ms);
  json.key("throttling");
  json.boolean(facts_.throttling);
  if (!e.history.empty()) {
    begin_series(json, "history");
    write_series(json, "records_in", e.history[records_in], options_.points);
    write_series(json, "bytes_in", e.history[bytes_in], options_.points);
    write_series(json, "records_out", e.history[records_out], options_.points);
    write_series(json, "bytes_out", e.history[bytes_out], options_.points);
    write_series(json, "throttled", e.history[throttled], options_.points);
    json.end_object();
  }
  json.end_object();

  begin_series(json, "latency");
  const std::pair<const char*, std::pair<server_series, server_series>> families[] = {
      {"put", {put_p50, put_p99}}, {"get", {get_p50, get_p99}}};
  for (const auto& [family, series] : families) {
    json.key(family);
    json.begin_object();
    write_series(json, "p50", server_[series.first], options_.points);
    write_series(json, "p99", server_[series.second], options_.points);
    json.end_object();
  }
  json.end_object();

  json.key("shards");
  json.begin_array();
  for (std::size_t i = 0; i < s.shards.size(); ++i) {
    const auto& shard = s.shards[i];
    const auto& r = shard.record;
    json.begin_object();
    json.key("id");
    json.string(shard.id);
    json.key("parents");
    json.begin_array();
    if (r.parent) json.string(kinesis::shard_id(*r.parent));
    if (r.adjacent_parent) json.string(kinesis::shard_id(*r.adjacent_parent));
    json.end_array();
    json.key("hash_range");
    json.begin_object();
    json.key("start");
    json.string(to_decimal(r.range.start));
    json.key("end");
    json.string(to_decimal(r.range.end));
    json.end_object();
    json.key("sequence_range");
    json.begin_object();
    json.key("start");
    json.string(engine::shard_start_sequence_number(s.tag, r.index));
    json.key("end");
    if (r.ending_position && *r.ending_position > r.starting_position) {
      json.string(sequence_number_at(s, r, *r.ending_position - 1));
    } else if (r.ending_position) {
      json.string(engine::shard_start_sequence_number(s.tag, r.index));
    } else {
      json.null();
    }
    json.end_object();
    json.key("open");
    json.boolean(r.is_open());
    json.key("records");
    json.integer(static_cast<std::int64_t>(shard.stored_records()));
    json.key("oldest_age_ms");
    if (oldest[i]) {
      json.integer(std::max<std::int64_t>(0, now - *oldest[i]));
    } else {
      json.null();
    }
    const auto se = e.shards.find(r.index);
    const shard_entry none;
    const shard_entry& sh = se != e.shards.end() ? se->second : none;
    write_rate(json, "in", sh.in.records, sh.in.bytes);
    write_rate(json, "out", sh.out.records, sh.out.bytes);
    json.key("iterator_age_ms");
    if (shard.last_get_records_ms) {
      json.integer(static_cast<std::int64_t>(shard.counter(engine::shard_metric::iterator_age_ms)));
    } else {
      json.null();
    }
    if (!sh.history.empty() && chosen != shard_series_names.end()) {
      begin_series(json, "history");
      write_series(json, *chosen, sh.history[chosen - shard_series_names.begin()], options_.points);
      json.end_object();
    }
    json.end_object();
  }
  json.end_array();

  json.key("readers");
  json.begin_object();
  json.key("consumers");
  json.begin_array();
  if (consumers) {
    for (const auto& c : *consumers) {
      json.begin_object();
      json.key("name");
      json.string(c.name);
      json.key("arn");
      json.string(c.arn);
      json.key("status");
      json.string(metadata::to_string(c.status));
      json.key("created_ms");
      json.integer(c.created_ms);
      json.key("subscriptions");
      json.begin_array();
      for (const auto& reader : readers) {
        if (reader.type != api::reader_registry::kind::event_stream || reader.consumer != c.name) {
          continue;
        }
        json.begin_object();
        json.key("shard");
        json.string(reader.shard.value_or(""));
        json.key("millis_behind");
        json.integer(reader.millis_behind);
        json.key("since_ms");
        json.integer(reader.since_ms);
        json.end_object();
      }
      json.end_array();
      json.end_object();
    }
  }
  json.end_array();
  json.key("websocket");
  json.begin_array();
  for (const auto& reader : readers) {
    if (reader.type != api::reader_registry::kind::websocket) continue;
    json.begin_object();
    json.key("shard");
    if (reader.shard) {
      json.string(*reader.shard);
    } else {
      json.null();
    }
    json.key("millis_behind");
    json.integer(reader.millis_behind);
    json.key("since_ms");
    json.integer(reader.since_ms);
    json.end_object();
  }
  json.end_array();
  json.key("get_records");
  json.begin_array();
  for (const auto& shard : s.shards) {
    if (!shard.last_get_records_ms) continue;
    json.begin_object();
    json.key("shard");
    json.string(shard.id);
    json.key("iterator_age_ms");
    json.integer(static_cast<std::int64_t>(shard.counter(engine::shard_metric::iterator_age_ms)));
    json.key("last_read_ms");
    json.integer(shard.last_get_records_ms);
    json.end_object();
  }
  json.end_array();
  json.end_object();
  json.end_object();
  return out;
}

}  // namespace spate::server
