// log: Spate's diagnostics, one line each on stderr through spdlog. Expected failures travel
// as values; this is for what an operator should see (startup, shutdown, corruption found,
// I/O failures off the request path, and at debug level one line per request).
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace spate::log {

// Sends the default logger to stderr at `level` ("error", "warn", "info" or "debug"); returns
// false, leaving the level alone, for any other name.
bool init(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

// Lets one log line through per `period` for a condition that may repeat thousands of times a
// second (a full disk, descriptors exhausted): allow() says whether to log now and, if so, how
// many occurrences were held back since the last line. Thread safety: allow() from any thread.
class throttle {
 public:
  explicit throttle(std::chrono::milliseconds period = std::chrono::seconds(1)) : period_(period) {}
  // nullopt: stay quiet; otherwise the number of occurrences suppressed since the last line.
  std::optional<std::uint64_t> allow();

 private:
  const std::chrono::milliseconds period_;
  std::atomic<std::int64_t> next_ns_{0};
  std::atomic<std::uint64_t> suppressed_{0};
};

}  // namespace spate::log
