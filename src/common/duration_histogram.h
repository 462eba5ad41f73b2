// duration_histogram: how long something took, counted in the fixed buckets that /metrics
// publishes as a Prometheus histogram (request durations, commit syncs). Recording is a few
// relaxed atomic adds, from any thread; a reader sees each count on its own, not one instant's
// set of them, which is what a scrape of counters gives anyway.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace spate {

class duration_histogram {
 public:
  // Upper bounds of the buckets, in seconds; one more bucket holds everything above the last.
  static constexpr std::array<double, 15> bounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                    0.005,  0.01,    0.025,  0.05,  0.1,
                                                    0.25,   0.5,     1.0,    2.5,   10.0};

  void record(std::chrono::microseconds took) {
    const auto micros = static_cast<std::uint64_t>(std::max<std::int64_t>(0, took.count()));
    const double seconds = static_cast<double>(micros) / 1e6;
    std::size_t bucket = 0;
    while (bucket < bounds.size() && seconds > bounds[bucket]) ++bucket;
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_micros_.fetch_add(micros, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
  }

  // Durations in bucket `i` (not cumulative); i == bounds.size() is the one above the last.
  std::uint64_t in_bucket(std::size_t i) const {
    return buckets_[i].load(std::memory_order_relaxed);
  }
  std::uint64_t sum_micros() const { return sum_micros_.load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets_{};
  std::atomic<std::uint64_t> sum_micros_{0};
  std::atomic<std::uint64_t> count_{0};
};

}  // namespace spate
