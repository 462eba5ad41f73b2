#include "storage/segment_index.h"

#include "storage/errc.h"
#include "storage/mem_file.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

segment_index index_every_100_bytes() {
  segment_index index(100);
  // Records of 40 bytes each from offset 40, arrival time = 10 * position.
  for (position p = 0; p < 50; ++p) index.add(p, 40 + p * 40, static_cast<std::int64_t>(p * 10));
  return index;
}

TEST(SegmentIndex, KeepsOneEntryPerInterval) {
  auto index = index_every_100_bytes();
  ASSERT_FALSE(index.entries().empty());
  EXPECT_EQ(index.entries().front().pos, 0u);
  for (std::size_t i = 1; i < index.entries().size(); ++i) {
    EXPECT_GE(index.entries()[i].offset - index.entries()[i - 1].offset, 100u);
    EXPECT_LT(index.entries()[i].offset - index.entries()[i - 1].offset, 140u);
  }
}

TEST(SegmentIndex, FloorPositionFindsEntryAtOrBefore) {
  auto index = index_every_100_bytes();
  for (position p = 0; p < 60; ++p) {
    auto e = index.floor_position(p);
    ASSERT_TRUE(e) << p;
    EXPECT_LE(e->pos, p);
    EXPECT_LT(p - e->pos, 4u) << "within one interval, unless past the end";
    if (p >= 50) break;
  }
  segment_index empty(100);
  EXPECT_FALSE(empty.floor_position(3));
}

TEST(SegmentIndex, FloorTimeFindsEntryBeforeTime) {
  auto index = index_every_100_bytes();
  EXPECT_FALSE(index.floor_time(0));  // nothing earlier than the first record
  auto e = index.floor_time(205);     // first record at or after 205 ms is position 21
  ASSERT_TRUE(e);
  EXPECT_LT(e->arrival_ms, 205);
  EXPECT_LE(e->pos, 21u);
  EXPECT_GE(e->pos + 4, 21u);
}

TEST(SegmentIndex, FileRoundTrips) {
  auto index = index_every_100_bytes();
  std::string bytes = index.encode_file(0, 50, 2040, 490);
  auto decoded = segment_index::decode_file(bytes, 100);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->base, 0u);
  EXPECT_EQ(decoded->next, 50u);
  EXPECT_EQ(decoded->trusted_size, 2040u);
  EXPECT_EQ(decoded->max_arrival, 490);
  EXPECT_EQ(decoded->index.entries(), index.entries());
}

TEST(SegmentIndex, CorruptFileIsRejected) {
  auto index = index_every_100_bytes();
  std::string bytes = index.encode_file(0, 50, 2040, 490);
  std::string flipped = bytes;
  flipped[60] ^= 0x10;
  EXPECT_EQ(segment_index::decode_file(flipped, 100).error(), errc::bad_segment_header);
  EXPECT_EQ(segment_index::decode_file(bytes.substr(0, bytes.size() - 1), 100).error(),
            errc::bad_segment_header);
  EXPECT_EQ(segment_index::decode_file("", 100).error(), errc::bad_segment_header);
}

// A full segment's index stays small: the newest entries dense, older ones one in 16.
TEST(SegmentIndex, ThinsOlderEntriesAndKeepsTheNewestDense) {
  segment_index index(100);
  constexpr position records = 200000;  // 40 bytes each: 8 MB of log, 80,000 intervals
  for (position p = 0; p < records; ++p) {
    index.add(p, 40 + p * 40, static_cast<std::int64_t>(p / 10));
  }
  const auto& e = index.entries();
  const std::size_t dense_everywhere = records * 40 / 120 + 1;  // one entry per 3 records
  EXPECT_LE(e.size(), 2 * segment_index::dense_entries +
                          dense_everywhere / segment_index::thin_factor + 1);
  EXPECT_GE(e.size(), segment_index::dense_entries);
  EXPECT_EQ(e.front().pos, 0u) << "the segment's first record always has an entry";
  for (std::size_t i = 1; i < e.size(); ++i) {
    const std::uint64_t gap = e[i].offset - e[i - 1].offset;
    EXPECT_GE(gap, 100u);
    EXPECT_LE(gap, 120u * segment_index::thin_factor) << i;
  }
  for (std::size_t i = e.size() - segment_index::dense_entries; i < e.size(); ++i) {
    EXPECT_LT(e[i].offset - e[i - 1].offset, 140u) << "newest entries stay dense: " << i;
  }
  for (position p = 0; p < records; p += 97) {
    auto at = index.floor_position(p);
    ASSERT_TRUE(at) << p;
    EXPECT_LE(at->pos, p);
    EXPECT_LE(p - at->pos, 3 * segment_index::thin_factor) << p;
    auto before = index.floor_time(static_cast<std::int64_t>(p / 10));
    if (p >= 10) {
      ASSERT_TRUE(before) << p;
      EXPECT_LT(before->arrival_ms, static_cast<std::int64_t>(p / 10));
    }
  }
}

// Writes `index` as an index file on `fs`, with a header for a segment of records [0, next),
// and opens it for reading.
std::unique_ptr<file> index_file_of(mem_file_system& fs, const segment_index& index,
                                    position next = 50, std::uint64_t trusted_size = 2040,
                                    std::int64_t max_arrival = 490) {
  EXPECT_TRUE(fs.create_dirs("/d"));
  EXPECT_TRUE(fs.write_file_atomically(
      "/d/x.idx", index.encode_file(0, next, trusted_size, max_arrival)));
  auto f = fs.open("/d/x.idx", open_mode::open_existing);
  EXPECT_TRUE(f);
  return f ? std::move(*f) : nullptr;
}

// The index file read in place gives the same answers as the index in memory.
TEST(IndexFileReader, AnswersAsTheIndexInMemory) {
  auto index = index_every_100_bytes();
  mem_file_system fs;
  auto f = index_file_of(fs, index);
  ASSERT_TRUE(f);
  auto reader = index_file_reader::open(*f, static_cast<std::uint32_t>(index.entries().size()));
  ASSERT_TRUE(reader);
  for (position p = 0; p < 60; ++p) {
    auto on_disk = reader->floor_position(p);
    ASSERT_TRUE(on_disk);
    EXPECT_EQ(*on_disk, index.floor_position(p)) << p;
  }
  for (std::int64_t t = -5; t < 520; t += 3) {
    auto on_disk = reader->floor_time(t);
    ASSERT_TRUE(on_disk);
    EXPECT_EQ(*on_disk, index.floor_time(t)) << t;
  }
}

TEST(IndexFileReader, RefusesAFileOfTheWrongSize) {
  auto index = index_every_100_bytes();
  mem_file_system fs;
  auto f = index_file_of(fs, index);
  ASSERT_TRUE(f);
  const auto count = static_cast<std::uint32_t>(index.entries().size());
  EXPECT_EQ(index_file_reader::open(*f, count + 1).error(), errc::bad_segment_header);
  EXPECT_EQ(index_file_reader::open(*f, count - 1).error(), errc::bad_segment_header);
}

TEST(IndexFileReader, EmptyIndexHasNoFloor) {
  mem_file_system fs;
  auto f = index_file_of(fs, segment_index(100), /*next=*/0, /*trusted_size=*/40,
                         /*max_arrival=*/0);
  ASSERT_TRUE(f);
  auto reader = index_file_reader::open(*f, 0);
  ASSERT_TRUE(reader);
  EXPECT_FALSE(*reader->floor_position(7));
  EXPECT_FALSE(*reader->floor_time(7));
}

TEST(SegmentIndex, ReleaseFreesTheEntries) {
  auto index = index_every_100_bytes();
  index.release();
  EXPECT_TRUE(index.entries().empty());
  EXPECT_EQ(index.entries().capacity(), 0u);
}

}  // namespace
}  // namespace spate::storage
