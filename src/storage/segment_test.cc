// Sealing a segment: its index leaves memory for its index file, every lookup still finds
// every record, and a damaged or missing index file costs a scan, never a wrong answer.
#include "storage/segment.h"

#include "storage/errc.h"
#include "storage/mem_file.h"
#include "storage/record_format.h"
#include "storage/record_writer.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

namespace fmt = record_format;

constexpr position record_count = 400;
constexpr std::string_view index_path = "/shard/00000000000000000000.idx";

std::string segment_record_data(position p) {
  return "record-" + std::to_string(p) + std::string(60, 'y');
}
std::int64_t arrival_of(position p) {
  return 1000 + 10 * static_cast<std::int64_t>(p / 4);
}

class SegmentTest : public testing::Test {
 protected:
  SegmentTest() {
    EXPECT_TRUE(fs_.create_dirs("/shard"));
    auto created = segment::create(fs_, "/shard", 0, 1000, options_);
    EXPECT_TRUE(created);
    seg_ = *created;
    // Four records per batch, one arrival time per batch.
    for (position p = 0; p < record_count; p += 4) {
      encoded_batch batch;
      batch.first = p;
      batch.arrival_ms = arrival_of(p);
      for (position q = p; q < p + 4; ++q) {
        batch.frame_offsets.push_back(static_cast<std::uint32_t>(batch.frames.size()));
        append_record_frame(batch.frames, {"k", std::nullopt, segment_record_data(q)}, q,
                            batch.arrival_ms);
      }
      EXPECT_TRUE(seg_->append(batch));
    }
    EXPECT_TRUE(seg_->sync());
  }

  // Reads from every position, a few records at a time, and checks what comes back.
  void expect_every_read_right() {
    for (position from = 0; from < record_count; from += 7) {
      read_batch batch;
      ASSERT_TRUE(seg_->read(from, read_limits{5, 1u << 20}, batch)) << from;
      ASSERT_EQ(batch.records.size(), std::min<position>(5, record_count - from)) << from;
      for (std::size_t i = 0; i < batch.records.size(); ++i) {
        EXPECT_EQ(batch.records[i].pos, from + i);
        EXPECT_EQ(batch.records[i].data, segment_record_data(from + i));
      }
    }
  }

  // Looks up times before, at, between and after the records' arrival times.
  void expect_every_time_lookup_right() {
    for (std::int64_t t = 990; t <= arrival_of(record_count - 1) + 5; t += 5) {
      auto found = seg_->find_time(t);
      ASSERT_TRUE(found) << t;
      const std::int64_t first_batch = std::max<std::int64_t>(0, (t - 1000 + 9) / 10);
      const position expected = static_cast<position>(first_batch * 4);
      if (expected >= record_count) {
        EXPECT_FALSE(*found) << t;
      } else {
        ASSERT_TRUE(*found) << t;
        EXPECT_EQ(**found, expected) << t;
      }
    }
  }

  mem_file_system fs_;
  segment_options options_{.index_interval = 256, .strict_recovery = true};
  std::shared_ptr<segment> seg_;
};

TEST_F(SegmentTest, ActiveSegmentKeepsItsIndexInMemory) {
  EXPECT_GT(seg_->resident_index_entries(), 20u);
  EXPECT_FALSE(fs_.exists(std::string(index_path)));
  expect_every_read_right();
  expect_every_time_lookup_right();
}

TEST_F(SegmentTest, SealedSegmentLooksUpInItsIndexFile) {
  ASSERT_TRUE(seg_->seal());
  EXPECT_EQ(seg_->resident_index_entries(), 0u);
  EXPECT_TRUE(fs_.exists(std::string(index_path)));
  EXPECT_TRUE(seg_->has_index_file());
  expect_every_read_right();
  expect_every_time_lookup_right();
}

TEST_F(SegmentTest, SealedSegmentRefusesAppends) {
  ASSERT_TRUE(seg_->seal());
  encoded_batch batch;
  batch.first = record_count;
  batch.arrival_ms = 9000;
  batch.frame_offsets.push_back(0);
  append_record_frame(batch.frames, {"k", std::nullopt, "late"}, record_count, 9000);
  EXPECT_EQ(seg_->append(batch).error(), errc::log_closed);
  EXPECT_EQ(seg_->next_position(), record_count);
}

TEST_F(SegmentTest, MissingIndexFileCostsAScanNotAnAnswer) {
  ASSERT_TRUE(seg_->seal());
  ASSERT_TRUE(fs_.remove(std::string(index_path)));
  expect_every_read_right();
  expect_every_time_lookup_right();
}

TEST_F(SegmentTest, IndexFileDamagedAfterSealingCostsAScanNotAWrongAnswer) {
  ASSERT_TRUE(seg_->seal());
  const std::string good = fs_.contents(std::string(index_path));
  const std::size_t entries =
      (good.size() - fmt::index_header_size - fmt::index_trailer_size) / fmt::index_entry_size;
  ASSERT_GT(entries, 4u);
  auto entry_at = [&](const std::string& bytes, std::size_t i) {
    return bytes.substr(fmt::index_header_size + i * fmt::index_entry_size, fmt::index_entry_size);
  };
  auto with_entries = [&](auto make_entry) {
    std::string damaged = good;
    for (std::size_t i = 0; i < entries; ++i) {
      damaged.replace(fmt::index_header_size + i * fmt::index_entry_size, fmt::index_entry_size,
                      make_entry(i));
    }
    return damaged;
  };
  // Each entry keeps its position but takes the next entry's offset: trusted, it would skip
  // the records between the two.
  fs_.set_contents(std::string(index_path), with_entries([&](std::size_t i) {
                     std::string e = entry_at(good, i);
                     e.replace(8, 8, entry_at(good, std::min(i + 1, entries - 1)).substr(8, 8));
                     return e;
                   }));
  expect_every_read_right();
  expect_every_time_lookup_right();
  // Every entry claims an arrival time older than any: trusted, time lookups would start at
  // the last entry and miss earlier answers.
  fs_.set_contents(std::string(index_path), with_entries([&](std::size_t i) {
                     std::string e = entry_at(good, i);
                     e.replace(16, 8, std::string(8, '\0'));
                     return e;
                   }));
  expect_every_read_right();
  expect_every_time_lookup_right();
  // Each entry's offset is shifted into the middle of a frame.
  fs_.set_contents(std::string(index_path), with_entries([&](std::size_t i) {
                     std::string e = entry_at(good, i);
                     e[8] = static_cast<char>(e[8] + 3);
                     return e;
                   }));
  expect_every_read_right();
  expect_every_time_lookup_right();
  // Entries pointing past the end of the segment.
  fs_.set_contents(std::string(index_path), with_entries([](std::size_t) {
                     return std::string(fmt::index_entry_size, '\x7f');
                   }));
  expect_every_read_right();
  expect_every_time_lookup_right();
  // A file cut short.
  fs_.set_contents(std::string(index_path), good.substr(0, good.size() / 2));
  expect_every_read_right();
  expect_every_time_lookup_right();
}

// Readers taking turns, each reading on from where it stopped: every one gets its own
// records in order, whatever the last read left behind to resume from.
TEST_F(SegmentTest, InterleavedSequentialReadersEachGetEveryRecordOnce) {
  ASSERT_TRUE(seg_->seal());
  ASSERT_TRUE(fs_.remove(std::string(index_path)));  // only the resume point and scans remain
  position cursors[3] = {0, 100, 250};
  std::vector<position> seen[3];
  for (bool progress = true; progress;) {
    progress = false;
    for (int r = 0; r < 3; ++r) {
      if (cursors[r] >= record_count) continue;
      read_batch batch;
      ASSERT_TRUE(
          seg_->read(cursors[r], read_limits{static_cast<std::size_t>(3 + r), 1u << 20}, batch));
      ASSERT_FALSE(batch.records.empty());
      for (const auto& rec : batch.records) {
        EXPECT_EQ(rec.data, segment_record_data(rec.pos));
        seen[r].push_back(rec.pos);
      }
      cursors[r] = batch.next;
      progress = true;
    }
  }
  const position starts[3] = {0, 100, 250};
  for (int r = 0; r < 3; ++r) {
    ASSERT_EQ(seen[r].size(), record_count - starts[r]) << r;
    for (std::size_t i = 0; i < seen[r].size(); ++i) EXPECT_EQ(seen[r][i], starts[r] + i);
  }
}

TEST_F(SegmentTest, SealingAnEmptySegmentWritesNothing) {
  auto empty = segment::create(fs_, "/shard", record_count, 5000, options_);
  ASSERT_TRUE(empty);
  ASSERT_TRUE((*empty)->seal());
  EXPECT_FALSE(fs_.exists("/shard/00000000000000000400.idx"));
  read_batch batch;
  ASSERT_TRUE((*empty)->read(record_count, {}, batch));
  EXPECT_TRUE(batch.records.empty());
}

}  // namespace
}  // namespace spate::storage
