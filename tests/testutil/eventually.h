// eventually: how a test waits for what other threads or processes do - it polls a predicate
// until it holds or a time limit passes. It owns only the polling; what is awaited, and a limit
// generous enough for a busy machine, are each caller's.
#pragma once

#include <chrono>
#include <thread>

namespace spate::testutil {

// Whether `done` holds within `limit`: checked at once, then every 10 ms, the last time at or
// just after the limit.
template <class Predicate>
bool eventually(Predicate&& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace spate::testutil
