// consumer_run: how a CLI command runs a consumer in the foreground (tail, mirror): until the
// consumer fails (stream deleted, endpoint unreachable, a handler threw), the person presses
// Ctrl-C (SIGINT or SIGTERM), or the command's own reason to stop holds; then it stops the
// consumer, which writes its final checkpoints.
#pragma once

#include <spate/client/consumer.h>

#include <functional>

namespace spate::cli {

// Starts `consumer` and returns its wait() result once it ended. `should_stop` is polled
// every 20 ms on a watcher thread (it may also draw progress).
client::outcome<void> run_consumer(client::consumer& consumer,
                                   const std::function<bool()>& should_stop);

// Milliseconds on a steady clock, for "quiet for this long" checks.
std::int64_t steady_ms();

}  // namespace spate::cli
