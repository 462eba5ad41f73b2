// spate-overload-bench: an open-loop PutRecords load, for how a server behaves past what it
// can sustain. `make bench` runs it at ten times the rate spate-bench measured as the peak.
//
// Open loop: requests fall due at a fixed rate whatever the server does, as when many
// independent producers share one server. A due request takes a free connection of the pool
// (`--connections`, each with one request in flight, as an SDK uses one); when none is free
// it is dropped and counted (the producer's own queue would be where it waits). A request not
// answered within `--timeout-ms` is given up as a client gives up: its connection is closed
// (the server may still do the work, for nothing) and it counts as timed out. Latency is
// measured from the moment a request fell due, so the client-side wait counts too.
//
// Reported: goodput (records acknowledged per second, inside the window), what happened to
// every request (acknowledged, 503 ServiceUnavailable, other errors, timed out, dropped), the
// latency quantiles of acknowledged requests, and, with --server-pid, the server's peak RSS
// and CPU. Bodies are built before the run (a pool, cycled), as in spate-bench.
#include "benchmarks/load/control_client.h"
#include "benchmarks/load/http_connection.h"
#include "benchmarks/load/kinesis_wire.h"
#include "benchmarks/load/latency_histogram.h"
#include "benchmarks/load/process_sampler.h"
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
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace spate::bench {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct options {
  std::string endpoint = "http://127.0.0.1:4567";
  std::string stream = "spate-overload";
  int shards = 4;
  double rate = 1000;  // requests per second offered
  int connections = 512;
  int threads = 1;
  std::size_t record_size = 100;
  std::size_t batch = 500;
  double duration = 10;
  double warmup = 2;
  int timeout_ms = 2000;
  int server_pid = 0;
  bool json = false;
  std::string label;
};

// What became of the requests that fell due inside the measured window.
struct outcome_counts {
  std::uint64_t due = 0;
  std::uint64_t acknowledged = 0;  // HTTP 200, every record stored
  std::uint64_t records = 0;       // records acknowledged
  std::uint64_t unavailable = 0;   // 503 ServiceUnavailable: shed by the server
  std::uint64_t timed_out = 0;     // given up by the client
  std::uint64_t dropped = 0;       // no free connection when it fell due
  std::uint64_t other_errors = 0;
  std::map<std::string, std::uint64_t> errors;
  latency_histogram latency;  // acknowledged requests, from due to answered

  void merge(const outcome_counts& o) {
    due += o.due;
    acknowledged += o.acknowledged;
    records += o.records;
    unavailable += o.unavailable;
    timed_out += o.timed_out;
    dropped += o.dropped;
    other_errors += o.other_errors;
    for (const auto& [k, n] : o.errors) errors[k] += n;
    latency.merge(o.latency);
  }
};

// One I/O thread with its share of the rate and of the connections.
struct lane {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<http_connection>> connections;
  std::vector<http_connection*> free;  // connections with no request in flight
  net::steady_timer* freed = nullptr;  // the pacer's timer while it waits for a connection
  simdjson::ondemand::parser parser;
  outcome_counts counts;
};

struct schedule {
  clock::time_point start, measure_from, measure_until;
  bool measured(clock::time_point due) const { return due >= measure_from && due < measure_until; }
};

// One request on one connection, raced against the client's timeout.
net::awaitable<void> call(lane& l, http_connection& conn, const std::string& request,
                          std::size_t records, clock::time_point due, bool measured,
                          std::chrono::milliseconds timeout) {
  auto gave_up = std::make_shared<bool>(false);
  net::steady_timer timer(co_await net::this_coro::executor, due + timeout);
  timer.async_wait([&conn, gave_up](boost::system::error_code ec) {
    if (ec) return;
    *gave_up = true;
    conn.abandon();  // the call below fails at once
  });
  auto reply = co_await conn.async_call(request);
  timer.cancel();
  outcome_counts& c = l.counts;
  if (*gave_up) {
    if (measured) ++c.timed_out;
  } else if (!reply) {
    if (measured) {
      ++c.other_errors;
      ++c.errors[reply.error().kind];
    }
  } else if ((*reply)->status == 503) {
    if (measured) ++c.unavailable;
  } else if (auto parsed = parse_put_records(l.parser, **reply, records); !parsed) {
    if (measured) {
      ++c.other_errors;
      ++c.errors[parsed.error().kind];
    }
  } else if (measured) {
    if (parsed->failed) ++c.errors["record-level: " + parsed->first_error_code];
    if (parsed->failed == 0) ++c.acknowledged;
    c.records += parsed->succeeded;
    if (parsed->failed == 0) {
      c.latency.record(static_cast<std::uint64_t>((clock::now() - due).count()));
    }
  }
  l.free.push_back(&conn);
  if (l.freed) l.freed->cancel();
}

// Sends this lane's requests on their schedule until the window closes. While no connection
// is free it sleeps until one is (rather than waking for every request due meanwhile), then
// counts the requests that fell due in between as dropped: the tool's own CPU stays small, so
// the server under test keeps the cores.
net::awaitable<void> pace(lane& l, const std::vector<std::string>& pool, std::size_t records,
                          const schedule& times, clock::duration interval, clock::duration offset,
                          std::chrono::milliseconds timeout) {
  net::steady_timer timer(co_await net::this_coro::executor);
  auto due = times.start + offset;
  for (std::size_t i = 0; due < times.measure_until; ++i, due += interval) {
    if (l.free.empty()) {
      l.freed = &timer;
      timer.expires_at(times.measure_until);
      co_await timer.async_wait(use_nothrow);  // cancelled when a connection frees
      l.freed = nullptr;
      // Everything that fell due meanwhile found no connection.
      for (; due + interval <= clock::now() && due < times.measure_until; due += interval, ++i) {
        if (times.measured(due)) {
          ++l.counts.due;
          ++l.counts.dropped;
        }
      }
      if (due >= times.measure_until) break;
    }
    if (due > clock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(use_nothrow);
    }
    const bool measured = times.measured(due);
    if (measured) ++l.counts.due;
    if (l.free.empty()) {
      if (measured) ++l.counts.dropped;
      continue;
    }
    http_connection* conn = l.free.back();
    l.free.pop_back();
    net::co_spawn(l.ioc, call(l, *conn, pool[i % pool.size()], records, due, measured, timeout),
                  net::detached);
  }
}

int run(const options& opt) {
  auto ep = parse_endpoint(opt.endpoint);
  if (!ep) {
    std::fprintf(stderr, "spate-overload-bench: %s\n", ep.error().message.c_str());
    return 2;
  }
  auto peers = resolve_endpoint("spate-overload-bench", *ep);
  if (!peers) return 2;
  const sigv4_signer signer(ep->host_header);
  control_client control(*peers, signer);
  {
    auto made = control.call("CreateStream", create_stream_body(opt.stream, opt.shards));
    if (!made) {
      std::fprintf(stderr, "spate-overload-bench: CreateStream: %s\n",
                   made.error().message.c_str());
      return 1;
    }
    for (int tries = 0;; ++tries) {
      auto summary = describe(control, opt.stream);
      if (summary && summary->status == "ACTIVE") break;
      if (tries > 600) {
        std::fprintf(stderr, "spate-overload-bench: stream %s never became ACTIVE\n",
                     opt.stream.c_str());
        return 1;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  std::random_device seed;
  record_factory factory((std::uint64_t{seed()} << 32) | seed());
  std::vector<std::string> pool;
  for (int i = 0; i < 32; ++i) {
    pool.push_back(signer.request(
        "PutRecords", put_records_body(opt.stream, factory, opt.batch, opt.record_size)));
  }

  std::vector<std::unique_ptr<lane>> lanes;
  for (int t = 0; t < opt.threads; ++t) lanes.push_back(std::make_unique<lane>());
  for (int c = 0; c < opt.connections; ++c) {
    lane& l = *lanes[static_cast<std::size_t>(c) % lanes.size()];
    l.connections.push_back(std::make_unique<http_connection>(l.ioc.get_executor(), *peers));
    l.free.push_back(l.connections.back().get());
  }

  auto seconds = [](double s) {
    return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
  };
  schedule times;
  times.start = clock::now() + 100ms;
  times.measure_from = times.start + seconds(opt.warmup);
  times.measure_until = times.measure_from + seconds(opt.duration);
  const auto interval = seconds(static_cast<double>(lanes.size()) / opt.rate);
  for (std::size_t t = 0; t < lanes.size(); ++t) {
    net::co_spawn(lanes[t]->ioc,
                  pace(*lanes[t], pool, opt.batch, times, interval, interval * t / lanes.size(),
                       std::chrono::milliseconds(opt.timeout_ms)),
                  net::detached);
  }
  process_sampler sampler(opt.server_pid);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < lanes.size(); ++t) {
    threads.emplace_back([&l = lanes[t], t] {
      name_this_thread("requests-" + std::to_string(t));
      l->ioc.run_until(clock::now() + 1h);
    });
  }
  std::this_thread::sleep_until(times.measure_from);
  sampler.start();
  std::this_thread::sleep_until(times.measure_until);
  sampler.stop();
  // Answers to requests due inside the window still count; then everything stops.
  std::this_thread::sleep_for(std::chrono::milliseconds(opt.timeout_ms) + 200ms);
  for (auto& l : lanes) l->ioc.stop();
  for (auto& t : threads) t.join();

  outcome_counts all;
  for (auto& l : lanes) all.merge(l->counts);
  (void)control.call("DeleteStream", stream_body(opt.stream));

  const double goodput = static_cast<double>(all.records) / opt.duration;
  const double ms = 1e-6;
  const double p50 = static_cast<double>(all.latency.quantile(0.50)) * ms;
  const double p99 = static_cast<double>(all.latency.quantile(0.99)) * ms;
  const double max = static_cast<double>(all.latency.max()) * ms;
  if (opt.json) {
    std::string errors;
    for (const auto& [k, n] : all.errors) {
      errors += fmt::format("{}\"{}\":{}", errors.empty() ? "" : ",", k, n);
    }
    fmt::print(
        "{{\"tool\":\"spate-overload-bench\",\"label\":\"{}\",\"offered_requests_per_s\":{},"
        "\"connections\":{},\"timeout_ms\":{},\"records_per_request\":{},\"duration_s\":{},"
        "\"due\":{},\"acknowledged\":{},\"unavailable\":{},\"timed_out\":{},\"dropped\":{},"
        "\"other_errors\":{},\"errors\":{{{}}},\"goodput_records_per_s\":{:.0f},"
        "\"latency_ms\":{{\"p50\":{:.2f},\"p99\":{:.2f},\"max\":{:.2f}}},"
        "\"server_peak_rss_mib\":{:.1f},\"server_cores\":{:.2f},\"tool_cores\":{:.2f}}}\n",
        opt.label, opt.rate, opt.connections, opt.timeout_ms, opt.batch, opt.duration, all.due,
        all.acknowledged, all.unavailable, all.timed_out, all.dropped, all.other_errors, errors,
        goodput, p50, p99, max, static_cast<double>(sampler.server_peak_kib()) / 1024,
        sampler.server_cores(), sampler.own_cores());
  } else {
    fmt::print(
        "offered {:.0f} req/s ({:.0f} records/s) on {} connections, client timeout {} ms\n"
        "  due {}  acknowledged {}  503 {}  timed out {}  dropped {}  other errors {}\n"
        "  goodput {:.0f} records/s; acknowledged latency p50 {:.1f} ms p99 {:.1f} ms max "
        "{:.1f} ms\n",
        opt.rate, opt.rate * static_cast<double>(opt.batch), opt.connections, opt.timeout_ms,
        all.due, all.acknowledged, all.unavailable, all.timed_out, all.dropped, all.other_errors,
        goodput, p50, p99, max);
    if (sampler.has_server()) {
      fmt::print("  server peak RSS {:.1f} MiB, {:.2f} cores; this tool {:.2f} cores\n",
                 static_cast<double>(sampler.server_peak_kib()) / 1024, sampler.server_cores(),
                 sampler.own_cores());
    }
    for (const auto& [k, n] : all.errors) fmt::print("  error {}: {}\n", k, n);
  }
  return 0;
}

}  // namespace
}  // namespace spate::bench

int main(int argc, char** argv) {
  spate::bench::options opt;
  CLI::App app{"spate-overload-bench: open-loop PutRecords past the server's capacity"};
  app.add_option("--endpoint", opt.endpoint, "server URL, http://HOST:PORT")->capture_default_str();
  app.add_option("--stream", opt.stream, "stream made for the run and deleted after")
      ->capture_default_str();
  app.add_option("--shards", opt.shards, "its shards")->capture_default_str();
  app.add_option("--rate", opt.rate, "PutRecords requests per second offered")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--connections", opt.connections, "connections in the pool")
      ->check(CLI::Range(1, 60000))
      ->capture_default_str();
  app.add_option("--threads", opt.threads, "I/O threads of this tool")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--record-size", opt.record_size, "bytes per record")->capture_default_str();
  app.add_option("--batch", opt.batch, "records per PutRecords")->capture_default_str();
  app.add_option("--duration", opt.duration, "measured seconds")->capture_default_str();
  app.add_option("--warmup", opt.warmup, "seconds before measuring")->capture_default_str();
  app.add_option("--timeout-ms", opt.timeout_ms, "a client gives a request up after this")
      ->capture_default_str();
  app.add_option("--server-pid", opt.server_pid, "server process to measure (RSS, CPU)");
  app.add_flag("--json", opt.json, "one JSON line instead of text");
  app.add_option("--label", opt.label, "copied into the JSON line");
  CLI11_PARSE(app, argc, argv);
  return spate::bench::run(opt);
}
