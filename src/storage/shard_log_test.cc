// The shard log end to end: positions, reads across segments, lookups by time, retention,
// reopen, write failures, and readers running beside an appender.
#include "storage/shard_log.h"

#include "common/coding.h"
#include "storage/errc.h"
#include "storage/mem_file.h"
#include "storage/posix_file.h"
#include "storage/record_format.h"
#include "storage/segment_name.h"
#include "testutil/temp_dir.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

namespace spate::storage {
namespace {

std::string log_record_data(position p) {
  return "record-" + std::to_string(p) + std::string(80, 'x');
}

class ShardLogTest : public testing::Test {
 protected:
  ShardLogTest() {
    options_.segment_size = 8192;  // small, so a few hundred records span many segments
    options_.segment.index_interval = 512;
  }

  std::unique_ptr<shard_log> open_log(file_system& fs) {
    auto log = shard_log::open(fs, dir_, options_, committer_);
    EXPECT_TRUE(log) << log.error().message();
    return log ? std::move(*log) : nullptr;
  }
  std::unique_ptr<shard_log> open_log() { return open_log(fs_); }

  // Appends records [first, first + n) as one batch at `arrival`; returns the result.
  static append_result append_range(shard_log& log, position first, std::size_t n,
                                    std::int64_t arrival) {
    std::vector<std::string> data;
    std::vector<record_input> records;
    for (std::size_t i = 0; i < n; ++i) data.push_back(log_record_data(first + i));
    for (auto& d : data) records.push_back({"pk", std::nullopt, d});
    auto out = log.append(records, arrival);
    EXPECT_TRUE(out);
    return *out;
  }

  static void expect_all(const shard_log& log, position from, position to) {
    auto batch = log.read(from, read_limits{1000000, 1u << 30});
    ASSERT_TRUE(batch);
    ASSERT_EQ(batch->records.size(), to - from);
    for (position p = from; p < to; ++p) {
      EXPECT_EQ(batch->records[p - from].pos, p);
      EXPECT_EQ(batch->records[p - from].data, log_record_data(p));
    }
    EXPECT_EQ(batch->next, to);
  }

  mem_file_system fs_;
  std::string dir_ = "/data/stream/shard-0";
  shard_log_options options_;
  group_committer committer_{fsync_policy::batch};
};

TEST_F(ShardLogTest, PositionsAreConsecutiveFromZero) {
  auto log = open_log();
  EXPECT_EQ(log->next_position(), 0u);
  EXPECT_EQ(log->start_position(), 0u);
  auto a = append_range(*log, 0, 3, 100);
  EXPECT_EQ(a.first, 0u);
  EXPECT_EQ(a.last, 2u);
  auto b = append_range(*log, 3, 1, 101);
  EXPECT_EQ(b.first, 3u);
  EXPECT_EQ(b.last, 3u);
  EXPECT_EQ(log->next_position(), 4u);
  expect_all(*log, 0, 4);
}

TEST_F(ShardLogTest, ReadsSpanManySegments) {
  auto log = open_log();
  for (position p = 0; p < 500; p += 10) append_range(*log, p, 10, 100 + p);
  EXPECT_GT(log->segment_count(), 5u);
  expect_all(*log, 0, 500);
  expect_all(*log, 123, 500);
  expect_all(*log, 499, 500);
  auto at_end = log->read(500, {});
  ASSERT_TRUE(at_end);
  EXPECT_TRUE(at_end->records.empty());
  EXPECT_EQ(at_end->next, 500u);
}

TEST_F(ShardLogTest, ReadStopsAtRecordAndByteLimits) {
  auto log = open_log();
  append_range(*log, 0, 100, 1);
  auto batch = log->read(10, read_limits{7, 1u << 20});
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 7u);
  EXPECT_EQ(batch->records.front().pos, 10u);
  EXPECT_EQ(batch->next, 17u);

  const std::size_t one = 2 + log_record_data(0).size();
  batch = log->read(0, read_limits{1000, one * 3 + 1});
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->records.size(), 3u);
  EXPECT_LE(batch->bytes, one * 3 + 1);
}

TEST_F(ShardLogTest, RecordLargerThanByteLimitIsStillReturnedAlone) {
  auto log = open_log();
  std::string big(20000, 'B');  // larger than a segment and than a read chunk
  record_input r{"pk", std::nullopt, big};
  ASSERT_TRUE(log->append({&r, 1}, 5));
  append_range(*log, 1, 2, 6);
  auto batch = log->read(0, read_limits{1000, 100});
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 1u);
  EXPECT_EQ(batch->records[0].data, big);
  EXPECT_EQ(batch->next, 1u);
  expect_all(*log, 1, 3);
}

TEST_F(ShardLogTest, ExplicitHashKeySurvivesTheLog) {
  auto log = open_log();
  uint128 key = uint128_max - 1;
  record_input r{"pk", key, "d"};
  ASSERT_TRUE(log->append({&r, 1}, 5));
  auto batch = log->read(0, {});
  ASSERT_EQ(batch->records.size(), 1u);
  ASSERT_TRUE(batch->records[0].explicit_hash_key);
  EXPECT_TRUE(*batch->records[0].explicit_hash_key == key);
}

TEST_F(ShardLogTest, ArrivalTimesNeverDecrease) {
  auto log = open_log();
  EXPECT_EQ(append_range(*log, 0, 1, 500).arrival_ms, 500);
  EXPECT_EQ(append_range(*log, 1, 1, 400).arrival_ms, 500) << "a clock step back is absorbed";
  EXPECT_EQ(append_range(*log, 2, 1, 600).arrival_ms, 600);
}

TEST_F(ShardLogTest, FindTimeReturnsFirstRecordAtOrAfter) {
  auto log = open_log();
  for (position p = 0; p < 300; ++p) append_range(*log, p, 1, 1000 + 10 * p);
  EXPECT_EQ(*log->find_time(0), 0u);
  EXPECT_EQ(*log->find_time(1000), 0u);
  EXPECT_EQ(*log->find_time(1001), 1u);
  EXPECT_EQ(*log->find_time(2505), 151u);
  EXPECT_EQ(*log->find_time(3990), 299u);
  EXPECT_EQ(*log->find_time(3991), 300u) << "after the newest record: the next position";
}

TEST_F(ShardLogTest, ReopenKeepsEveryRecordAndContinuesPositions) {
  {
    auto log = open_log();
    for (position p = 0; p < 300; p += 30) append_range(*log, p, 30, 100);
    ASSERT_TRUE(log->close());
  }
  auto log = open_log();
  EXPECT_EQ(log->next_position(), 300u);
  expect_all(*log, 0, 300);
  append_range(*log, 300, 5, 200);
  expect_all(*log, 0, 305);
}

TEST_F(ShardLogTest, ReopenWithoutCloseRecoversByScanning) {
  {
    auto log = open_log();
    for (position p = 0; p < 300; p += 30) append_range(*log, p, 30, 100);
    // Destroyed without close(): like a process crash, nothing extra is written...
    auto image = fs_.crash_image(/*power_loss=*/false);
    log.reset();
    auto reopened = open_log(*image);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->next_position(), 300u);
    expect_all(*reopened, 0, 300);
  }
}

TEST_F(ShardLogTest, CleanCloseLeavesIndexForEverySegment) {
  auto log = open_log();
  for (position p = 0; p < 300; p += 30) append_range(*log, p, 30, 100);
  ASSERT_TRUE(log->close());
  auto names = *fs_.list(dir_);
  std::size_t segments = 0, indexes = 0;
  for (auto& n : names) {
    auto parsed = segment_file_name::parse(n);
    ASSERT_TRUE(parsed) << n;
    (parsed->kind == segment_file_kind::segment ? segments : indexes)++;
  }
  EXPECT_EQ(segments, indexes);
  EXPECT_FALSE(log->append(std::span<const record_input>{}, 1)) << "closed logs refuse appends";
}

// Memory must not grow with the data retained: only the active segment keeps its index in
// memory (at most one entry per index interval of a segment).
TEST_F(ShardLogTest, SealedSegmentsKeepNoIndexInMemory) {
  const std::size_t one_segment = options_.segment_size / options_.segment.index_interval + 1;
  auto log = open_log();
  for (position p = 0; p < 600; p += 10) append_range(*log, p, 10, 100 + p);
  ASSERT_GT(log->segment_count(), 5u);
  // Sealing runs on the committer thread once each old segment is synced.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (log->resident_index_entries() > one_segment &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_LE(log->resident_index_entries(), one_segment);
  expect_all(*log, 0, 600);
  expect_all(*log, 257, 600);
  EXPECT_EQ(*log->find_time(100 + 300), 300u);
  EXPECT_EQ(*log->find_time(100 + 301), 310u);
}

TEST_F(ShardLogTest, ReopenSealsEveryOldSegmentEvenWithoutIndexFiles) {
  const std::size_t one_segment = options_.segment_size / options_.segment.index_interval + 1;
  {
    auto log = open_log();
    for (position p = 0; p < 600; p += 10) append_range(*log, p, 10, 100 + p);
    ASSERT_TRUE(log->close());
  }
  std::size_t segments = 0;
  for (const auto& name : *fs_.list(dir_)) {
    auto parsed = segment_file_name::parse(name);
    ASSERT_TRUE(parsed) << name;
    if (parsed->kind == segment_file_kind::index) {
      ASSERT_TRUE(fs_.remove(join_path(dir_, name)));
    } else {
      ++segments;
    }
  }
  auto log = open_log();
  EXPECT_LE(log->resident_index_entries(), one_segment);
  std::size_t indexes = 0;
  for (const auto& name : *fs_.list(dir_)) {
    indexes += segment_file_name::parse(name)->kind == segment_file_kind::index;
  }
  EXPECT_EQ(indexes, segments - 1) << "every sealed segment wrote its index file again";
  expect_all(*log, 0, 600);
  EXPECT_EQ(*log->find_time(100 + 455), 460u);
  append_range(*log, 600, 10, 700);
  expect_all(*log, 0, 610);
}

TEST_F(ShardLogTest, RetentionRemovesWholeExpiredSegmentsOnly) {
  auto log = open_log();
  for (position p = 0; p < 200; p += 20) append_range(*log, p, 20, 1000);    // old
  for (position p = 200; p < 400; p += 20) append_range(*log, p, 20, 5000);  // recent
  const std::size_t before = log->segment_count();
  auto removed = log->apply_retention(/*now=*/6000, /*retention=*/2000);  // cut-off 4000
  ASSERT_TRUE(removed);
  EXPECT_GT(*removed, 0u);
  EXPECT_EQ(log->segment_count(), before - *removed);
  // Every record of 5000 is kept; records of 1000 are gone unless they share a segment with
  // a recent one.
  EXPECT_LE(log->start_position(), 200u);
  EXPECT_GT(log->start_position(), 0u);
  EXPECT_EQ(log->read(0, {}).error(), errc::position_trimmed);
  expect_all(*log, log->start_position(), 400);
}

TEST_F(ShardLogTest, RetentionOfEverythingKeepsPositions) {
  auto log = open_log();
  append_range(*log, 0, 50, 1000);
  ASSERT_TRUE(log->apply_retention(100000, 10));
  EXPECT_EQ(log->start_position(), 50u);
  EXPECT_EQ(log->next_position(), 50u);
  EXPECT_TRUE(log->read(50, {})->records.empty());
  ASSERT_TRUE(log->close());
  log = open_log();
  EXPECT_EQ(log->next_position(), 50u) << "the empty active segment's name keeps the position";
  EXPECT_EQ(append_range(*log, 50, 1, 200000).first, 50u);
}

TEST_F(ShardLogTest, HoleInActiveSegmentIsReportedAndPositionsAreNotReused) {
  {
    auto log = open_log();
    append_range(*log, 0, 40, 100);
    ASSERT_EQ(log->segment_count(), 1u);
  }  // destroyed without a crash, but the index file goes: recovery must scan
  const std::string seg = dir_ + "/00000000000000000000.seg";
  ASSERT_TRUE(fs_.remove(dir_ + "/00000000000000000000.idx"));
  std::string bytes = fs_.contents(seg);
  for (std::size_t i = 2000; i < 2100; ++i) bytes[i] = '\0';  // a page lost in a power cut
  fs_.set_contents(seg, bytes);

  std::vector<corruption_report> reports;
  auto log = shard_log::open(fs_, dir_, options_, committer_,
                             [&](const corruption_report& r) { reports.push_back(r); });
  ASSERT_TRUE(log);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].path, seg);
  EXPECT_EQ((*log)->next_position(), 40u) << "positions after the hole are not handed out again";
  auto batch = (*log)->read(0, {});
  ASSERT_TRUE(batch);
  ASSERT_FALSE(batch->records.empty());
  EXPECT_LT(batch->records.size(), 40u);
  EXPECT_EQ(append_range(**log, 40, 1, 200).first, 40u);
}

TEST_F(ShardLogTest, DamageBehindATrustedIndexEndsReadsThereAndIsNamed) {
  {
    auto log = open_log();
    append_range(*log, 0, 60, 100);
    ASSERT_EQ(log->segment_count(), 1u);
    ASSERT_TRUE(log->close());  // index file written: the reopen trusts it and scans nothing
  }
  const std::string seg = dir_ + "/00000000000000000000.seg";
  std::string bytes = fs_.contents(seg);
  const std::size_t at = bytes.find(log_record_data(30));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 40] ^= 0x5a;  // bit rot inside record 30's data
  fs_.set_contents(seg, bytes);

  std::vector<corruption_report> reports;
  auto log = shard_log::open(fs_, dir_, options_, committer_,
                             [&](const corruption_report& r) { reports.push_back(r); });
  ASSERT_TRUE(log);
  EXPECT_TRUE(reports.empty()) << "a trusted index means no scan on open";
  expect_all(**log, 0, 30);  // every record before the damage, and the batch ends there
  expect_all(**log, 12, 30);
  EXPECT_EQ((*log)->read(30, {}).error(), errc::corruption) << "the damaged record is refused";
  EXPECT_EQ((*log)->read(29, read_limits{1, 1u << 20})->records.at(0).pos, 29u);
}

TEST_F(ShardLogTest, ALengthRunningPastTheEndBehindATrustedIndexEndsReadsThereToo) {
  {
    auto log = open_log();
    append_range(*log, 0, 60, 100);
    ASSERT_TRUE(log->close());
  }
  const std::string seg = dir_ + "/00000000000000000000.seg";
  std::string bytes = fs_.contents(seg);
  // Record 30's frame starts where record 29's data (the end of its payload) ends; its length
  // becomes one that runs past the end of the file, which a frame that fails its checks is not.
  const std::size_t frame = bytes.find(log_record_data(29)) + log_record_data(29).size();
  coding::put_u32(bytes.data() + frame + record_format::frame_length_offset, 1u << 20);
  fs_.set_contents(seg, bytes);

  auto log = open_log();
  expect_all(*log, 0, 30);
  EXPECT_EQ(log->read(30, {}).error(), errc::corruption);
}

TEST_F(ShardLogTest, OversizedRecordIsRejectedBeforeWriting) {
  auto log = open_log();
  std::string key(70000, 'k');
  record_input r{key, std::nullopt, "d"};
  EXPECT_EQ(log->append({&r, 1}, 1).error(), errc::record_too_large);
  EXPECT_EQ(log->next_position(), 0u);
}

TEST_F(ShardLogTest, FailedWriteIsCutBackAndTheLogGoesOn) {
  auto log = open_log();
  append_range(*log, 0, 10, 1);
  fs_.fail_appends_after(150);  // the next batch tears part way
  std::vector<std::string> data(10, std::string(100, 'z'));
  std::vector<record_input> records;
  for (auto& d : data) records.push_back({"pk", std::nullopt, d});
  EXPECT_EQ(log->append(records, 2).error(), std::error_condition(std::errc::no_space_on_device));
  fs_.clear_faults();
  EXPECT_EQ(log->next_position(), 10u);
  append_range(*log, 10, 5, 3);
  expect_all(*log, 0, 15);
  ASSERT_TRUE(log->close());
  expect_all(*open_log(), 0, 15);
}

TEST_F(ShardLogTest, DurableCallbackRunsOncePerAppend) {
  auto log = open_log();
  std::vector<std::promise<std::error_code>> done(20);
  for (int i = 0; i < 20; ++i) {
    std::string d = log_record_data(i);
    record_input r{"pk", std::nullopt, d};
    ASSERT_TRUE(log->append({&r, 1}, 1, [&, i](std::error_code ec) { done[i].set_value(ec); }));
  }
  for (auto& d : done) EXPECT_FALSE(d.get_future().get());
}

TEST_F(ShardLogTest, FailedSyncRefusesFurtherAppends) {
  auto log = open_log();
  fs_.fail_syncs(true);
  std::promise<std::error_code> done;
  record_input r{"pk", std::nullopt, "d"};
  ASSERT_TRUE(log->append({&r, 1}, 1, [&](std::error_code ec) { done.set_value(ec); }));
  EXPECT_EQ(done.get_future().get(), std::error_condition(std::errc::io_error));
  fs_.fail_syncs(false);
  EXPECT_EQ(log->append({&r, 1}, 1).error(), errc::log_closed)
      << "after a failed fsync the kernel may have dropped pages: never pretend otherwise";
}

TEST_F(ShardLogTest, ReadersRunBesideAnAppender) {
  auto log = open_log();
  constexpr position total = 3000;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (position p = 0; p < total; p += 10)
      append_range(*log, p, 10, static_cast<std::int64_t>(p));
    done = true;
  });
  std::vector<std::thread> readers;
  std::atomic<int> errors{0};
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      position next = 0;
      while (next < total) {
        auto batch = log->read(next, read_limits{97, 1u << 20});
        if (!batch) {
          ADD_FAILURE() << "read at " << next << ": " << batch.error().message();
          errors++;
          return;
        }
        for (const auto& r : batch->records) {
          if (r.pos != next || r.data != log_record_data(next)) {
            ADD_FAILURE() << "expected " << next << ", read " << r.pos;
            errors++;
          }
          ++next;
        }
        if (batch->records.empty() && done && next >= log->next_position()) break;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
}

TEST(ShardLogOnDisk, RecordsSurviveReopenOnPosixFiles) {
  testutil::temp_dir dir;
  posix_file_system fs;
  group_committer committer(fsync_policy::batch);
  shard_log_options options;
  options.segment_size = 64 << 10;
  {
    auto log = shard_log::open(fs, dir.file("shard"), options, committer);
    ASSERT_TRUE(log);
    for (position p = 0; p < 2000; p += 100) {
      std::vector<std::string> data;
      std::vector<record_input> records;
      for (position i = p; i < p + 100; ++i) data.push_back(log_record_data(i));
      for (auto& d : data) records.push_back({"pk", std::nullopt, d});
      std::promise<std::error_code> durable;
      ASSERT_TRUE((*log)->append(records, 1, [&](std::error_code ec) { durable.set_value(ec); }));
      EXPECT_FALSE(durable.get_future().get());
    }
  }
  auto log = shard_log::open(fs, dir.file("shard"), options, committer);
  ASSERT_TRUE(log);
  auto batch = (*log)->read(0, read_limits{100000, 1u << 30});
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->records.size(), 2000u);
  for (position p = 0; p < 2000; ++p) EXPECT_EQ(batch->records[p].data, log_record_data(p));
  EXPECT_GT((*log)->segment_count(), 2u);
}

}  // namespace
}  // namespace spate::storage
