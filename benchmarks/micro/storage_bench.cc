// Storage engine benchmarks (make bench): append throughput under each fsync policy, read
// throughput from one shard, and recovery time of 1 GiB of segments, on real files.
//
// Appends run as a server would see them: one appender thread, up to `window` batches waiting
// for their acknowledgement at once (like that many clients), and the time includes waiting
// for the last acknowledgement.
#include "common/clock.h"
#include "storage/posix_file.h"
#include "storage/segment_name.h"
#include "storage/shard_log.h"
#include "testutil/temp_dir.h"

#include <benchmark/benchmark.h>

#include <atomic>
#include <filesystem>
#include <thread>

namespace spate::storage {
namespace {

constexpr std::size_t batch_size = 500;
constexpr std::size_t record_size = 100;

// 500 records of 100 bytes with distinct partition keys; views stay valid while it lives.
struct sample_batch {
  sample_batch() {
    for (std::size_t i = 0; i < batch_size; ++i) {
      keys.push_back("partition-key-" + std::to_string(i));
      data.push_back(std::string(record_size, static_cast<char>('a' + i % 26)));
    }
    for (std::size_t i = 0; i < batch_size; ++i)
      records.push_back({keys[i], std::nullopt, data[i]});
  }
  std::vector<std::string> keys, data;
  std::vector<record_input> records;
};

void BM_AppendBatchesOf500(benchmark::State& state) {
  const auto policy = static_cast<fsync_policy>(state.range(0));
  const int window = static_cast<int>(state.range(1));
  constexpr std::size_t batches_per_iteration = 2000;  // 1,000,000 records
  testutil::temp_dir dir;
  posix_file_system fs;
  std::atomic<int> in_flight{0};
  group_committer committer(policy);
  auto log = std::move(*shard_log::open(fs, dir.file("shard"), {}, committer));
  sample_batch batch;
  for (auto _ : state) {
    for (std::size_t b = 0; b < batches_per_iteration; ++b) {
      while (in_flight.load(std::memory_order_acquire) >= window) std::this_thread::yield();
      in_flight.fetch_add(1, std::memory_order_relaxed);
      auto appended = log->append(batch.records, now_ms(), [&](std::error_code) {
        in_flight.fetch_sub(1, std::memory_order_release);
      });
      if (!appended) state.SkipWithError(appended.error().message().c_str());
    }
    while (in_flight.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }
  const auto records = state.iterations() * batches_per_iteration * batch_size;
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetBytesProcessed(static_cast<std::int64_t>(records * record_size));
  state.counters["fdatasyncs"] = static_cast<double>(committer.syncs());
  state.counters["records_per_sync"] =
      committer.syncs() ? static_cast<double>(records) / committer.syncs() : 0;
  state.SetLabel(std::string(to_string(policy)));
}
BENCHMARK(BM_AppendBatchesOf500)
    ->ArgsProduct({{static_cast<int>(fsync_policy::batch), static_cast<int>(fsync_policy::never),
                    static_cast<int>(fsync_policy::always)},
                   {16}})
    ->ArgNames({"policy", "window"})
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A shard log filled once with `records` records of 100 bytes, shared by the read benchmarks.
struct filled_log {
  explicit filled_log(std::size_t records) {
    log = std::move(*shard_log::open(fs, dir.file("shard"), {}, committer));
    sample_batch batch;
    for (std::size_t n = 0; n < records; n += batch_size)
      (void)log->append(batch.records, now_ms());
    (void)log->sync();
  }
  testutil::temp_dir dir;
  posix_file_system fs;
  group_committer committer{fsync_policy::never};
  std::unique_ptr<shard_log> log;
};

void BM_ReadOneShard(benchmark::State& state) {
  static filled_log filled(2'000'000);
  const read_limits limits{static_cast<std::size_t>(state.range(0)), 10u << 20};
  std::size_t records = 0;
  for (auto _ : state) {
    position next = 0;
    const position end = filled.log->next_position();
    while (next < end) {
      auto batch = filled.log->read(next, limits);
      if (!batch || batch->records.empty()) {
        state.SkipWithError("read failed");
        break;
      }
      records += batch->records.size();
      benchmark::DoNotOptimize(batch->records.back().data.data());
      next = batch->next;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
  state.SetBytesProcessed(static_cast<std::int64_t>(records * record_size));
}
BENCHMARK(BM_ReadOneShard)
    ->Arg(10000)
    ->Arg(1000)
    ->ArgName("limit")
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// 1 GiB of segments (8 of 128 MiB), written once; recovered with and without index files.
struct gigabyte_log {
  gigabyte_log() {
    group_committer committer(fsync_policy::never);
    auto log = std::move(*shard_log::open(fs, path, {}, committer));
    sample_batch batch;
    while (log->next_position() * 131 < (1ull << 30)) (void)log->append(batch.records, now_ms());
    records = log->next_position();
    (void)log->close();
  }
  void remove_index_files() {
    for (const auto& name : *fs.list(path)) {
      auto parsed = segment_file_name::parse(name);
      if (parsed && parsed->kind == segment_file_kind::index)
        (void)fs.remove(join_path(path, name));
    }
  }
  testutil::temp_dir dir;
  posix_file_system fs;
  std::string path = dir.file("shard");
  position records = 0;
};

void BM_Recover1GiB(benchmark::State& state) {
  static gigabyte_log gib;
  const bool with_index = state.range(0) != 0;
  group_committer committer(fsync_policy::never);
  for (auto _ : state) {
    state.PauseTiming();
    if (!with_index) gib.remove_index_files();
    state.ResumeTiming();
    auto log = shard_log::open(gib.fs, gib.path, {}, committer);
    if (!log || (*log)->next_position() != gib.records) state.SkipWithError("recovery failed");
    state.PauseTiming();
    log->reset();  // closing writes the index files back
    state.ResumeTiming();
  }
  state.counters["records"] = static_cast<double>(gib.records);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * (1ll << 30));
  state.SetLabel(with_index ? "index files present (clean shutdown)" : "full scan (after a crash)");
}
BENCHMARK(BM_Recover1GiB)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("with_index")
    ->Iterations(3)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace spate::storage

BENCHMARK_MAIN();
