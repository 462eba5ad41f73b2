// spate-consumer-bench: what the client library's consumer costs over raw GetRecords.
//
// Against one server (spated, or anything Kinesis-shaped), in one run:
//  1. fill: the library's producer writes --records records of --size bytes over --shards
//     shards (also reported: producer records/s);
//  2. raw GetRecords: one thread per shard reads its shard from TRIM_HORIZON to the tip with
//     the typed client, Limit 10,000, no processing;
//  3. consumer: the library's consumer reads the same records through a no-op handler,
//     checkpointing every second in a SQLite file (the embedded default store).
// Output: a table, or one JSON object with --json. Uses only the public client API (and POSIX
// to name its raw readers `raw-get-N`, beside the consumer's own `spate-consumer` and
// `spate-rd-...` threads).
#include <spate/client/consumer.h>
#include <spate/client/producer.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace spate::client;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

const char* arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  }
  return fallback;
}

bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
  }
  return false;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "spate-consumer-bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  client_options co;
  co.endpoint = arg(argc, argv, "--endpoint", "http://127.0.0.1:4567");
  const int shards = std::atoi(arg(argc, argv, "--shards", "4"));
  const long total = std::atol(arg(argc, argv, "--records", "400000"));
  const std::size_t size = static_cast<std::size_t>(std::atol(arg(argc, argv, "--size", "100")));
  const std::string stream = std::string("consumer-bench-") + std::to_string(::getpid());
  auto api = make_client(co);

  create_stream_request create;
  create.stream_name = stream;
  create.shard_count = shards;
  if (auto r = api->create_stream(create); !r) die(r.err().to_string());
  for (int i = 0; i < 100; ++i) {
    auto d = api->describe_stream_summary({{stream, ""}});
    if (d && d->summary.status == stream_status::active) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // 1. fill
  double put_rate = 0;
  {
    producer_options po;
    po.stream.stream_name = stream;
    po.max_in_flight = 8;
    producer p(api, po);
    std::string data(size, 'x');
    std::mt19937_64 rng(42);
    const auto start = clock_type::now();
    for (long i = 0; i < total; ++i) (void)p.put(std::to_string(rng()), data);
    p.flush();
    put_rate = static_cast<double>(total) / seconds_since(start);
    auto s = p.stats();
    if (s.succeeded != static_cast<std::uint64_t>(total))
      die("fill: only " + std::to_string(s.succeeded) + " records stored");
  }

  // 2. raw GetRecords, one thread per shard
  auto described = describe_stream_all(*api, {stream, ""});
  if (!described) die(described.err().to_string());
  std::atomic<long> raw_count{0};
  const auto raw_start = clock_type::now();
  {
    std::vector<std::thread> readers;
    for (const auto& s : described->shards) {
      readers.emplace_back([&, id = s.shard_id, n = readers.size()] {
        ::pthread_setname_np(::pthread_self(), ("raw-get-" + std::to_string(n)).c_str());
        auto it = api->get_shard_iterator({{stream, ""}, id, start_position::trim_horizon()});
        if (!it) die(it.err().to_string());
        std::string iterator = it->shard_iterator;
        for (;;) {
          auto page = api->get_records({iterator, 10'000, ""});
          if (!page) die(page.err().to_string());
          raw_count += static_cast<long>(page->records.size());
          if (page->records.empty() || page->next_shard_iterator.empty()) break;
          iterator = std::move(page->next_shard_iterator);
        }
      });
    }
    for (auto& t : readers) t.join();
  }
  const double raw_seconds = seconds_since(raw_start);
  if (raw_count != total) die("raw read " + std::to_string(raw_count.load()) + " records");

  // 3. the consumer, no-op handler, checkpoints every second in SQLite
  char dir_template[] = "/tmp/spate-consumer-bench.XXXXXX";
  if (!::mkdtemp(dir_template)) die("mkdtemp failed");
  const std::string db = std::string(dir_template) + "/checkpoints.db";
  auto store = make_sqlite_checkpointer(db);
  if (!store) die(store.err().to_string());
  std::atomic<long> handled{0};
  consumer_options o;
  o.application = "bench";
  o.stream.stream_name = stream;
  o.checkpoints = *store;
  o.checkpoint_interval = std::chrono::milliseconds(1000);
  o.checkpoint_every_records = UINT64_MAX;
  const auto consumer_start = clock_type::now();
  double consumer_seconds = 0;
  std::uint64_t checkpoints = 0;
  {
    consumer c(api, o,
               [&](const record_batch& b) { handled += static_cast<long>(b.records.size()); });
    c.start();
    while (handled < total) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    consumer_seconds = seconds_since(consumer_start);
    c.stop();
    checkpoints = c.stats().checkpoints;
  }
  std::remove(db.c_str());
  std::remove((db + "-wal").c_str());
  std::remove((db + "-shm").c_str());
  ::rmdir(dir_template);
  (void)api->delete_stream({{stream, ""}, true});

  const double raw_rate = static_cast<double>(total) / raw_seconds;
  const double consumer_rate = static_cast<double>(total) / consumer_seconds;
  if (flag(argc, argv, "--json")) {
    std::printf(
        "{\"records\":%ld,\"shards\":%d,\"size\":%zu,\"producer_per_s\":%.0f,\"raw_get_records_per_"
        "s\":%.0f,"
        "\"consumer_per_s\":%.0f,\"consumer_over_raw\":%.3f,\"checkpoints\":%llu}\n",
        total, shards, size, put_rate, raw_rate, consumer_rate, consumer_rate / raw_rate,
        static_cast<unsigned long long>(checkpoints));
  } else {
    std::printf("records %ld x %zu bytes over %d shards\n", total, size, shards);
    std::printf("producer (library, batching)        %12.0f records/s\n", put_rate);
    std::printf("raw GetRecords (typed client)       %12.0f records/s\n", raw_rate);
    std::printf(
        "consumer (no-op handler, 1 s ckpt)  %12.0f records/s  (%.2fx raw, %llu checkpoints)\n",
        consumer_rate, consumer_rate / raw_rate, static_cast<unsigned long long>(checkpoints));
  }
  return 0;
}
