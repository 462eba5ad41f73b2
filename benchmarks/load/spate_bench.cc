// spate-bench: the end-to-end load tool of `make bench`. Drives a Kinesis-compatible server
// (spated, kinesalite, or anything else that speaks JSON 1.1 over HTTP/1.1) with PutRecords,
// PutRecord or GetRecords traffic and reports records/s, MB/s of record data, request latency
// quantiles, errors, and the server's peak RSS and CPU (cores, and microseconds of CPU per
// record) when given its pid.
//
// How a run goes: resolve the endpoint; create the stream unless it exists (and wait for
// ACTIVE); for get-records, fill it first; then `--concurrency` workers, each with its own
// keep-alive connection and one request in flight, run on `--threads` I/O threads for
// `--warmup` + `--duration` seconds. Only requests that complete inside the measured window
// count towards throughput and latency; every failure of the whole run is counted and named.
// Finally the stream is deleted if this run created it (unless --keep).
//
// PutRecord(s) bodies are built before the run (a pool of requests with random data and random
// partition keys, cycled), so the tool spends its CPU on the socket, not on making records. It
// checks every answer: HTTP status, Kinesis error __type, FailedRecordCount and one result per
// record sent, and for GetRecords that every record has Data and a SequenceNumber.
//
// Latency is measured per request from the first byte written to the last byte read. With
// --rate, workers send on a fixed schedule (rate / concurrency each); a worker that falls
// behind sends at once, and the report shows the rate achieved.
#include "benchmarks/load/control_client.h"
#include "benchmarks/load/http_connection.h"
#include "benchmarks/load/kinesis_cbor.h"
#include "benchmarks/load/kinesis_wire.h"
#include "benchmarks/load/latency_histogram.h"
#include "benchmarks/load/process_sampler.h"
#include "benchmarks/load/report_format.h"
#include "common/thread_name.h"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace spate::bench {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

enum class bench_mode { put_records, put_record, get_records };

struct options {
  std::string endpoint = "http://127.0.0.1:4567";
  std::string mode_name = "put-records";
  bool cbor = false;  // put-records in CBOR (--codec cbor)
  bench_mode mode = bench_mode::put_records;
  std::string stream = "spate-bench";
  int shards = 1;
  int concurrency = 4;
  int threads = 1;
  std::size_t record_size = 100;
  std::size_t batch = 500;
  double duration = 10;
  double warmup = 2;
  double rate = 0;
  std::uint64_t fill = 200'000;
  int limit = 10'000;
  int server_pid = 0;
  bool keep = false;
  bool json = false;
  std::string label;
};

// Counters of one I/O thread. Throughput and latency count only requests completed inside the
// measured window; failures count over the whole run, because every one is a server defect.
struct run_stats {
  latency_histogram latency;
  std::uint64_t requests = 0;
  std::uint64_t records = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t failed_requests = 0;
  std::uint64_t failed_records = 0;
  std::map<std::string, std::uint64_t> errors;  // kind -> requests or records
  std::string first_error;
  std::uint64_t passes = 0;  // get-records: reads of a shard from TRIM_HORIZON to its end

  void count_error(const call_error& e, std::uint64_t n = 1) {
    errors[e.kind] += n;
    if (first_error.empty()) first_error = e.message.empty() ? e.kind : e.kind + ": " + e.message;
  }

  void merge(const run_stats& o) {
    latency.merge(o.latency);
    requests += o.requests;
    records += o.records;
    payload_bytes += o.payload_bytes;
    failed_requests += o.failed_requests;
    failed_records += o.failed_records;
    for (const auto& [kind, n] : o.errors) errors[kind] += n;
    if (first_error.empty()) first_error = o.first_error;
    passes += o.passes;
  }
};

// When a phase runs and which completions it measures.
struct timeline {
  clock::time_point start;
  clock::time_point measure_from;
  clock::time_point measure_until;
  bool measured(clock::time_point t) const { return t >= measure_from && t < measure_until; }

  // Starting now: `warmup` seconds unmeasured, then `duration` seconds measured.
  static timeline starting_now(double warmup, double duration) {
    auto seconds = [](double s) {
      return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
    };
    timeline t;
    t.start = clock::now();
    t.measure_from = t.start + seconds(warmup);
    t.measure_until = t.measure_from + seconds(duration);
    return t;
  }
};

// One I/O thread: its io_context, the connections of the workers it runs, its counters and its
// JSON parser (a coroutine parses an answer completely before it awaits again, so the workers
// of one thread share the parser safely). Connections are destroyed before the io_context.
struct lane {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<http_connection>> connections;
  run_stats stats;
  simdjson::ondemand::parser parser;
};

// A PutRecord(s) request made before the run.
struct prepared_request {
  std::string bytes;  // head and body
  std::size_t records = 0;
};

// Waits `d` on the worker's executor (after a transport failure, so a dead server is not spun
// on).
net::awaitable<void> pause(clock::duration d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(use_nothrow);
}

// --- workers --------------------------------------------------------------------------------

struct put_plan {
  bench_mode mode = bench_mode::put_records;
  timeline times;
  std::size_t concurrency = 1;
  std::size_t record_size = 0;
  bool cbor = false;                            // the pool's PutRecords are CBOR
  clock::duration interval{0};                  // per worker between sends; 0: unthrottled
  std::atomic<std::int64_t>* budget = nullptr;  // requests left to send (fill), or none
};

net::awaitable<void> put_worker(lane& lane, http_connection& conn,
                                const std::vector<prepared_request>& pool, std::size_t worker,
                                const put_plan& plan) {
  net::steady_timer timer(co_await net::this_coro::executor);
  auto next_send = plan.times.start + plan.interval * worker / plan.concurrency;
  for (std::size_t i = worker;; i += plan.concurrency) {
    if (plan.budget && plan.budget->fetch_sub(1, std::memory_order_relaxed) <= 0) break;
    if (plan.interval.count() > 0) {
      if (next_send > clock::now()) {
        timer.expires_at(next_send);
        co_await timer.async_wait(use_nothrow);
      }
      next_send += plan.interval;
    }
    const auto sent = clock::now();
    if (sent >= plan.times.measure_until) break;
    const prepared_request& request = pool[i % pool.size()];
    auto reply = co_await conn.async_call(request.bytes);
    const auto done = clock::now();
    run_stats& stats = lane.stats;
    if (!reply) {
      ++stats.failed_requests;
      stats.count_error(reply.error());
      co_await pause(50ms);
      continue;
    }
    std::size_t stored = 0;
    if (plan.mode == bench_mode::put_records) {
      auto outcome = plan.cbor ? parse_put_records_cbor(**reply, request.records)
                               : parse_put_records(lane.parser, **reply, request.records);
      if (!outcome) {
        ++stats.failed_requests;
        stats.count_error(outcome.error());
        continue;
      }
      stored = outcome->succeeded;
      if (outcome->failed) {
        stats.failed_records += outcome->failed;
        stats.count_error({outcome->first_error_code, "record-level failure in PutRecords"},
                          outcome->failed);
      }
    } else {
      auto outcome = parse_put_record(lane.parser, **reply);
      if (!outcome) {
        ++stats.failed_requests;
        stats.count_error(outcome.error());
        continue;
      }
      stored = 1;
    }
    if (plan.times.measured(done)) {
      ++stats.requests;
      stats.records += stored;
      stats.payload_bytes += stored * plan.record_size;
      stats.latency.record(static_cast<std::uint64_t>((done - sent).count()));
    }
  }
}

struct get_plan {
  timeline times;
  std::string stream;
  int limit = 10'000;
};

// Reads `shard` from TRIM_HORIZON to its end, again and again, until the window closes. A pass
// ends at an empty answer that is not behind the tip (MillisBehindLatest 0 or absent), or at
// the end of a closed shard (no NextShardIterator).
net::awaitable<void> get_worker(lane& lane, http_connection& conn, const sigv4_signer& signer,
                                std::string shard, const get_plan& plan) {
  run_stats& stats = lane.stats;
  while (clock::now() < plan.times.measure_until) {
    auto iterator_reply = co_await conn.async_call(signer.request(
        "GetShardIterator", shard_iterator_body(plan.stream, shard, "TRIM_HORIZON")));
    if (!iterator_reply) {
      ++stats.failed_requests;
      stats.count_error(iterator_reply.error());
      co_await pause(50ms);
      continue;
    }
    auto iterator = parse_shard_iterator(lane.parser, **iterator_reply);
    if (!iterator) {
      ++stats.failed_requests;
      stats.count_error(iterator.error());
      co_await pause(50ms);
      continue;
    }
    std::string next = std::move(*iterator);
    std::uint64_t pass_records = 0;
    bool complete = false;
    while (!complete) {
      const std::string request = signer.request("GetRecords", get_records_body(next, plan.limit));
      const auto sent = clock::now();
      if (sent >= plan.times.measure_until) break;
      auto reply = co_await conn.async_call(request);
      const auto done = clock::now();
      if (!reply) {
        ++stats.failed_requests;
        stats.count_error(reply.error());
        co_await pause(50ms);
        break;  // start the pass again with a fresh iterator
      }
      auto page = parse_get_records(lane.parser, **reply);
      if (!page) {
        ++stats.failed_requests;
        stats.count_error(page.error());
        break;
      }
      if (plan.times.measured(done)) {
        ++stats.requests;
        stats.records += page->records;
        stats.payload_bytes += page->payload_bytes;
        stats.latency.record(static_cast<std::uint64_t>((done - sent).count()));
      }
      pass_records += page->records;
      complete = page->next_iterator.empty() || (page->records == 0 && page->millis_behind <= 0);
      next = std::move(page->next_iterator);
    }
    if (complete) ++stats.passes;
    if (complete && pass_records == 0) break;  // nothing to read in this shard
  }
}

// --- phases ---------------------------------------------------------------------------------

// Runs one coroutine per worker on the lanes' threads until all finish. With a sampler, it
// measures the server and this process over [measure_from, measure_until). Workers still
// waiting for an answer `grace` after the window closes are abandoned (the server hung) and
// counted in the result.
struct phase_result {
  run_stats stats;
  double seconds = 0;  // from the start until the last worker finished
  int hung_workers = 0;
};

template <class MakeWorker>
phase_result run_phase(std::vector<std::unique_ptr<lane>>& lanes, std::size_t workers,
                       MakeWorker make_worker, const timeline& times, process_sampler* sampler,
                       clock::duration grace) {
  std::atomic<int> left{static_cast<int>(workers)};
  for (auto& l : lanes) {
    l->stats = run_stats{};
    l->ioc.restart();
  }
  for (std::size_t w = 0; w < workers; ++w) {
    lane& l = *lanes[w % lanes.size()];
    http_connection& conn = *l.connections[w / lanes.size()];
    net::co_spawn(l.ioc, make_worker(l, conn, w), [&left](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          std::fprintf(stderr, "spate-bench: worker failed: %s\n", ex.what());
        }
      }
      left.fetch_sub(1, std::memory_order_release);
    });
  }
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < lanes.size(); ++t) {
    threads.emplace_back([&ioc = lanes[t]->ioc, t] {
      name_this_thread("requests-" + std::to_string(t));
      ioc.run();
    });
  }

  if (sampler) {
    std::this_thread::sleep_until(times.measure_from);
    sampler->start();
    std::this_thread::sleep_until(times.measure_until);
    sampler->stop();
  }
  const auto deadline = times.measure_until + grace;
  while (left.load(std::memory_order_acquire) > 0 && clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  phase_result result;
  result.seconds = std::chrono::duration<double>(clock::now() - times.start).count();
  result.hung_workers = left.load(std::memory_order_acquire);
  if (result.hung_workers > 0)
    for (auto& l : lanes) l->ioc.stop();
  for (auto& t : threads) t.join();
  for (auto& l : lanes) result.stats.merge(l->stats);
  return result;
}

// --- control plane --------------------------------------------------------------------------

// Makes sure `stream` exists and is ACTIVE; true if this call created it.
call_result<bool> ensure_stream(control_client& control, const options& opt) {
  const auto deadline = clock::now() + 60s;
  bool created = false;
  for (;;) {
    if (clock::now() > deadline) return call_error{"timeout", "stream did not become ACTIVE"};
    if (!created) {
      auto reply = control.call("CreateStream", create_stream_body(opt.stream, opt.shards));
      if (!reply) return reply.error();
      if ((*reply)->status == 200) {
        created = true;
      } else {
        const call_error e = reply_error(control.parser(), **reply);
        if (e.kind != "ResourceInUseException") return e;
      }
    }
    auto summary = describe(control, opt.stream);
    if (!summary) {
      // Just created and not visible yet, or deleted since CreateStream said it exists.
      if (summary.error().kind == "ResourceNotFoundException") {
        std::this_thread::sleep_for(50ms);
        continue;
      }
      return summary.error();
    }
    if (summary->status == "ACTIVE") {
      if (!created && summary->open_shards >= 0 && summary->open_shards != opt.shards)
        std::fprintf(stderr,
                     "spate-bench: stream %s already exists with %lld open shards (not %d); "
                     "using it as it is\n",
                     opt.stream.c_str(), static_cast<long long>(summary->open_shards), opt.shards);
      return created;
    }
    std::this_thread::sleep_for(50ms);  // CREATING, UPDATING, or DELETING before a re-create
  }
}

// --- requests made before the run -----------------------------------------------------------

std::vector<prepared_request> make_pool(const options& opt, const sigv4_signer& signer,
                                        bench_mode mode) {
  const bool batched = mode != bench_mode::put_record;
  const std::size_t per_request = batched ? opt.batch : 1;
  const std::size_t request_bytes = per_request * (opt.record_size * 4 / 3 + 48) + 512;
  // Up to 32 batches, 1024 single records, and 64 MiB in all.
  const std::size_t wanted = batched ? 32 : 1024;
  const std::size_t count =
      std::clamp<std::size_t>((std::size_t{64} << 20) / request_bytes, 2, wanted);
  std::random_device seed;
  record_factory records((std::uint64_t{seed()} << 32) | seed());
  std::vector<prepared_request> pool;
  pool.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    prepared_request r;
    r.records = per_request;
    r.bytes =
        batched
            ? (opt.cbor
                   ? signer.request(
                         "PutRecords",
                         put_records_cbor_body(opt.stream, records, per_request, opt.record_size),
                         cbor_content_type)
                   : signer.request("PutRecords", put_records_body(opt.stream, records, per_request,
                                                                   opt.record_size)))
            : signer.request("PutRecord", put_record_body(opt.stream, records, opt.record_size));
    pool.push_back(std::move(r));
  }
  return pool;
}

// --- report ---------------------------------------------------------------------------------

std::string millis(std::uint64_t ns) {
  return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6);
}

struct report {
  const options& opt;
  bool created = false;
  std::size_t shards = 0;
  phase_result run;
  std::optional<phase_result> fill;
  std::uint64_t reconnects = 0;
  const process_sampler& sampler;

  double window() const { return opt.duration; }

  // The server's CPU time (user + system) over the measured window per record counted in it.
  double server_us_per_record() const {
    const auto records = run.stats.records;
    return records ? sampler.server_cpu_seconds() * 1e6 / static_cast<double>(records) : 0;
  }

  void print_text() const {
    const run_stats& s = run.stats;
    fmt::print("spate-bench {} ({})  {}  stream {} ({} shards, {})\n", opt.mode_name,
               opt.cbor ? "CBOR" : "JSON", opt.endpoint, opt.stream, shards,
               created ? "created" : "existing");
    if (opt.mode == bench_mode::get_records) {
      fmt::print("  readers {} on {} I/O thread(s), Limit {}, {:g} s after {:g} s warm-up\n",
                 opt.concurrency, opt.threads, opt.limit, opt.duration, opt.warmup);
      if (fill)
        fmt::print("  fill        {} records in {:.1f} s ({} records/s)\n",
                   thousands(static_cast<double>(fill->stats.records)), fill->seconds,
                   thousands(fill->stats.records / fill->seconds));
    } else {
      fmt::print(
          "  concurrency {} on {} I/O thread(s), {} record(s) of {} B per request, {:g} s "
          "after {:g} s warm-up, {}\n",
          opt.concurrency, opt.threads, opt.mode == bench_mode::put_records ? opt.batch : 1,
          opt.record_size, opt.duration, opt.warmup,
          opt.rate > 0 ? fmt::format("target {} records/s", thousands(opt.rate))
                       : std::string("unthrottled"));
    }
    fmt::print("  throughput  {} records/s   {:.2f} MB/s of record data   {} requests/s\n",
               thousands(s.records / window()), s.payload_bytes / window() / 1e6,
               thousands(s.requests / window()));
    fmt::print("  latency     p50 {}   p90 {}   p99 {}   p99.9 {}   max {}   ({} requests)\n",
               millis(s.latency.quantile(0.5)), millis(s.latency.quantile(0.9)),
               millis(s.latency.quantile(0.99)), millis(s.latency.quantile(0.999)),
               millis(s.latency.max()), thousands(static_cast<double>(s.latency.count())));
    if (opt.mode == bench_mode::get_records) {
      fmt::print("  passes      {}\n", s.passes);
      if (s.records == 0 && s.passes > 0 && s.failed_requests == 0)
        fmt::print("  note        the stream held no records (fill it with --fill N)\n");
    }
    std::string kinds;
    for (const auto& [kind, n] : s.errors)
      kinds += fmt::format("{}{} x{}", kinds.empty() ? "" : ", ", kind, n);
    fmt::print("  errors      {} requests, {} records{}{}\n", s.failed_requests, s.failed_records,
               kinds.empty() ? "" : "  (" + kinds + ")",
               s.first_error.empty() ? "" : "\n              first: " + s.first_error);
    if (run.hung_workers)
      fmt::print("  HUNG        {} workers had no answer 10 s after the run\n", run.hung_workers);
    if (reconnects) fmt::print("  reconnects  {}\n", reconnects);
    if (sampler.has_server())
      fmt::print(
          "  server      peak RSS {:.1f} MiB (VmHWM), RSS now {:.1f} MiB, CPU {:.2f} cores, "
          "{:.3f} us of CPU per record\n",
          sampler.server_peak_kib() / 1024.0, sampler.server_rss_end_kib() / 1024.0,
          sampler.server_cores(), server_us_per_record());
    fmt::print("  client      CPU {:.2f} cores\n", sampler.own_cores());
  }

  void print_json() const {
    const run_stats& s = run.stats;
    std::string out = "{\"tool\":\"spate-bench\",\"mode\":";
    append_json_string(out, opt.mode_name);
    out += opt.cbor ? ",\"codec\":\"cbor\"" : ",\"codec\":\"json\"";
    out += ",\"label\":";
    append_json_string(out, opt.label);
    out += ",\"endpoint\":";
    append_json_string(out, opt.endpoint);
    out += ",\"stream\":";
    append_json_string(out, opt.stream);
    out += fmt::format(
        ",\"stream_created\":{},\"shards\":{},\"concurrency\":{},\"threads\":{},"
        "\"record_size\":{},\"batch\":{},\"rate\":{},\"warmup_s\":{},\"duration_s\":{}",
        created, shards, opt.concurrency, opt.threads, opt.record_size,
        opt.mode == bench_mode::put_record ? 1 : opt.batch, opt.rate, opt.warmup, opt.duration);
    out += fmt::format(
        ",\"requests\":{},\"records\":{},\"records_per_s\":{:.1f},\"mb_per_s\":{:.3f},"
        "\"requests_per_s\":{:.1f}",
        s.requests, s.records, s.records / window(), s.payload_bytes / window() / 1e6,
        s.requests / window());
    auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e3; };
    out += fmt::format(
        ",\"latency_us\":{{\"p50\":{:.1f},\"p90\":{:.1f},\"p99\":{:.1f},\"p999\":{:.1f},"
        "\"max\":{:.1f},\"mean\":{:.1f}}}",
        us(s.latency.quantile(0.5)), us(s.latency.quantile(0.9)), us(s.latency.quantile(0.99)),
        us(s.latency.quantile(0.999)), us(s.latency.max()), s.latency.mean() / 1e3);
    out += fmt::format(",\"failed_requests\":{},\"failed_records\":{},\"errors\":{{",
                       s.failed_requests, s.failed_records);
    bool first = true;
    for (const auto& [kind, n] : s.errors) {
      if (!first) out += ',';
      first = false;
      append_json_string(out, kind);
      out += fmt::format(":{}", n);
    }
    out += "},\"first_error\":";
    append_json_string(out, s.first_error);
    out += fmt::format(",\"hung_workers\":{},\"reconnects\":{}", run.hung_workers, reconnects);
    if (opt.mode == bench_mode::get_records) {
      out += fmt::format(",\"passes\":{}", s.passes);
      if (fill)
        out += fmt::format(",\"fill_records\":{},\"fill_records_per_s\":{:.1f}",
                           fill->stats.records, fill->stats.records / fill->seconds);
    }
    if (sampler.has_server())
      out += fmt::format(
          ",\"server_pid\":{},\"server_peak_rss_mib\":{:.1f},\"server_rss_end_mib\":{:.1f},"
          "\"server_cpu_cores\":{:.2f},\"server_cpu_us_per_record\":{:.4f}",
          opt.server_pid, sampler.server_peak_kib() / 1024.0, sampler.server_rss_end_kib() / 1024.0,
          sampler.server_cores(), server_us_per_record());
    out += fmt::format(",\"client_cpu_cores\":{:.2f}}}\n", sampler.own_cores());
    std::fputs(out.c_str(), stdout);
  }
};

// --- main -----------------------------------------------------------------------------------

int run(options& opt) {
  auto ep = parse_endpoint(opt.endpoint);
  if (!ep) {
    std::fprintf(stderr, "spate-bench: %s\n", ep.error().message.c_str());
    return 2;
  }
  auto peers = resolve_endpoint("spate-bench", *ep);
  if (!peers) return 1;
  const sigv4_signer signer(ep->host_header);
  control_client control(*peers, signer);

  auto created = ensure_stream(control, opt);
  if (!created) {
    std::fprintf(stderr, "spate-bench: cannot create stream %s: %s %s\n", opt.stream.c_str(),
                 created.error().kind.c_str(), created.error().message.c_str());
    return 1;
  }
  auto shard_ids = list_shards(control, opt.stream);
  if (!shard_ids || shard_ids->empty()) {
    std::fprintf(stderr, "spate-bench: cannot list the shards of %s: %s\n", opt.stream.c_str(),
                 shard_ids ? "no shards" : shard_ids.error().message.c_str());
    return 1;
  }

  // Lanes and connections live for the whole run, so get-records readers reuse the
  // connections that filled the stream.
  const std::size_t fill_workers =
      opt.mode == bench_mode::get_records ? std::max<std::size_t>(opt.concurrency, 8) : 0;
  const std::size_t workers = std::max<std::size_t>(opt.concurrency, fill_workers);
  std::vector<std::unique_ptr<lane>> lanes;
  for (int t = 0; t < opt.threads; ++t) lanes.push_back(std::make_unique<lane>());
  for (std::size_t w = 0; w < workers; ++w) {
    lane& l = *lanes[w % lanes.size()];
    l.connections.push_back(std::make_unique<http_connection>(l.ioc.get_executor(), *peers));
  }

  process_sampler sampler(opt.server_pid);
  report out{opt, *created, shard_ids->size(), {}, std::nullopt, 0, sampler};

  if (opt.mode == bench_mode::get_records) {
    if (opt.fill > 0) {
      const auto pool = make_pool(opt, signer, bench_mode::put_records);
      std::atomic<std::int64_t> budget{
          static_cast<std::int64_t>((opt.fill + opt.batch - 1) / opt.batch)};
      put_plan plan;
      plan.mode = bench_mode::put_records;
      plan.concurrency = fill_workers;
      plan.record_size = opt.record_size;
      plan.cbor = opt.cbor;
      plan.budget = &budget;
      plan.times.start = plan.times.measure_from = clock::now();
      plan.times.measure_until = plan.times.start + 600s;  // a fill gives up after 10 minutes
      out.fill = run_phase(
          lanes, fill_workers,
          [&](lane& l, http_connection& c, std::size_t w) {
            return put_worker(l, c, pool, w, plan);
          },
          plan.times, nullptr, 10s);
      if (out.fill->hung_workers > 0) {
        // Their coroutines are still parked on the lanes; the run cannot go on safely.
        std::fprintf(stderr, "spate-bench: the server stopped answering while filling %s\n",
                     opt.stream.c_str());
        return 3;
      }
    }
    get_plan plan;
    plan.stream = opt.stream;
    plan.limit = opt.limit;
    plan.times = timeline::starting_now(opt.warmup, opt.duration);
    out.run = run_phase(
        lanes, opt.concurrency,
        [&](lane& l, http_connection& c, std::size_t w) {
          return get_worker(l, c, signer, (*shard_ids)[w % shard_ids->size()], plan);
        },
        plan.times, &sampler, 10s);
  } else {
    const auto pool = make_pool(opt, signer, opt.mode);
    put_plan plan;
    plan.mode = opt.mode;
    plan.concurrency = opt.concurrency;
    plan.record_size = opt.record_size;
    plan.cbor = opt.cbor;
    if (opt.rate > 0) {
      const double per_request = opt.mode == bench_mode::put_records ? opt.batch : 1;
      plan.interval = std::chrono::duration_cast<clock::duration>(
          std::chrono::duration<double>(per_request * opt.concurrency / opt.rate));
    }
    plan.times = timeline::starting_now(opt.warmup, opt.duration);
    out.run = run_phase(
        lanes, opt.concurrency,
        [&](lane& l, http_connection& c, std::size_t w) { return put_worker(l, c, pool, w, plan); },
        plan.times, &sampler, 10s);
  }
  for (auto& l : lanes)
    for (auto& c : l->connections) out.reconnects += c->reconnects();

  if (*created && !opt.keep) {
    auto reply = control.call("DeleteStream", stream_body(opt.stream));
    if (reply && (*reply)->status != 200) reply = reply_error(control.parser(), **reply);
    if (!reply)
      std::fprintf(stderr, "spate-bench: DeleteStream %s failed: %s %s\n", opt.stream.c_str(),
                   reply.error().kind.c_str(), reply.error().message.c_str());
  }

  if (opt.json)
    out.print_json();
  else
    out.print_text();
  return out.run.hung_workers ? 3 : 0;
}

}  // namespace
}  // namespace spate::bench

int main(int argc, char** argv) {
  spate::bench::options opt;
  CLI::App app{
      "spate-bench: load generator for Kinesis-compatible servers (JSON 1.1 over HTTP/1.1).\n"
      "Creates --stream if missing (deleted at the end if this run created it, unless --keep),\n"
      "runs --warmup then --duration seconds, and reports records/s, MB/s of record data,\n"
      "latency quantiles, errors and, with --server-pid, the server's peak RSS and CPU."};
  app.add_option("--endpoint", opt.endpoint, "server URL, http://HOST:PORT")->capture_default_str();
  app.add_option("--mode", opt.mode_name, "put-records | put-record | get-records")
      ->check(CLI::IsMember({"put-records", "put-record", "get-records"}))
      ->capture_default_str();
  std::string codec = "json";
  app.add_option("--codec", codec,
                 "put-records: the request's encoding, JSON 1.1 or CBOR 1.1 (as the Java SDK "
                 "and the KCL send it)")
      ->check(CLI::IsMember({"json", "cbor"}))
      ->capture_default_str();
  app.add_option("--stream", opt.stream, "stream name")
      ->check(CLI::Validator(
          [](std::string& s) {
            static const std::regex name("[a-zA-Z0-9_.-]{1,128}");
            return std::regex_match(s, name) ? std::string() : "not a Kinesis stream name";
          },
          "NAME"))
      ->capture_default_str();
  app.add_option("--shards", opt.shards, "shards of the stream if it is created")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--concurrency", opt.concurrency,
                 "workers, each with its own connection and one request in flight "
                 "(get-records: readers, spread over the shards)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--threads", opt.threads, "I/O threads of this tool")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--record-size", opt.record_size, "bytes of data per record")
      ->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--batch", opt.batch, "records per PutRecords request (also when filling)")
      ->check(CLI::Range(1, 500))
      ->capture_default_str();
  app.add_option("--duration", opt.duration, "measured seconds")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--warmup", opt.warmup, "seconds run before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "target records/s over all workers; 0 = unthrottled")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--fill", opt.fill,
                 "get-records: records to put before reading; 0 = read what the stream holds")
      ->capture_default_str();
  app.add_option("--limit", opt.limit, "get-records: Limit of each GetRecords")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--server-pid", opt.server_pid,
                 "server process to measure (peak RSS from /proc/PID/status, CPU)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--keep", opt.keep, "do not delete the stream at the end");
  app.add_flag("--json", opt.json, "print one JSON line of results instead of text");
  app.add_option("--label", opt.label, "free text copied into the JSON line");
  CLI11_PARSE(app, argc, argv);

  opt.cbor = codec == "cbor";
  if (opt.mode_name == "put-record")
    opt.mode = spate::bench::bench_mode::put_record;
  else if (opt.mode_name == "get-records")
    opt.mode = spate::bench::bench_mode::get_records;
  if (opt.batch * (opt.record_size + 20) > (5u << 20) &&
      opt.mode != spate::bench::bench_mode::put_record)
    std::fprintf(stderr,
                 "spate-bench: warning: %zu records of %zu B exceed the 5 MiB PutRecords "
                 "limit; expect the server to refuse them\n",
                 opt.batch, opt.record_size);
  try {
    return spate::bench::run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spate-bench: %s\n", e.what());
    return 1;
  }
}
