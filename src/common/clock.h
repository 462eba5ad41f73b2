// Wall-clock milliseconds since the Unix epoch: the unit of every timestamp Spate stores
// (record arrival times, stream creation times, retention cut-offs).
#pragma once

#include <chrono>
#include <cstdint>

namespace spate {

inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace spate
