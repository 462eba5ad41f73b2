#include "common/uint128.h"

#include <gtest/gtest.h>

namespace spate {
namespace {

TEST(Uint128, DecimalRoundTripsAtTheEdges) {
  EXPECT_EQ(to_decimal(0), "0");
  EXPECT_EQ(to_decimal(uint128_max), "340282366920938463463374607431768211455");
  EXPECT_EQ(parse_uint128("340282366920938463463374607431768211455"), uint128_max);
  EXPECT_EQ(parse_uint128("0"), uint128{0});
  EXPECT_EQ(parse_uint128("007"), uint128{7});
  uint128 big = (static_cast<uint128>(0x0123456789abcdefull) << 64) | 0xfedcba9876543210ull;
  EXPECT_EQ(parse_uint128(to_decimal(big)), big);
}

TEST(Uint128, RejectsNonDecimalAndOverflow) {
  EXPECT_FALSE(parse_uint128(""));
  EXPECT_FALSE(parse_uint128("-1"));
  EXPECT_FALSE(parse_uint128("12a"));
  EXPECT_FALSE(parse_uint128(" 1"));
  EXPECT_FALSE(parse_uint128("340282366920938463463374607431768211456"));   // 2^128
  EXPECT_FALSE(parse_uint128("1000000000000000000000000000000000000000"));  // 40 digits
}

TEST(Uint128, BigEndianBytesRoundTrip) {
  uint128 v = (static_cast<uint128>(0x0102030405060708ull) << 64) | 0x090a0b0c0d0e0f10ull;
  auto bytes = to_big_endian(v);
  EXPECT_EQ(bytes[0], 0x01);
  EXPECT_EQ(bytes[15], 0x10);
  EXPECT_EQ(from_big_endian(bytes.data()), v);
}

}  // namespace
}  // namespace spate
