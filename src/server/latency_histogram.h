// latency_histogram: request latencies of one action family over the current second, for the
// dashboard's percentile graphs. Buckets are logarithmic, four to each power of two from 1 µs
// up to about 16 s, so a percentile read from them is within 19% of the true value; recording
// is one relaxed fetch_add. The statistics sampler drains the histogram once a second
// (drain() swaps every bucket with zero) and reads its percentiles.
//
// Thread safety: record() and drain() may be called from any thread; a request recorded while
// a drain runs lands in this second or the next, never nowhere.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>

namespace spate::server {

class latency_histogram {
 public:
  static constexpr std::size_t steps_per_doubling = 4;
  static constexpr std::size_t bucket_count = 24 * steps_per_doubling + 1;  // 1 µs .. 2^24 µs, over
  using counts = std::array<std::uint32_t, bucket_count>;

  void record(std::int64_t micros) {
    buckets_[bucket(micros)].fetch_add(1, std::memory_order_relaxed);
  }

  counts drain() {
    counts out{};
    for (std::size_t i = 0; i < bucket_count; ++i) {
      out[i] = buckets_[i].exchange(0, std::memory_order_relaxed);
    }
    return out;
  }

  // The bucket of a latency: bucket b holds latencies up to upper_bound_micros(b).
  static std::size_t bucket(std::int64_t micros) {
    if (micros <= 1) return 0;
    const auto v = static_cast<std::uint64_t>(micros);
    const unsigned doubling = std::bit_width(v - 1) - 1;  // 2^doubling < v <= 2^(doubling+1)
    // Which quarter of (2^doubling, 2^(doubling+1)] v falls in: the smallest q with
    // v <= low + low * (q + 1) / 4.
    const std::uint64_t low = std::uint64_t{1} << doubling;
    const std::uint64_t quarter = ((v - low) * steps_per_doubling + low - 1) / low - 1;
    const std::size_t b = 1 + doubling * steps_per_doubling +
                          static_cast<std::size_t>(std::min<std::uint64_t>(quarter, 3));
    return std::min(b, bucket_count - 1);
  }
  static double upper_bound_micros(std::size_t b) {
    if (b == 0) return 1.0;
    const std::size_t doubling = (b - 1) / steps_per_doubling;
    const std::size_t quarter = (b - 1) % steps_per_doubling;
    const double low = std::ldexp(1.0, static_cast<int>(doubling));
    return low + low * static_cast<double>(quarter + 1) / steps_per_doubling;
  }

  // The latency below which `fraction` (0.5, 0.99) of the drained requests fell, in
  // milliseconds; negative when there were none.
  static double percentile_ms(const counts& c, double fraction) {
    std::uint64_t total = 0;
    for (auto n : c) total += n;
    if (total == 0) return -1;
    const auto rank = static_cast<std::uint64_t>(std::ceil(fraction * static_cast<double>(total)));
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < bucket_count; ++b) {
      seen += c[b];
      if (seen >= rank) return upper_bound_micros(b) / 1000.0;
    }
    return upper_bound_micros(bucket_count - 1) / 1000.0;
  }

 private:
  std::array<std::atomic<std::uint32_t>, bucket_count> buckets_{};
};

}  // namespace spate::server
