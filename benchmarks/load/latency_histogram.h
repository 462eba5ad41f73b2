// latency_histogram: a fixed-size log-linear histogram of durations in nanoseconds, the one
// place spate-bench keeps request latencies.
//
// Values below 128 ns get a bucket each; above, every power of two is cut into 128 equal
// buckets, so a reported quantile is within 0.8% of the true value (HdrHistogram's layout with
// two significant digits). 7,424 counters cover 1 ns to 2^64 ns: recording is a few
// instructions and never allocates, and the histograms of several threads merge by addition.
// Quantiles report the middle of their bucket, clamped to the largest value seen; the 100th
// percentile is that value.
//
// Distinct objects: safe. Shared objects: unsafe (spate-bench keeps one per I/O thread and
// merges them after the threads have joined).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

namespace spate::bench {

class latency_histogram {
 public:
  static constexpr int sub_bits = 7;
  static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
  static constexpr std::size_t bucket_count = (64 - sub_bits + 1) * sub_count;

  latency_histogram() : counts_(bucket_count, 0) {}

  void record(std::uint64_t ns) {
    ++counts_[bucket_of(ns)];
    ++count_;
    sum_ += ns;
    max_ = std::max(max_, ns);
  }

  void merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    max_ = std::max(max_, other.max_);
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }

  // The value below which a fraction q (0 < q <= 1) of the recorded values lie: the middle of
  // the bucket holding the ceil(q * count)-th smallest value, or the largest value for the
  // last one. 0 when nothing was recorded.
  std::uint64_t quantile(double q) const {
    if (count_ == 0) return 0;
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    if (rank >= count_) return max_;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
      seen += counts_[b];
      if (seen >= rank) {
        const std::uint64_t low = bucket_low(b);
        const std::uint64_t width = b + 1 < bucket_count ? bucket_low(b + 1) - low : low;
        return std::min(max_, low + width / 2);
      }
    }
    return max_;
  }

  static std::size_t bucket_of(std::uint64_t ns) {
    if (ns < sub_count) return static_cast<std::size_t>(ns);
    const int shift = (63 - std::countl_zero(ns)) - sub_bits;  // >= 0
    return (static_cast<std::size_t>(shift + 1) << sub_bits) + ((ns >> shift) - sub_count);
  }

  // The smallest value that falls in bucket b.
  static std::uint64_t bucket_low(std::size_t b) {
    if (b < sub_count) return b;
    const std::size_t shift = (b >> sub_bits) - 1;
    return (sub_count + (b & (sub_count - 1))) << shift;
  }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace spate::bench
