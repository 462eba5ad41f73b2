#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace spate::crc32c {
namespace {

// Vectors from RFC 3720, appendix B.4.
TEST(Crc32c, MatchesRfc3720Vectors) {
  std::string buf(32, '\0');
  EXPECT_EQ(value(buf), 0x8a9136aau);
  buf.assign(32, '\xff');
  EXPECT_EQ(value(buf), 0x62a8ab43u);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(value(buf), 0x46dd794eu);
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(value(buf), 0x113fdb5cu);
  EXPECT_EQ(value("123456789"), 0xe3069283u);
}

TEST(Crc32c, ExtendEqualsWholeValue) {
  std::string data = "hello world, this spans more than eight bytes";
  for (std::size_t split = 0; split <= data.size(); ++split) {
    auto first = value(data.data(), split);
    EXPECT_EQ(extend(first, data.data() + split, data.size() - split), value(data)) << split;
  }
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  std::uint32_t crc = value("foo");
  EXPECT_NE(mask(crc), crc);
  EXPECT_NE(mask(mask(crc)), crc);
  EXPECT_EQ(unmask(mask(crc)), crc);
  EXPECT_EQ(unmask(unmask(mask(mask(crc)))), crc);
}

}  // namespace
}  // namespace spate::crc32c
