#include "common/coding.h"

#include <gtest/gtest.h>

namespace spate::coding {
namespace {

TEST(Coding, FixedIntegersAreLittleEndian) {
  char buf[8];
  put_u32(buf, 0x04030201u);
  EXPECT_EQ(buf[0], 1);
  EXPECT_EQ(buf[3], 4);
  EXPECT_EQ(get_u32(buf), 0x04030201u);
  put_u64(buf, 0x8877665544332211ull);
  EXPECT_EQ(static_cast<unsigned char>(buf[7]), 0x88);
  EXPECT_EQ(get_u64(buf), 0x8877665544332211ull);
  put_u16(buf, 0xbeef);
  EXPECT_EQ(get_u16(buf), 0xbeef);
}

TEST(Coding, AppendFixedGrowsString) {
  std::string s;
  append_fixed<std::uint32_t>(s, 7);
  append_fixed<std::uint64_t>(s, 9);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(get_u32(s.data()), 7u);
  EXPECT_EQ(get_u64(s.data() + 4), 9u);
}

}  // namespace
}  // namespace spate::coding
