// push_waker: the shard_listener a push source registers with the engine; it forwards wake-ups
// to the waker the server installs, remembering one that arrives before the server has. It
// also keeps the time of the first wake-up the source has not yet answered with a pull, which
// the source puts on the message that takes the new records (stamp,
// pushed_message::woken_at).
#pragma once

#include "api/push_source.h"
#include "engine/engine.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace spate::api {

class push_waker final : public engine::shard_listener {
 public:
  using clock = std::chrono::steady_clock;

  void shard_changed(clock::time_point changed_at) noexcept override {
    // The first wake-up since the last take_wake() keeps its time: the records it announced
    // have waited since then, whatever wake-ups follow.
    std::int64_t none = 0;
    woken_at_.compare_exchange_strong(none, changed_at.time_since_epoch().count(),
                                      std::memory_order_relaxed);
    std::lock_guard lock(mu_);
    if (wake_) {
      wake_();
    } else {
      pending_ = true;
    }
  }

  void set(std::function<void()> wake) {
    std::lock_guard lock(mu_);
    wake_ = std::move(wake);
    if (pending_ && wake_) wake_();
    pending_ = false;
  }

  // When the shard first changed since the previous call, if it has; the source calls it as a
  // pull begins, which then sees every change up to that time.
  std::optional<clock::time_point> take_wake() {
    const std::int64_t at = woken_at_.exchange(0, std::memory_order_relaxed);
    if (at == 0) return std::nullopt;
    return clock::time_point(clock::duration(at));
  }

  // Puts the wake-up a pull took (if any) on the message of new records it made, if the page
  // reached the shard's committed end and so holds the records the wake-up announced; a page
  // short of the end holds older ones (a subscriber catching up), and the wait goes on.
  void stamp(std::optional<clock::time_point> woken, bool reached_end, pushed_message& out) {
    if (!woken) return;
    if (reached_end) {
      out.woken_at = woken;
    } else {
      keep_waiting_since(*woken);
    }
  }

  // Gives back a taken wake-up whose records the pull did not reach (it read older ones): the
  // wait goes on from the earlier of that time and any wake-up since.
  void keep_waiting_since(clock::time_point woken) {
    const std::int64_t at = woken.time_since_epoch().count();
    std::int64_t current = woken_at_.load(std::memory_order_relaxed);
    while ((current == 0 || current > at) &&
           !woken_at_.compare_exchange_weak(current, at, std::memory_order_relaxed)) {
    }
  }

 private:
  std::mutex mu_;
  std::function<void()> wake_;             // guarded by mu_
  bool pending_ = false;                   // guarded by mu_
  std::atomic<std::int64_t> woken_at_{0};  // clock ticks; 0: no wake-up since the last take
};

}  // namespace spate::api
