// Recovery of a segment on open: torn tails are end-of-log, corruption before the tail is
// reported with its offset and never skipped silently.
#include "storage/recovery.h"

#include "common/coding.h"
#include "common/crc32c.h"
#include "storage/errc.h"
#include "storage/mem_file.h"
#include "storage/record_format.h"
#include "storage/record_writer.h"
#include "storage/segment.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

namespace fmt = record_format;

constexpr std::size_t data_size = 100;
constexpr std::size_t frame_size = fmt::frame_header_size + fmt::payload_fixed_size + 1 + data_size;

class RecoveryTest : public testing::Test {
 protected:
  RecoveryTest() { EXPECT_TRUE(fs_.create_dirs(dir_)); }

  static std::string data_for(position p) {
    return std::string(data_size, static_cast<char>('a' + p % 26));
  }

  // Writes records [0, n) into segment 0, one batch each, and closes the file.
  void write_records(position n) {
    auto seg = segment::create(fs_, dir_, 0, 1000, options_);
    ASSERT_TRUE(seg);
    for (position p = 0; p < n; ++p) {
      encoded_batch batch;
      batch.first = p;
      batch.arrival_ms = 1000 + static_cast<std::int64_t>(p);
      batch.frame_offsets.push_back(0);
      std::string data = data_for(p);
      append_record_frame(batch.frames, {"k", std::nullopt, data}, p, batch.arrival_ms);
      ASSERT_TRUE((*seg)->append(batch));
    }
  }

  static std::uint64_t offset_of(position p) { return fmt::segment_header_size + p * frame_size; }
  std::string bytes() { return fs_.contents(path_); }
  void set_bytes(std::string b) { fs_.set_contents(path_, std::move(b)); }

  // Opens segment 0 as a sealed segment unless `is_active`.
  result<std::shared_ptr<segment>> reopen(bool is_active = false) {
    return segment::open(fs_, dir_, 0, is_active, options_,
                         [this](const corruption_report& r) { reports_.push_back(r); });
  }

  // Every record of the segment, checked against what write_records wrote.
  position expect_intact_records(const segment& seg) {
    read_batch batch;
    EXPECT_TRUE(seg.read(0, read_limits{100000, 1u << 30}, batch));
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      EXPECT_EQ(batch.records[i].pos, i);
      EXPECT_EQ(batch.records[i].data, data_for(i));
    }
    return batch.records.size();
  }

  mem_file_system fs_;
  std::string dir_ = "/shard";
  std::string path_ = "/shard/00000000000000000000.seg";
  segment_options options_{.index_interval = 512, .strict_recovery = true};
  std::vector<corruption_report> reports_;
};

TEST_F(RecoveryTest, CleanSegmentReopensWithEveryRecord) {
  write_records(10);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 10u);
  EXPECT_EQ(expect_intact_records(**seg), 10u);
  EXPECT_EQ((*seg)->max_arrival(), 1009);
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, EmptySegmentReopensEmpty) {
  write_records(0);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_TRUE((*seg)->empty());
  EXPECT_EQ((*seg)->max_arrival(), no_arrival);
}

TEST_F(RecoveryTest, TruncatedTrailingRecordIsIgnored) {
  write_records(10);
  for (std::size_t cut : {std::size_t{1}, std::size_t{5}, frame_size - 1}) {
    std::string b = bytes();
    set_bytes(b.substr(0, offset_of(9) + cut));
    auto seg = reopen();
    ASSERT_TRUE(seg) << cut;
    EXPECT_EQ((*seg)->next_position(), 9u);
    EXPECT_EQ((*seg)->size(), offset_of(9)) << "torn bytes are cut off the file";
    EXPECT_EQ(fs_.contents(path_).size(), offset_of(9));
    // Put the record back for the next cut.
    set_bytes(b);
  }
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, ZeroFilledTailIsIgnored) {
  write_records(10);
  set_bytes(bytes() + std::string(4096, '\0'));
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 10u);
  EXPECT_EQ(fs_.contents(path_).size(), offset_of(10));
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, GarbageTailWithNoIntactFrameIsIgnored) {
  write_records(10);
  std::string garbage(3000, '\0');
  for (std::size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>(i * 131 + 7);
  set_bytes(bytes() + garbage);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 10u);
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, BadCrcOnLastRecordIsTornTail) {
  write_records(10);
  std::string b = bytes();
  b[offset_of(9) + 30] ^= 0x40;
  set_bytes(b);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 9u);
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, BadLengthAtEndIsTornTail) {
  write_records(10);
  std::string b = bytes();
  coding::put_u32(b.data() + offset_of(9) + fmt::frame_length_offset, 1u << 30);
  set_bytes(b);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 9u);
  EXPECT_TRUE(reports_.empty());
}

// Corruption before the tail follows: reported, and the strict default refuses to open.

TEST_F(RecoveryTest, ChecksumMismatchInMiddleIsReportedWithOffset) {
  write_records(10);
  std::string b = bytes();
  b[offset_of(3) + 50] ^= 0x01;
  set_bytes(b);
  auto seg = reopen();
  ASSERT_FALSE(seg);
  EXPECT_EQ(seg.error(), errc::corruption);
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].path, path_);
  EXPECT_EQ(reports_[0].offset, offset_of(3));
  EXPECT_EQ(reports_[0].resumes_at, offset_of(4));
  EXPECT_EQ(reports_[0].reason, "checksum mismatch");
  EXPECT_EQ(fs_.contents(path_), b) << "a failed open leaves the file untouched";
}

TEST_F(RecoveryTest, GarbageInMiddleIsReported) {
  write_records(10);
  std::string b = bytes();
  for (std::size_t i = 0; i < 2 * frame_size; ++i) b[offset_of(4) + i] = '\xff';
  set_bytes(b);
  ASSERT_FALSE(reopen());
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].offset, offset_of(4));
  EXPECT_EQ(reports_[0].resumes_at, offset_of(6));
}

TEST_F(RecoveryTest, ZeroedRecordInMiddleIsReported) {
  write_records(10);
  std::string b = bytes();
  for (std::size_t i = 0; i < frame_size; ++i) b[offset_of(2) + i] = '\0';
  set_bytes(b);
  ASSERT_FALSE(reopen());
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].offset, offset_of(2));
  EXPECT_EQ(reports_[0].reason, "zero-filled header");
}

TEST_F(RecoveryTest, PositionOutOfSequenceIsCorruption) {
  write_records(10);
  std::string b = bytes();
  // Record 2's frame copied over record 3's: intact, but at the wrong position.
  b.replace(offset_of(3), frame_size, b.substr(offset_of(2), frame_size));
  set_bytes(b);
  ASSERT_FALSE(reopen());
  ASSERT_EQ(reports_.size(), 1u);
  EXPECT_EQ(reports_[0].offset, offset_of(3));
  EXPECT_NE(reports_[0].reason.find("position 2 where 3"), std::string::npos);
}

TEST_F(RecoveryTest, TolerantRecoveryCutsAtCorruptionAfterReporting) {
  options_.strict_recovery = false;
  write_records(10);
  std::string b = bytes();
  b[offset_of(3) + 50] ^= 0x01;
  set_bytes(b);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ(reports_.size(), 1u);
  EXPECT_EQ((*seg)->next_position(), 3u);
  EXPECT_EQ(expect_intact_records(**seg), 3u);
}

TEST_F(RecoveryTest, CorruptionInActiveSegmentIsReportedAndCutPastItsPositions) {
  write_records(10);
  std::string b = bytes();
  for (std::size_t i = 0; i < frame_size; ++i) b[offset_of(4) + i] = '\0';  // a lost page
  set_bytes(b);
  auto seg = reopen(/*is_active=*/true);
  ASSERT_TRUE(seg) << "an unsynced hole in the active segment must not stop the log";
  ASSERT_EQ(reports_.size(), 1u) << "but it is never skipped silently";
  EXPECT_EQ(reports_[0].offset, offset_of(4));
  EXPECT_EQ((*seg)->next_position(), 4u);
  EXPECT_EQ((*seg)->positions_seen_end(), 10u) << "positions 5..9 were seen and stay used";
  EXPECT_EQ(expect_intact_records(**seg), 4u);
}

TEST_F(RecoveryTest, IndexFileIsTrustedUpToItsSizeAndTheRestIsScanned) {
  write_records(5);
  {
    auto seg = reopen();
    ASSERT_TRUE(seg);
    ASSERT_TRUE((*seg)->write_index_file());
  }
  ASSERT_TRUE(fs_.exists("/shard/00000000000000000000.idx"));
  {
    // Five more records after the index was written, the last one torn.
    auto seg = reopen();
    ASSERT_TRUE(seg);
    for (position p = 5; p < 10; ++p) {
      encoded_batch batch;
      batch.first = p;
      batch.arrival_ms = 2000;
      batch.frame_offsets.push_back(0);
      append_record_frame(batch.frames, {"k", std::nullopt, data_for(p)}, p, 2000);
      ASSERT_TRUE((*seg)->append(batch));
    }
  }
  set_bytes(bytes().substr(0, offset_of(9) + 20));
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 9u);
  EXPECT_EQ(expect_intact_records(**seg), 9u);
  EXPECT_EQ((*seg)->max_arrival(), 2000);
}

TEST_F(RecoveryTest, CorruptIndexFileIsIgnored) {
  write_records(10);
  fs_.set_contents("/shard/00000000000000000000.idx", "SPATEIDX but not really an index");
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ(expect_intact_records(**seg), 10u);
}

TEST_F(RecoveryTest, IndexFileClaimingMoreThanTheFileIsIgnored) {
  write_records(10);
  {
    auto seg = reopen();
    ASSERT_TRUE((*seg)->write_index_file());
  }
  set_bytes(bytes().substr(0, offset_of(6)));  // the file lost bytes the index covers
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_EQ((*seg)->next_position(), 6u);
}

TEST_F(RecoveryTest, TornHeaderStartsTheSegmentAfresh) {
  write_records(0);
  set_bytes(bytes().substr(0, 11));
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_TRUE((*seg)->empty());
  EXPECT_EQ(fs_.contents(path_).size(), fmt::segment_header_size);
  EXPECT_TRUE(reopen()) << "and it opens again";
}

TEST_F(RecoveryTest, ZeroedHeaderMeansNothingWasAcknowledged) {
  write_records(3);
  std::string b = bytes();
  std::fill(b.begin(), b.begin() + fmt::segment_header_size, '\0');
  set_bytes(b);
  auto seg = reopen();
  ASSERT_TRUE(seg);
  EXPECT_TRUE((*seg)->empty());
  EXPECT_TRUE(reports_.empty());
}

TEST_F(RecoveryTest, BadHeaderMagicIsAnError) {
  write_records(3);
  std::string b = bytes();
  b[0] = 'X';
  set_bytes(b);
  EXPECT_EQ(reopen().error(), errc::bad_segment_header);
}

TEST_F(RecoveryTest, NewerFormatVersionIsRefused) {
  write_records(1);
  std::string b = bytes();
  coding::put_u32(b.data() + 8, 2);
  coding::put_u32(b.data() + fmt::segment_header_crc_offset,
                  crc32c::mask(crc32c::value(b.data(), fmt::segment_header_crc_offset)));
  set_bytes(b);
  EXPECT_EQ(reopen().error(), errc::unsupported_version);
}

// Found by fuzz/segment_recovery.cc: a header (with a good CRC) whose header size runs past the
// end of the file made the segment's size that header size, past what the file holds.
TEST_F(RecoveryTest, HeaderSizePastTheEndOfTheFileIsRefused) {
  write_records(2);
  std::string b = bytes();
  coding::put_u32(b.data() + 12, static_cast<std::uint32_t>(b.size() + 1));
  coding::put_u32(b.data() + fmt::segment_header_crc_offset,
                  crc32c::mask(crc32c::value(b.data(), fmt::segment_header_crc_offset)));
  set_bytes(b);
  EXPECT_EQ(reopen().error(), errc::bad_segment_header);
  EXPECT_EQ(bytes(), b) << "a refused segment is left as it was";
}

}  // namespace
}  // namespace spate::storage
