// consumer_run: the foreground loop of tail and mirror, with Ctrl-C.
#include "consumer_run.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace spate::cli {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_signal(int) {
  interrupted = true;
}

}  // namespace

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

client::outcome<void> run_consumer(client::consumer& consumer,
                                   const std::function<bool()>& should_stop) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  consumer.start();
  // The consumer's wait() ends on a failure; the watcher ends it on the command's reasons.
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (interrupted || should_stop()) {
        consumer.stop();
        return;
      }
    }
  });
  auto result = consumer.wait();
  finished = true;
  watcher.join();
  consumer.stop();
  return result;
}

}  // namespace spate::cli
