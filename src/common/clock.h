// Time, as Spate reads it: wall-clock milliseconds since the Unix epoch, the unit of every
// timestamp Spate stores (record arrival times, stream creation times, retention cut-offs,
// iterator issue times), and steady milliseconds, for durations.
//
// `clock` is the seam: the engine reads time only through the one it is given, so tests drive
// delayed state changes, retention and iterator expiry with a manual clock
// (tests/testutil/manual_clock.h) instead of sleeping. `system_clock()` is the real one; the
// free functions read it directly for the layers that take no clock.
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

class clock {
 public:
  virtual ~clock() = default;
  virtual std::int64_t wall_ms() const = 0;    // like now_ms()
  virtual std::int64_t steady_ms() const = 0;  // like steady_ms()
};

// The machine's clocks (thread-safe, lives for the whole program).
const clock& system_clock();

}  // namespace spate
