// Wall-clock milliseconds since the Unix epoch: the unit of every timestamp Spate stores
// (record arrival times, stream creation times, retention cut-offs); and steady milliseconds
// for durations.
#pragma once

#include <chrono>
#include <cstdint>

namespace spate {

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Milliseconds of a clock that never jumps (not the wall clock): for measuring how long
// something has lasted, which a wall-clock step or slew must not shorten.
inline std::int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace spate
