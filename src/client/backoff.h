// backoff: how long to wait before retry number n - exponential with "full jitter" (a uniform
// draw below min(max_delay, base_delay * 2^n)), which spreads competing clients apart.
#pragma once

#include <spate/client/options.h>

#include <algorithm>
#include <chrono>
#include <random>

namespace spate::client::detail {

inline std::chrono::milliseconds backoff_delay(const retry_options& retry, int retry_number) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const auto cap = std::min<std::int64_t>(retry.max_delay.count(),
                                          retry.base_delay.count() << std::min(retry_number, 20));
  std::uniform_int_distribution<std::int64_t> draw(0, std::max<std::int64_t>(cap, 1));
  return std::chrono::milliseconds(draw(rng));
}

}  // namespace spate::client::detail
