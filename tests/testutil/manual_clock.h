// manual_clock: a `clock` that moves only when a test says so, for the engine's delayed state
// changes, retention and iterator expiry without sleeping. Thread-safe: the engine's threads
// read it while the test advances it.
#pragma once

#include "common/clock.h"

#include <atomic>
#include <cstdint>

namespace spate::testutil {

class manual_clock final : public clock {
 public:
  // Starts at a fixed, realistic wall time (2026-01-01T00:00:00Z) so timestamps look like AWS's.
  explicit manual_clock(std::int64_t wall_ms = 1'767'225'600'000) : wall_(wall_ms) {}

  std::int64_t wall_ms() const override { return wall_.load(); }
  std::int64_t steady_ms() const override { return steady_.load(); }

  // Moves both clocks forward by `ms`.
  void advance(std::int64_t ms) {
    wall_ += ms;
    steady_ += ms;
  }

 private:
  std::atomic<std::int64_t> wall_;
  std::atomic<std::int64_t> steady_{1'000'000};
};

}  // namespace spate::testutil
