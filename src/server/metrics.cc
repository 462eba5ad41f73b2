// metrics: counters and the Prometheus text rendering.
//
// Enhanced monitoring adds, per shard of each stream that enabled it and only for the metrics
// it enabled, spate_shard_<metric>{stream,shard}: incoming_bytes_total, incoming_records_total,
// outgoing_bytes_total, outgoing_records_total,
// write_provisioned_throughput_exceeded_total, read_provisioned_throughput_exceeded_total
// (counters) and iterator_age_milliseconds (gauge); the values come from the engine's
// per-shard counters (engine/shard_metrics.h).
#include "server/metrics.h"

#include "common/incident.h"
#include "common/version.h"
#include "engine/shard_metrics.h"
#include "server/admission.h"
#include "server/budgets.h"
#include "server/idle_connections.h"
#include "server/memory_trimmer.h"

#include <fmt/format.h>

#include <fstream>
#include <mutex>
#include <optional>
#include <unistd.h>

namespace spate::server {
namespace {

// Prometheus label values escape backslash, quote and newline.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::uint64_t metrics::resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

metrics::metrics(std::vector<std::string_view> action_names, metrics_sources sources)
    : sources_(sources) {
  for (auto name : action_names) {
    actions_.push_back(std::make_unique<action_counters>());
    actions_.back()->name = std::string(name);
    if (name == "PutRecord" || name == "PutRecords") {
      actions_.back()->latency = &latencies_[static_cast<std::size_t>(latency_family::put)];
    } else if (name == "GetRecords") {
      actions_.back()->latency = &latencies_[static_cast<std::size_t>(latency_family::get)];
    }
  }
  actions_.push_back(std::make_unique<action_counters>());
  actions_.back()->name = "unknown";
}

metrics::action_counters& metrics::counters_for(std::string_view action) {
  for (auto& a : actions_) {
    if (a->name == action) return *a;
  }
  return *actions_.back();
}

void metrics::request_done(std::string_view action, bool error, std::int64_t micros) {
  auto& a = counters_for(action);
  a.requests.fetch_add(1, std::memory_order_relaxed);
  if (error) a.errors.fetch_add(1, std::memory_order_relaxed);
  if (a.latency) a.latency->record(micros);
  durations_.record(std::chrono::microseconds(micros));
}

void metrics::request_totals(std::vector<std::pair<std::string_view, std::uint64_t>>& out) const {
  for (const auto& a : actions_) {
    out.emplace_back(a->name, a->requests.load(std::memory_order_relaxed));
  }
}

metrics::stream_counters& metrics::stream(std::string_view name) {
  {
    std::shared_lock lock(streams_mu_);
    if (auto it = streams_.find(name); it != streams_.end()) return *it->second;
  }
  std::unique_lock lock(streams_mu_);
  if (streams_.size() >= max_stream_series && !streams_.contains(name)) name = "_other";
  auto& slot = streams_[std::string(name)];
  if (!slot) slot = std::make_unique<stream_counters>();
  return *slot;
}

void metrics::records_in(std::string_view name, std::uint64_t records, std::uint64_t bytes) {
  auto& s = stream(name);
  s.records_in.fetch_add(records, std::memory_order_relaxed);
  s.bytes_in.fetch_add(bytes, std::memory_order_relaxed);
}

void metrics::records_out(std::string_view name, std::uint64_t records, std::uint64_t bytes) {
  auto& s = stream(name);
  s.records_out.fetch_add(records, std::memory_order_relaxed);
  s.bytes_out.fetch_add(bytes, std::memory_order_relaxed);
}

namespace {

// `h` as the Prometheus histogram `name` (cumulative buckets, sum and count).
void append_histogram(std::string& out, std::string_view name, std::string_view help,
                      const duration_histogram& h) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "# HELP {0} {1}\n# TYPE {0} histogram\n", name, help);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < duration_histogram::bounds.size(); ++i) {
    cumulative += h.in_bucket(i);
    fmt::format_to(it, "{}_bucket{{le=\"{}\"}} {}\n", name, duration_histogram::bounds[i],
                   cumulative);
  }
  cumulative += h.in_bucket(duration_histogram::bounds.size());
  fmt::format_to(it, "{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  fmt::format_to(it, "{}_sum {}\n", name, static_cast<double>(h.sum_micros()) / 1e6);
  fmt::format_to(it, "{}_count {}\n", name, h.count());
}

// Prometheus names of the shard-level metrics, in engine::shard_metric order.
struct shard_series {
  const char* name;
  const char* type;
};
constexpr std::array<shard_series, engine::shard_metric_count> shard_series_names = {{
    {"spate_shard_incoming_bytes_total", "counter"},
    {"spate_shard_incoming_records_total", "counter"},
    {"spate_shard_outgoing_bytes_total", "counter"},
    {"spate_shard_outgoing_records_total", "counter"},
    {"spate_shard_write_provisioned_throughput_exceeded_total", "counter"},
    {"spate_shard_read_provisioned_throughput_exceeded_total", "counter"},
    {"spate_shard_iterator_age_milliseconds", "gauge"},
}};

void render_shard_metrics(const engine::engine* source, std::string& out) {
  if (!source) return;
  std::vector<engine::shard_metrics_sample> samples;
  source->enhanced_metrics(samples);
  if (samples.empty()) return;
  auto it = std::back_inserter(out);
  for (std::size_t m = 0; m < engine::shard_metric_count; ++m) {
    bool header = false;
    for (const auto& s : samples) {
      if (!s.enabled[m]) continue;
      if (!header) {
        fmt::format_to(it,
                       "# HELP {0} Enhanced monitoring: {1} per shard.\n"
                       "# TYPE {0} {2}\n",
                       shard_series_names[m].name, engine::shard_metric_names[m],
                       shard_series_names[m].type);
        header = true;
      }
      fmt::format_to(it, "{}{{stream=\"{}\",shard=\"{}\"}} {}\n", shard_series_names[m].name,
                     label(s.stream), s.shard_id, s.values[m]);
    }
  }
}

// GetRecords.IteratorAgeMilliseconds per stream: its oldest shard's, among the shards
// GetRecords has read (a stream nobody reads with GetRecords has no series).
void render_iterator_ages(const engine::engine* source, std::string& out) {
  if (!source) return;
  std::vector<engine::stream_statistics> streams;
  source->statistics(streams);
  auto it = std::back_inserter(out);
  out +=
      "# HELP spate_getrecords_iterator_age_milliseconds Age of the last record GetRecords "
      "returned, the oldest among the stream's shards (AWS: GetRecords.IteratorAgeMilliseconds).\n"
      "# TYPE spate_getrecords_iterator_age_milliseconds gauge\n";
  for (const auto& s : streams) {
    std::optional<std::uint64_t> oldest;
    for (const auto& shard : s.shards) {
      if (shard.last_get_records_ms == 0) continue;
      oldest = std::max(oldest.value_or(0), shard.counter(engine::shard_metric::iterator_age_ms));
    }
    if (oldest) {
      fmt::format_to(it, "spate_getrecords_iterator_age_milliseconds{{stream=\"{}\"}} {}\n",
                     label(s.record.name), *oldest);
    }
  }
}

void render_budgets(const budgets* memory, std::string& out) {
  if (!memory) return;
  auto it = std::back_inserter(out);
  const memory_budget* all[] = {&memory->requests, &memory->responses, &memory->subscribers};
  const std::pair<const char*, const char*> series[] = {
      {"used_bytes", "Bytes held now under the budget."},
      {"limit_bytes", "The budget's limit (0: unlimited)."},
      {"peak_bytes", "The most bytes held at once since the start."},
  };
  for (const auto& [name, help] : series) {
    fmt::format_to(it, "# HELP spate_memory_budget_{0} {1}\n# TYPE spate_memory_budget_{0} gauge\n",
                   name, help);
    for (const memory_budget* b : all) {
      const std::size_t value = name[0] == 'u'   ? b->used()
                                : name[0] == 'l' ? b->limit()
                                                 : b->peak();
      fmt::format_to(it, "spate_memory_budget_{}{{budget=\"{}\"}} {}\n", name, b->name(), value);
    }
  }
  out +=
      "# HELP spate_memory_budget_refusals_total Reservations refused for lack of room.\n"
      "# TYPE spate_memory_budget_refusals_total counter\n";
  for (const memory_budget* b : all) {
    fmt::format_to(it, "spate_memory_budget_refusals_total{{budget=\"{}\"}} {}\n", b->name(),
                   b->refusals());
  }
}

void render_shared_pages(const api::shared_batches* pages, std::string& out) {
  if (!pages) return;
  fmt::format_to(std::back_inserter(out),
                 "# HELP spate_push_page_lookups_total Push subscribers' (WebSocket and "
                 "SubscribeToShard) lookups of a page another subscriber read and encoded from "
                 "the same position: taken (no read, no encoding) or missed (read its own).\n"
                 "# TYPE spate_push_page_lookups_total counter\n"
                 "spate_push_page_lookups_total{{result=\"taken\"}} {}\n"
                 "spate_push_page_lookups_total{{result=\"missed\"}} {}\n",
                 pages->hits(), pages->misses());
}

void render_admission(const admission* queue, std::string& out) {
  if (!queue) return;
  const auto s = queue->stats();
  fmt::format_to(
      std::back_inserter(out),
      "# HELP spate_admission_active Kinesis requests running or about to run.\n"
      "# TYPE spate_admission_active gauge\nspate_admission_active {}\n"
      "# HELP spate_admission_queued Kinesis requests waiting for their turn.\n"
      "# TYPE spate_admission_queued gauge\nspate_admission_queued {}\n"
      "# HELP spate_admission_overloaded 1 while the queue stands (served newest "
      "first).\n"
      "# TYPE spate_admission_overloaded gauge\nspate_admission_overloaded {}\n"
      "# HELP spate_admission_admitted_total Kinesis requests let through.\n"
      "# TYPE spate_admission_admitted_total counter\nspate_admission_admitted_total {}\n"
      "# HELP spate_admission_shed_total Kinesis requests answered 503 unserved.\n"
      "# TYPE spate_admission_shed_total counter\nspate_admission_shed_total {}\n"
      "# HELP spate_admission_last_wait_seconds The last admitted request's wait.\n"
      "# TYPE spate_admission_last_wait_seconds gauge\n"
      "spate_admission_last_wait_seconds {}\n",
      s.active, s.queued, s.overloaded ? 1 : 0, s.admitted, s.shed,
      static_cast<double>(s.last_sojourn_us) / 1e6);
}

}  // namespace

std::string metrics::render() const {
  std::string out;
  auto it = std::back_inserter(out);
  out +=
      "# HELP spate_requests_total Kinesis API requests by action.\n"
      "# TYPE spate_requests_total counter\n";
  for (const auto& a : actions_) {
    fmt::format_to(it, "spate_requests_total{{action=\"{}\"}} {}\n", a->name, a->requests.load());
  }
  out +=
      "# HELP spate_errors_total Kinesis API requests answered with an error, by action.\n"
      "# TYPE spate_errors_total counter\n";
  for (const auto& a : actions_) {
    fmt::format_to(it, "spate_errors_total{{action=\"{}\"}} {}\n", a->name, a->errors.load());
  }
  {
    std::shared_lock lock(streams_mu_);
    const std::pair<const char*, std::atomic<std::uint64_t> stream_counters::*> series[] = {
        {"records_in", &stream_counters::records_in},
        {"bytes_in", &stream_counters::bytes_in},
        {"records_out", &stream_counters::records_out},
        {"bytes_out", &stream_counters::bytes_out}};
    for (const auto& [name, member] : series) {
      fmt::format_to(it,
                     "# HELP spate_{0}_total Record traffic per stream.\n"
                     "# TYPE spate_{0}_total counter\n",
                     name);
      for (const auto& [stream, c] : streams_) {
        fmt::format_to(it, "spate_{}_total{{stream=\"{}\"}} {}\n", name, label(stream),
                       ((*c).*member).load());
      }
    }
  }
  append_histogram(out, "spate_request_duration_seconds",
                   "Time from request read to response ready.", durations_);
  fmt::format_to(it,
                 "# HELP spate_open_connections Open client connections.\n"
                 "# TYPE spate_open_connections gauge\nspate_open_connections {}\n",
                 open_connections_.load());
  fmt::format_to(it,
                 "# HELP spate_connections_total Connections served, by the protocol they spoke.\n"
                 "# TYPE spate_connections_total counter\n"
                 "spate_connections_total{{protocol=\"http1\"}} {}\n"
                 "spate_connections_total{{protocol=\"http1_tls\"}} {}\n"
                 "spate_connections_total{{protocol=\"h2c\"}} {}\n"
                 "spate_connections_total{{protocol=\"h2\"}} {}\n",
                 protocols_[0].load(), protocols_[1].load(), protocols_[2].load(),
                 protocols_[3].load());
  fmt::format_to(it,
                 "# HELP spate_subscribers Open push subscriptions.\n"
                 "# TYPE spate_subscribers gauge\n"
                 "spate_subscribers{{kind=\"event_stream\"}} {}\n"
                 "spate_subscribers{{kind=\"websocket\"}} {}\n"
                 "# HELP spate_slow_subscribers_closed_total Subscribers closed for falling behind "
                 "their buffer.\n"
                 "# TYPE spate_slow_subscribers_closed_total counter\n"
                 "spate_slow_subscribers_closed_total {}\n",
                 subscribers_[0].load(), subscribers_[1].load(), slow_closed_.load());
  append_histogram(out, "spate_push_delay_seconds",
                   "For each wake-up of a shard that new records answered, for each push "
                   "subscription to it (WebSocket or SubscribeToShard), from the wake-up to the "
                   "write of the message that brought the subscriber to the shard's end: how "
                   "long new records waited in the server, a slow subscriber's queue included.",
                   push_delays_);
  if (sources_.engine) {
    append_histogram(out, "spate_commit_sync_seconds",
                     "Time each group-commit round took to make its log files durable "
                     "(fdatasync, or syncfs and a flush; --fsync batch and always).",
                     sources_.engine->commit_sync_durations());
  }
  render_shard_metrics(sources_.engine, out);
  render_iterator_ages(sources_.engine, out);
  render_budgets(sources_.memory, out);
  render_admission(sources_.queue, out);
  render_shared_pages(sources_.shared_pages, out);
  out +=
      "# HELP spate_incidents_total Failures of the machine under the server: full disk, I/O "
      "errors, failed syncs, exhausted descriptors, catalog writes.\n"
      "# TYPE spate_incidents_total counter\n";
  for (std::size_t k = 0; k < incident::kind_count; ++k) {
    const auto kind = static_cast<incident::kind>(k);
    fmt::format_to(it, "spate_incidents_total{{kind=\"{}\"}} {}\n", incident::name(kind),
                   incident::count(kind));
  }
  fmt::format_to(it,
                 "# HELP spate_idle_connections_evicted_total Idle connections closed to make "
                 "room for new ones at --max-connections.\n"
                 "# TYPE spate_idle_connections_evicted_total counter\n"
                 "spate_idle_connections_evicted_total {}\n",
                 evicted_.load());
  if (sources_.idle) {
    fmt::format_to(it,
                   "# HELP spate_idle_connections Connections waiting for their client to speak.\n"
                   "# TYPE spate_idle_connections gauge\nspate_idle_connections {}\n",
                   sources_.idle->size());
  }
  if (sources_.trimmer) {
    fmt::format_to(it,
                   "# HELP spate_memory_trims_total Times freed heap memory was given back to "
                   "the system.\n"
                   "# TYPE spate_memory_trims_total counter\nspate_memory_trims_total {}\n"
                   "# HELP spate_memory_trimmed_bytes_total Resident bytes those trims gave "
                   "back.\n"
                   "# TYPE spate_memory_trimmed_bytes_total counter\n"
                   "spate_memory_trimmed_bytes_total {}\n",
                   sources_.trimmer->trims(), sources_.trimmer->released_bytes());
  }
  fmt::format_to(it,
                 "# HELP spate_build_info The server's version and the commit it was built from.\n"
                 "# TYPE spate_build_info gauge\n"
                 "spate_build_info{{version=\"{}\",commit=\"{}\"}} 1\n",
                 spate::version, spate::commit);
  fmt::format_to(it,
                 "# HELP spate_resident_memory_bytes Resident set size of the server.\n"
                 "# TYPE spate_resident_memory_bytes gauge\nspate_resident_memory_bytes {}\n",
                 resident_bytes());
  return out;
}

}  // namespace spate::server
