#include "benchmarks/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <random>

namespace spate::bench {
namespace {

TEST(LatencyHistogram, EveryValueFallsInTheBucketThatCoversIt) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::size_t b = latency_histogram::bucket_of(v);
    ASSERT_LT(b, latency_histogram::bucket_count);
    ASSERT_LE(latency_histogram::bucket_low(b), v);
    if (b + 1 < latency_histogram::bucket_count) {
      ASSERT_GT(latency_histogram::bucket_low(b + 1), v);
    }
  }
  EXPECT_EQ(latency_histogram::bucket_of(0), 0u);
  EXPECT_EQ(latency_histogram::bucket_of(127), 127u);
  EXPECT_EQ(latency_histogram::bucket_of(128), 128u);
  EXPECT_EQ(latency_histogram::bucket_of(~std::uint64_t{0}), latency_histogram::bucket_count - 1);
}

TEST(LatencyHistogram, QuantilesAreWithinOnePercent) {
  latency_histogram h;
  for (std::uint64_t us = 1; us <= 100000; ++us) h.record(us * 1000);
  EXPECT_EQ(h.count(), 100000u);
  EXPECT_EQ(h.max(), 100000000u);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 50e6, 0.5e6);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 99e6, 0.99e6);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.999)), 99.9e6, 0.999e6);
  EXPECT_EQ(h.quantile(1.0), h.max());
}

TEST(LatencyHistogram, MergeAddsCounts) {
  latency_histogram a, b;
  a.record(1000);
  b.record(3000);
  b.record(5000);
  a.merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.max(), 5000u);
  EXPECT_DOUBLE_EQ(a.mean(), 3000.0);
  EXPECT_EQ(a.quantile(0.5), 3000u);
}

TEST(LatencyHistogram, EmptyReportsZero) {
  latency_histogram h;
  EXPECT_EQ(h.quantile(0.99), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

}  // namespace
}  // namespace spate::bench
