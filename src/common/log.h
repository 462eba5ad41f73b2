// log: Spate's diagnostics, one line each on stderr through spdlog. Expected failures travel
// as values; this is for what an operator should see (startup, shutdown, corruption found,
// I/O failures off the request path, and at debug level one line per request).
//
// Thread safety: every function may be called from any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace spate::log {

// Sends the default logger to stderr at `level` ("error", "warn", "info" or "debug"); returns
// false, leaving the level alone, for any other name.
bool init(std::string_view level);

using spdlog::debug;
using spdlog::error;
using spdlog::info;
using spdlog::warn;

}  // namespace spate::log
