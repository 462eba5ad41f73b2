// write_budget: a shard's write allowance when spated enforces AWS's per-shard write limit
// (1,000 records and 1 MiB per second on AWS; `--shard-write-records` / `--shard-write-bytes`).
//
// A token bucket per limit, refilled continuously at the limit's rate and holding at most one
// second's worth, so a shard absorbs a one-second burst and then the steady rate. A record the
// budget cannot cover is refused (ProvisionedThroughputExceededException for that record) and
// costs nothing. A limit of 0 is no limit; with both at 0 the engine never asks.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace spate::engine {

struct write_limits {
  std::uint64_t records_per_second = 0;
  std::uint64_t bytes_per_second = 0;
  bool enabled() const { return records_per_second != 0 || bytes_per_second != 0; }
};

class write_budget {
 public:
  using clock = std::chrono::steady_clock;

  // Takes one record of `bytes` (data + partition key) from the budget if it has room.
  bool admit(std::size_t bytes, const write_limits& limits, clock::time_point now) {
    std::lock_guard lock(mu_);
    if (!started_) {
      records_ = static_cast<double>(limits.records_per_second);
      bytes_ = static_cast<double>(limits.bytes_per_second);
      last_ = now;
      started_ = true;
    }
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    records_ = refill(records_, limits.records_per_second, elapsed);
    bytes_ = refill(bytes_, limits.bytes_per_second, elapsed);
    const bool records_ok = limits.records_per_second == 0 || records_ >= 1.0;
    const bool bytes_ok = limits.bytes_per_second == 0 || bytes_ >= static_cast<double>(bytes);
    if (!records_ok || !bytes_ok) return false;
    records_ -= 1.0;
    bytes_ -= static_cast<double>(bytes);
    return true;
  }

 private:
  static double refill(double tokens, std::uint64_t rate, double elapsed) {
    const double cap = static_cast<double>(rate);
    const double next = tokens + cap * elapsed;
    return next < cap ? next : cap;
  }

  std::mutex mu_;
  double records_ = 0;
  double bytes_ = 0;
  clock::time_point last_{};
  bool started_ = false;
};

}  // namespace spate::engine
