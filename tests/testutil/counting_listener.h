// counting_listener: a shard_listener that counts its wake-ups, for tests of the readers behind
// SubscribeToShard and the WebSocket feed. A put's wake-ups come after it is acknowledged, so
// a test that reads right after a put waits for them first.
#pragma once

#include "engine/types.h"

#include <atomic>
#include <chrono>

namespace spate::testutil {

struct counting_listener final : engine::shard_listener {
  std::atomic<int> calls{0};
  void shard_changed(const engine::shard_change&) noexcept override { calls.fetch_add(1); }
};

}  // namespace spate::testutil
