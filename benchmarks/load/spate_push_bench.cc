// spate-push-bench: put-to-subscriber latency of spated's push delivery (make bench runs it
// from benchmarks/runner/push.py). A producer puts records at a fixed rate; subscribers in the same
// process receive them over a WebSocket subscription, SubscribeToShard event streams, or
// GetRecords polling for comparison; the report gives the latency from the PutRecords request
// to a subscriber's receipt (p50, p99, p99.9, max), the records delivered per second, and with
// --server-pid the server's CPU per delivered record and its peak RSS.
//
// How a run goes: resolve the endpoint; create the stream (it must not exist) and wait for
// ACTIVE; for event-stream, register one consumer per subscriber. Every subscription is made
// from the stream's live end (LATEST), on `--threads` I/O threads (push_subscribers.h); once
// all are in place and 300 ms have passed, the producer sends for `--warmup` + `--duration`
// seconds on a thread of its own. Then the subscribers get `--drain` seconds to receive the
// rest, everything is closed and the stream deleted (with its consumers).
//
// The producer: `--connections` keep-alive connections, one PutRecords in flight on each, on a
// fixed schedule of about `--requests-per-second` requests in all (1,000 unless told: rate/1000
// records per request, at least one, at most 500); a connection that falls behind sends at
// once, and the report shows the rate achieved.
// Each record's data starts with the send time (push_wire.h), taken just before the request is
// built, so latency runs from there to the read that brought the record to the subscriber.
//
// Counting: latency only for records sent inside the measured window; delivered records/s and
// the server's CPU for records received inside it (the sampler's window). Every subscriber
// must receive every record stored during the whole run, once and in order per shard: records
// missing after the drain, extra, out of order or without a stamp are errors, as are failed
// puts and subscriptions that fail or end early. The exit status is then 4.
#include "benchmarks/load/control_client.h"
#include "benchmarks/load/http_connection.h"
#include "benchmarks/load/kinesis_wire.h"
#include "benchmarks/load/latency_histogram.h"
#include "benchmarks/load/process_sampler.h"
#include "benchmarks/load/push_subscribers.h"
#include "benchmarks/load/push_wire.h"
#include "benchmarks/load/report_format.h"
#include "common/thread_name.h"

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace spate::bench {
namespace {

using namespace std::chrono_literals;

enum class transport { websocket, event_stream, poll };

struct options {
  std::string endpoint = "http://127.0.0.1:4567";
  std::string stream = "spate-push-bench";
  int shards = 1;
  std::string transport_name = "websocket";
  transport kind = transport::websocket;
  int subscribers = 1;
  double rate = 1000;
  double requests_per_second = 1000;
  std::size_t record_size = 100;
  double duration = 10;
  double warmup = 2;
  double drain = 5;
  int connections = 8;
  int threads = 1;
  int poll_interval_ms = 200;
  int server_pid = 0;
  bool json = false;
  std::string label;
};

// Records per PutRecords: about `requests_per_second` requests in all, at most 500 records (the
// API's limit).
std::size_t batch_size(double rate, double requests_per_second) {
  return static_cast<std::size_t>(
      std::clamp(std::llround(rate / requests_per_second), 1LL, 500LL));
}

clock::duration seconds(double s) {
  return std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(s));
}

// --- producer -------------------------------------------------------------------------------

// Counters of the producer. `acknowledged` counts over the whole run: every subscriber must
// receive all of those records. The rest count requests sent inside the measured window.
struct producer_stats {
  std::uint64_t acknowledged = 0;
  std::uint64_t sent_in_window = 0;
  std::uint64_t requests_in_window = 0;
  latency_histogram put_latency;
  std::uint64_t failed_requests = 0;
  std::uint64_t failed_records = 0;
  error_tally errors;
};

struct produce_plan {
  std::string stream;
  const sigv4_signer* signer = nullptr;
  std::size_t connections = 1;
  std::size_t batch = 1;
  std::size_t record_size = 0;
  clock::duration interval{0};  // per connection between sends
  clock::time_point start;
  clock::time_point until;
  const measure_window* window = nullptr;
};

// The producer's thread: its io_context, connections, counters, and the JSON parser its
// coroutines share (each parses an answer completely before it awaits again).
struct producer {
  net::io_context ioc{1};
  std::vector<std::unique_ptr<http_connection>> connections;
  simdjson::ondemand::parser parser;
  producer_stats stats;
};

net::awaitable<void> produce(producer& p, http_connection& conn, std::size_t worker,
                             std::uint64_t seed, const produce_plan& plan) {
  stamped_record_factory records(seed);
  net::steady_timer timer(co_await net::this_coro::executor);
  producer_stats& stats = p.stats;
  auto next_send = plan.start + plan.interval * static_cast<clock::rep>(worker) /
                                    static_cast<clock::rep>(plan.connections);
  for (;;) {
    if (next_send > clock::now()) {
      timer.expires_at(next_send);
      co_await timer.async_wait(use_nothrow);
    }
    next_send += plan.interval;
    const auto sent = clock::now();
    if (sent >= plan.until) break;
    const std::string request = plan.signer->request(
        "PutRecords",
        records.put_records_body(plan.stream, plan.batch, plan.record_size, stamp_of(sent)));
    auto reply = co_await conn.async_call(request);
    const auto done = clock::now();
    if (!reply) {
      ++stats.failed_requests;
      stats.errors.count(reply.error());
      continue;
    }
    auto outcome = parse_put_records(p.parser, **reply, plan.batch);
    if (!outcome) {
      ++stats.failed_requests;
      stats.errors.count(outcome.error());
      continue;
    }
    stats.acknowledged += outcome->succeeded;
    if (outcome->failed) {
      stats.failed_records += outcome->failed;
      stats.errors.count({outcome->first_error_code, "record-level failure in PutRecords"},
                         outcome->failed);
    }
    if (plan.window->contains(sent)) {
      ++stats.requests_in_window;
      stats.sent_in_window += outcome->succeeded;
      stats.put_latency.record(static_cast<std::uint64_t>((done - sent).count()));
    }
  }
}

// --- setup and teardown ---------------------------------------------------------------------

// Creates `opt.stream` (an existing one is an error: its records would not be ours) and waits
// for ACTIVE; returns its ARN.
call_result<std::string> create_stream(control_client& control, const options& opt) {
  auto reply = control.call("CreateStream", create_stream_body(opt.stream, opt.shards));
  if (!reply) return reply.error();
  if ((*reply)->status != 200) {
    call_error e = reply_error(control.parser(), **reply);
    if (e.kind == "ResourceInUseException")
      e.message = "stream " + opt.stream + " exists already; delete it or choose another --stream";
    return e;
  }
  const auto deadline = clock::now() + 60s;
  while (clock::now() < deadline) {
    auto summary = describe(control, opt.stream);
    if (!summary && summary.error().kind != "ResourceNotFoundException") return summary.error();
    if (summary && summary->status == "ACTIVE") {
      auto again = control.call("DescribeStreamSummary", stream_body(opt.stream));
      if (!again) return again.error();
      return parse_stream_arn(control.parser(), **again);
    }
    std::this_thread::sleep_for(50ms);
  }
  return call_error{"timeout", "stream did not become ACTIVE in 60 s"};
}

// Registers consumers c0, c1, ... and waits until each is ACTIVE; returns their ARNs.
call_result<std::vector<std::string>> register_consumers(control_client& control,
                                                         const std::string& stream_arn, int count) {
  std::vector<std::string> arns;
  for (int i = 0; i < count; ++i) {
    auto reply = control.call("RegisterStreamConsumer",
                              register_consumer_body(stream_arn, "c" + std::to_string(i)));
    if (!reply) return reply.error();
    auto consumer = parse_consumer(control.parser(), **reply, "Consumer");
    if (!consumer) return consumer.error();
    arns.push_back(consumer->arn);
  }
  const auto deadline = clock::now() + 60s;
  for (const auto& arn : arns) {
    for (;;) {
      if (clock::now() > deadline) return call_error{"timeout", "a consumer stayed CREATING"};
      auto reply = control.call("DescribeStreamConsumer", describe_consumer_body(arn));
      if (!reply) return reply.error();
      auto consumer = parse_consumer(control.parser(), **reply, "ConsumerDescription");
      if (!consumer) return consumer.error();
      if (consumer->status == "ACTIVE") break;
      std::this_thread::sleep_for(50ms);
    }
  }
  return arns;
}

void delete_stream(control_client& control, const std::string& stream) {
  auto reply = control.call("DeleteStream", delete_stream_body(stream));
  if (reply && (*reply)->status != 200) reply = reply_error(control.parser(), **reply);
  if (!reply)
    std::fprintf(stderr, "spate-push-bench: DeleteStream %s failed: %s %s\n", stream.c_str(),
                 reply.error().kind.c_str(), reply.error().message.c_str());
}

// Waits until `done` holds or `deadline` passes; true if it held.
template <class Done>
bool wait_until(Done done, clock::time_point deadline) {
  while (!done()) {
    if (clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// --- report ---------------------------------------------------------------------------------

double ms(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e6;
}

struct report {
  report(const options& o, const process_sampler& s) : opt(o), sampler(s) {}

  const options& opt;
  const process_sampler& sampler;
  std::size_t shards = 0;
  std::size_t subscriptions = 0;
  std::size_t batch = 0;
  producer_stats produced;
  bool producer_hung = false;
  // Over all subscribers.
  latency_histogram latency;
  std::uint64_t delivered_in_window = 0;
  std::uint64_t messages = 0;
  std::uint64_t received = 0;
  std::uint64_t missing = 0;
  std::uint64_t extra = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t bad_records = 0;
  error_tally subscriber_errors;
  double drain_seconds = 0;  // from the end of production until the last record arrived

  std::uint64_t expected() const {
    return produced.acknowledged * static_cast<std::uint64_t>(opt.subscribers);
  }
  double sent_per_s() const { return produced.sent_in_window / opt.duration; }
  double delivered_per_s() const { return delivered_in_window / opt.duration; }
  // Server CPU microseconds per record delivered inside the window; -1 when unknown.
  double cpu_us_per_record() const {
    const double cpu = sampler.server_cpu_seconds();
    if (cpu < 0 || delivered_in_window == 0) return -1;
    return cpu * 1e6 / static_cast<double>(delivered_in_window);
  }
  bool failed() const {
    return missing || extra || out_of_order || bad_records || subscriber_errors.total ||
           produced.failed_requests || produced.failed_records || producer_hung;
  }

  void print_text() const {
    fmt::print("spate-push-bench {}  {}  stream {} ({} shard{})\n", opt.transport_name,
               opt.endpoint, opt.stream, shards, shards == 1 ? "" : "s");
    fmt::print(
        "  subscribers {} ({} subscriptions) on {} I/O thread(s); producer: {} connections, {} "
        "record(s) of {} B per PutRecords; {:g} s after {:g} s warm-up\n",
        opt.subscribers, subscriptions, opt.threads, opt.connections, batch, opt.record_size,
        opt.duration, opt.warmup);
    fmt::print("  produced    {} records/s (target {})   PutRecords p50 {:.3f} ms  p99 {:.3f} ms\n",
               thousands(sent_per_s()), thousands(opt.rate), ms(produced.put_latency.quantile(0.5)),
               ms(produced.put_latency.quantile(0.99)));
    fmt::print("  delivered   {} records/s   ({} records in {} messages over the run)\n",
               thousands(delivered_per_s()), thousands(static_cast<double>(received)),
               thousands(static_cast<double>(messages)));
    fmt::print(
        "  latency     p50 {:.3f} ms   p90 {:.3f} ms   p99 {:.3f} ms   p99.9 {:.3f} ms   max "
        "{:.3f} ms   ({} records)\n",
        ms(latency.quantile(0.5)), ms(latency.quantile(0.9)), ms(latency.quantile(0.99)),
        ms(latency.quantile(0.999)), ms(latency.max()),
        thousands(static_cast<double>(latency.count())));
    fmt::print("  records     expected {} ({} stored x {}), received {}, missing {}{}\n",
               thousands(static_cast<double>(expected())),
               thousands(static_cast<double>(produced.acknowledged)), opt.subscribers,
               thousands(static_cast<double>(received)), thousands(static_cast<double>(missing)),
               missing
                   ? fmt::format(" after a {:g} s drain", opt.drain)
                   : fmt::format(" (last arrived {:.3f} s after production ended)", drain_seconds));
    if (extra || out_of_order || bad_records)
      fmt::print("  ERRORS      {} extra, {} out of order, {} without a send stamp\n", extra,
                 out_of_order, bad_records);
    auto print_errors = [](const char* who, const error_tally& e) {
      if (!e.total) return;
      std::string kinds;
      for (const auto& [kind, n] : e.kinds)
        kinds += fmt::format("{}{} x{}", kinds.empty() ? "" : ", ", kind, n);
      fmt::print("  errors      {}: {} ({})\n              first: {}\n", who, e.total, kinds,
                 e.first);
    };
    print_errors("producer", produced.errors);
    print_errors("subscribers", subscriber_errors);
    if (producer_hung) fmt::print("  HUNG        the producer had no answer 10 s after the run\n");
    if (sampler.has_server())
      fmt::print(
          "  server      CPU {:.2f} s ({:.2f} cores), {:.1f} us per delivered record, peak RSS "
          "{:.1f} MiB\n",
          sampler.server_cpu_seconds(), sampler.server_cores(), cpu_us_per_record(),
          sampler.server_peak_kib() / 1024.0);
    fmt::print("  client      CPU {:.2f} cores\n", sampler.own_cores());
  }

  void print_json() const {
    std::string out = "{\"tool\":\"spate-push-bench\",\"transport\":";
    append_json_string(out, opt.transport_name);
    out += ",\"label\":";
    append_json_string(out, opt.label);
    out += ",\"endpoint\":";
    append_json_string(out, opt.endpoint);
    out += ",\"stream\":";
    append_json_string(out, opt.stream);
    out += fmt::format(
        ",\"shards\":{},\"subscribers\":{},\"subscriptions\":{},\"rate\":{},\"record_size\":{},"
        "\"batch\":{},\"connections\":{},\"threads\":{},\"warmup_s\":{},\"duration_s\":{},"
        "\"drain_s\":{}",
        shards, opt.subscribers, subscriptions, opt.rate, opt.record_size, batch, opt.connections,
        opt.threads, opt.warmup, opt.duration, opt.drain);
    out += fmt::format(
        ",\"sent_records\":{},\"sent_per_s\":{:.1f},\"put_latency_ms\":{{\"p50\":{:.3f},"
        "\"p99\":{:.3f},\"max\":{:.3f}}},\"stored_records\":{}",
        produced.sent_in_window, sent_per_s(), ms(produced.put_latency.quantile(0.5)),
        ms(produced.put_latency.quantile(0.99)), ms(produced.put_latency.max()),
        produced.acknowledged);
    out += fmt::format(
        ",\"expected_records\":{},\"received_records\":{},\"missing_records\":{},"
        "\"extra_records\":{},\"out_of_order_records\":{},\"unstamped_records\":{},"
        "\"drain_seconds\":{:.3f},\"messages\":{}",
        expected(), received, missing, extra, out_of_order, bad_records, drain_seconds, messages);
    out += fmt::format(
        ",\"delivered_records\":{},\"delivered_per_s\":{:.1f},\"latency_ms\":{{\"p50\":{:.3f},"
        "\"p90\":{:.3f},\"p99\":{:.3f},\"p999\":{:.3f},\"max\":{:.3f},\"mean\":{:.3f}}},"
        "\"latency_records\":{}",
        delivered_in_window, delivered_per_s(), ms(latency.quantile(0.5)),
        ms(latency.quantile(0.9)), ms(latency.quantile(0.99)), ms(latency.quantile(0.999)),
        ms(latency.max()), latency.mean() / 1e6, latency.count());
    auto errors = [&out](const char* name, const error_tally& e) {
      out += fmt::format(",\"{}\":{{\"count\":{},\"kinds\":{{", name, e.total);
      bool first = true;
      for (const auto& [kind, n] : e.kinds) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kind);
        out += fmt::format(":{}", n);
      }
      out += "},\"first\":";
      append_json_string(out, e.first);
      out += '}';
    };
    out += fmt::format(",\"producer_failed_requests\":{},\"producer_failed_records\":{}",
                       produced.failed_requests, produced.failed_records);
    errors("producer_errors", produced.errors);
    errors("subscriber_errors", subscriber_errors);
    out += fmt::format(",\"producer_hung\":{},\"ok\":{}", producer_hung, !failed());
    if (sampler.has_server())
      out += fmt::format(
          ",\"server_pid\":{},\"server_cpu_s\":{:.3f},\"server_cpu_cores\":{:.3f},"
          "\"server_cpu_us_per_record\":{:.3f},\"server_peak_rss_mib\":{:.1f}",
          opt.server_pid, sampler.server_cpu_seconds(), sampler.server_cores(), cpu_us_per_record(),
          sampler.server_peak_kib() / 1024.0);
    out += fmt::format(",\"client_cpu_cores\":{:.2f}}}\n", sampler.own_cores());
    std::fputs(out.c_str(), stdout);
  }
};

// --- main -----------------------------------------------------------------------------------

int run(const options& opt) {
  auto ep = parse_endpoint(opt.endpoint);
  if (!ep) {
    std::fprintf(stderr, "spate-push-bench: %s\n", ep.error().message.c_str());
    return 2;
  }
  auto peers = resolve_endpoint("spate-push-bench", *ep);
  if (!peers) return 1;
  const sigv4_signer signer(ep->host_header);
  control_client control(*peers, signer);

  auto arn = create_stream(control, opt);
  if (!arn) {
    std::fprintf(stderr, "spate-push-bench: cannot create stream %s: %s %s\n", opt.stream.c_str(),
                 arn.error().kind.c_str(), arn.error().message.c_str());
    return 1;
  }
  // From here on the stream is ours: every way out deletes it.
  auto fail_setup = [&](const std::string& what, const call_error& e) {
    std::fprintf(stderr, "spate-push-bench: %s: %s %s\n", what.c_str(), e.kind.c_str(),
                 e.message.c_str());
    delete_stream(control, opt.stream);
    return 1;
  };
  auto shard_ids = list_shards(control, opt.stream);
  if (!shard_ids) return fail_setup("cannot list the shards of " + opt.stream, shard_ids.error());
  std::vector<std::string> consumer_arns;
  if (opt.kind == transport::event_stream) {
    auto arns = register_consumers(control, *arn, opt.subscribers);
    if (!arns) return fail_setup("cannot register consumers", arns.error());
    consumer_arns = std::move(*arns);
  }

  // Subscribers: subscriber i and all its subscriptions on lane i % threads.
  subscription_context ctx;
  ctx.peers = *peers;
  ctx.signer = &signer;
  ctx.stream = opt.stream;
  ctx.poll_interval = std::chrono::milliseconds(opt.poll_interval_ms);
  std::vector<std::unique_ptr<subscriber_tally>> tallies;  // outlive the lanes that count
  std::vector<std::unique_ptr<subscriber_lane>> lanes;
  for (int t = 0; t < opt.threads; ++t) lanes.push_back(std::make_unique<subscriber_lane>());
  for (int i = 0; i < opt.subscribers; ++i) {
    tallies.push_back(std::make_unique<subscriber_tally>());
    subscriber_lane& lane = *lanes[i % lanes.size()];
    subscriber_tally& tally = *tallies.back();
    if (opt.kind == transport::websocket) {
      lane.subscriptions.push_back(std::make_unique<websocket_subscription>(lane, tally, ctx));
      continue;
    }
    for (const auto& shard : *shard_ids) {
      if (opt.kind == transport::event_stream)
        lane.subscriptions.push_back(
            std::make_unique<event_stream_subscription>(lane, tally, ctx, consumer_arns[i], shard));
      else
        lane.subscriptions.push_back(std::make_unique<poll_subscription>(lane, tally, ctx, shard));
    }
  }
  std::size_t subscriptions = 0;
  for (auto& lane : lanes) {
    for (auto& s : lane->subscriptions) {
      ++subscriptions;
      ctx.running.fetch_add(1, std::memory_order_relaxed);
      net::co_spawn(lane->ioc, s->run(), [&ctx](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            std::fprintf(stderr, "spate-push-bench: a subscription failed: %s\n", ex.what());
          }
        }
        ctx.running.fetch_sub(1, std::memory_order_acq_rel);
      });
    }
  }
  std::vector<std::thread> lane_threads;
  // Named, like the producer's thread, for perf sched and top -H
  // (scripts/fan_out_bursts.py tells them apart by name).
  for (std::size_t t = 0; t < lanes.size(); ++t) {
    lane_threads.emplace_back([&ioc = lanes[t]->ioc, t] {
      name_this_thread("subscribers-" + std::to_string(t));
      ioc.run();
    });
  }

  // Closes every subscription on its own thread and joins the lanes; a lane still busy 5 s
  // later is stopped.
  auto stop_subscribers = [&] {
    for (auto& lane : lanes)
      net::post(lane->ioc, [&lane = *lane] {
        for (auto& s : lane.subscriptions) s->close();
      });
    if (!wait_until([&] { return ctx.running.load(std::memory_order_acquire) == 0; },
                    clock::now() + 5s))
      for (auto& lane : lanes) lane->ioc.stop();
    for (auto& t : lane_threads) t.join();
  };

  const int total = static_cast<int>(subscriptions);
  wait_until([&] { return ctx.settled.load(std::memory_order_acquire) == total; },
             clock::now() + 30s);
  if (ctx.settled.load() != total || ctx.setup_failures.load() > 0) {
    stop_subscribers();
    error_tally errors;
    for (auto& lane : lanes) errors.merge(lane->errors);
    return fail_setup(fmt::format("{} of {} subscriptions could not be made",
                                  total - ctx.settled.load() + ctx.setup_failures.load(), total),
                      {"subscribe", errors.first.empty() ? "no answer in 30 s" : errors.first});
  }
  std::this_thread::sleep_for(300ms);  // subscriptions in place: let the server settle

  // The producer, on a thread of its own.
  producer prod;
  produce_plan plan;
  plan.stream = opt.stream;
  plan.signer = &signer;
  plan.connections = static_cast<std::size_t>(opt.connections);
  plan.batch = batch_size(opt.rate, opt.requests_per_second);
  plan.record_size = opt.record_size;
  plan.interval = seconds(static_cast<double>(plan.batch) * opt.connections / opt.rate);
  plan.window = &ctx.window;
  plan.start = clock::now();
  const auto measure_from = plan.start + seconds(opt.warmup);
  plan.until = measure_from + seconds(opt.duration);
  ctx.window.set(measure_from, plan.until);
  std::atomic<int> producing{opt.connections};
  std::random_device seed;
  for (int c = 0; c < opt.connections; ++c) {
    prod.connections.push_back(std::make_unique<http_connection>(prod.ioc.get_executor(), *peers));
    const std::uint64_t worker_seed = (std::uint64_t{seed()} << 32) | seed();
    net::co_spawn(
        prod.ioc,
        produce(prod, *prod.connections.back(), static_cast<std::size_t>(c), worker_seed, plan),
        [&producing](std::exception_ptr e) {
          if (e) {
            try {
              std::rethrow_exception(e);
            } catch (const std::exception& ex) {
              std::fprintf(stderr, "spate-push-bench: the producer failed: %s\n", ex.what());
            }
          }
          producing.fetch_sub(1, std::memory_order_acq_rel);
        });
  }
  std::thread producer_thread([&prod] {
    name_this_thread("producer");
    prod.ioc.run();
  });

  process_sampler sampler(opt.server_pid);
  std::this_thread::sleep_until(measure_from);
  sampler.start();
  std::this_thread::sleep_until(plan.until);
  sampler.stop();

  report out(opt, sampler);
  out.shards = shard_ids->size();
  out.subscriptions = subscriptions;
  out.batch = plan.batch;
  out.producer_hung =
      !wait_until([&] { return producing.load(std::memory_order_acquire) == 0; }, plan.until + 10s);
  if (out.producer_hung) prod.ioc.stop();
  producer_thread.join();
  out.produced = std::move(prod.stats);

  // Drain: until every subscriber has every stored record, or --drain seconds.
  const std::uint64_t stored = out.produced.acknowledged;
  const auto produced_until = clock::now();
  auto all_received = [&] {
    for (const auto& t : tallies)
      if (t->received.load(std::memory_order_relaxed) < stored) return false;
    return true;
  };
  wait_until(all_received, produced_until + seconds(opt.drain));
  out.drain_seconds = std::chrono::duration<double>(clock::now() - produced_until).count();
  stop_subscribers();
  delete_stream(control, opt.stream);

  for (const auto& t : tallies) {
    const std::uint64_t got = t->received.load(std::memory_order_relaxed);
    out.received += got;
    out.missing += got < stored ? stored - got : 0;
    out.extra += got > stored ? got - stored : 0;
    out.out_of_order += t->out_of_order;
  }
  for (const auto& lane : lanes) {
    out.latency.merge(lane->latency);
    out.delivered_in_window += lane->delivered_in_window;
    out.messages += lane->messages;
    out.bad_records += lane->bad_records;
    out.subscriber_errors.merge(lane->errors);
  }

  if (opt.json)
    out.print_json();
  else
    out.print_text();
  if (out.producer_hung) return 3;
  return out.failed() ? 4 : 0;
}

}  // namespace
}  // namespace spate::bench

int main(int argc, char** argv) {
  spate::bench::options opt;
  CLI::App app{
      "spate-push-bench: put-to-subscriber latency of spated's push delivery.\n"
      "Creates --stream (deleted at the end), subscribes --subscribers at its live end over\n"
      "--transport, puts --rate records/s for --warmup then --duration seconds, and reports\n"
      "latency quantiles from the put to each subscriber, records delivered/s, missing records\n"
      "and, with --server-pid, the server's CPU per delivered record and peak RSS."};
  app.add_option("--endpoint", opt.endpoint, "server URL, http://HOST:PORT")->capture_default_str();
  app.add_option("--stream", opt.stream, "stream to create (it must not exist)")
      ->check(CLI::Validator(
          [](std::string& s) {
            static const std::regex name("[a-zA-Z0-9_.-]{1,128}");
            return std::regex_match(s, name) ? std::string() : "not a Kinesis stream name";
          },
          "NAME"))
      ->capture_default_str();
  app.add_option("--shards", opt.shards, "shards of the stream")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--transport", opt.transport_name,
                 "websocket (GET /v1/subscribe, the whole stream per connection), event-stream "
                 "(SubscribeToShard, one consumer per subscriber, every shard) or poll "
                 "(GetRecords on every shard)")
      ->check(CLI::IsMember({"websocket", "event-stream", "poll"}))
      ->capture_default_str();
  app.add_option("--subscribers", opt.subscribers,
                 "WebSocket connections, consumers (at most 20, as AWS allows) or pollers")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  app.add_option("--rate", opt.rate, "records/s to put")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  app.add_option("--requests-per-second", opt.requests_per_second,
                 "PutRecords requests/s in all; each carries rate/this records (1 to 500)")
      ->check(CLI::Range(0.1, 1e6))
      ->capture_default_str();
  app.add_option("--record-size", opt.record_size,
                 "bytes of data per record (the first 8 are the send time)")
      ->check(CLI::Range(std::size_t{8}, std::size_t{1} << 20))
      ->capture_default_str();
  app.add_option("--duration", opt.duration, "measured seconds")
      ->check(CLI::Range(0.1, 86400.0))
      ->capture_default_str();
  app.add_option("--warmup", opt.warmup, "seconds of production before measuring")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--drain", opt.drain,
                 "seconds the subscribers get after production to receive the rest")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--connections", opt.connections,
                 "producer connections, one PutRecords in flight on each")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--threads", opt.threads, "I/O threads of the subscribers")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--poll-interval-ms", opt.poll_interval_ms,
                 "poll: pause after each GetRecords answer")
      ->check(CLI::Range(0, 60'000))
      ->capture_default_str();
  app.add_option("--server-pid", opt.server_pid,
                 "server process to measure (CPU from /proc/PID/stat, peak RSS from status)")
      ->check(CLI::NonNegativeNumber);
  app.add_flag("--json", opt.json, "print one JSON line of results instead of text");
  app.add_option("--label", opt.label, "free text copied into the JSON line");
  CLI11_PARSE(app, argc, argv);

  if (opt.transport_name == "event-stream")
    opt.kind = spate::bench::transport::event_stream;
  else if (opt.transport_name == "poll")
    opt.kind = spate::bench::transport::poll;
  if (opt.kind == spate::bench::transport::event_stream && opt.subscribers > 20) {
    std::fprintf(stderr, "spate-push-bench: event-stream allows at most 20 consumers per stream\n");
    return 2;
  }
  try {
    return spate::bench::run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "spate-push-bench: %s\n", e.what());
    return 1;
  }
}
