#include "storage/segment_name.h"

#include <gtest/gtest.h>

namespace spate::storage {
namespace {

TEST(SegmentName, FormatsAndParsesBothKinds) {
  segment_file_name seg{42, segment_file_kind::segment};
  EXPECT_EQ(seg.format(), "00000000000000000042.seg");
  auto parsed = segment_file_name::parse(seg.format());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->base, 42u);
  EXPECT_EQ(parsed->kind, segment_file_kind::segment);

  segment_file_name idx{UINT64_MAX, segment_file_kind::index};
  EXPECT_EQ(idx.format(), "18446744073709551615.idx");
  parsed = segment_file_name::parse(idx.format());
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->base, UINT64_MAX);
  EXPECT_EQ(parsed->kind, segment_file_kind::index);
}

TEST(SegmentName, LexicalOrderIsPositionOrder) {
  segment_file_name nine{9, segment_file_kind::segment};
  segment_file_name ten{10, segment_file_kind::segment};
  EXPECT_LT(nine.format(), ten.format());
}

TEST(SegmentName, RejectsForeignNames) {
  EXPECT_FALSE(segment_file_name::parse("00000000000000000042.seg.tmp"));
  EXPECT_FALSE(segment_file_name::parse("0000000000000000042.seg"));
  EXPECT_FALSE(segment_file_name::parse("0000000000000000004x.seg"));
  EXPECT_FALSE(segment_file_name::parse("00000000000000000042.log"));
  EXPECT_FALSE(segment_file_name::parse("99999999999999999999.seg"));  // above UINT64_MAX
  EXPECT_FALSE(segment_file_name::parse(""));
}

}  // namespace
}  // namespace spate::storage
