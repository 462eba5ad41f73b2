// push_waker: the shard_listener a push source registers with the engine; it forwards wake-ups
// to the waker the server installs, remembering one that arrives before the server has. It
// also keeps, for each shard the source listens to, the time of the first wake-up of that
// shard the source has not yet answered with a pull; the source puts it on the message that
// takes the shard's new records (take_wakes, answered, pushed_message::woken_at).
#pragma once

#include "api/push_source.h"
#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace spate::api {

class push_waker final : public engine::shard_listener {
 public:
  using clock = std::chrono::steady_clock;
  // Wake-ups not answered yet: a shard and when it first changed since its last answer. At most
  // one entry per shard the source listens to.
  using waits = std::vector<std::pair<metadata::shard_index, clock::time_point>>;

  void shard_changed(metadata::shard_index shard, clock::time_point changed_at) noexcept override {
    std::lock_guard lock(mu_);
    // The first wake-up of a shard since its last answer keeps its time: the records it
    // announced have waited since then, whatever wake-ups follow.
    wait_since(shard, changed_at);
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

  // Takes every wake-up not answered yet into `taken` (emptied first). The source calls it as a
  // pull begins, which then sees every change up to those times; a pull that finds nothing new
  // drops what it took (the wake-ups announced nothing it had not read). `taken` is swapped with
  // the waker's own list, so a source that keeps it between pulls allocates nothing once both
  // lists have room for its shards (reserve()).
  void take_wakes(waits& taken) {
    taken.clear();
    std::lock_guard lock(mu_);
    std::swap(taken, waiting_);
  }

  // Room in the waker's list for `shards` shards, so that a wake-up does not allocate.
  void reserve(std::size_t shards) {
    std::lock_guard lock(mu_);
    waiting_.reserve(shards);
  }

  // The pull that took `taken` made a page of `shard`'s records, put in `out`. If the page
  // reached the shard's committed end it holds the records the shard's wake-up announced, and
  // that wake-up's time goes on `out`; a page short of the end holds older ones (a subscriber
  // catching up), and the wait goes on. A page without records (the end of a closed shard;
  // `out` null) answers the shard's wake-up with nothing to time. Another shard's wake-up waits
  // on, from the earlier of its time and any wake-up since, if `may_have_news(that shard)` says
  // the reader has yet to read what it announced; otherwise the reader found that shard empty
  // since (its records went out in an earlier pull) and the wake-up is dropped.
  template <class MayHaveNews>
  void answered(waits& taken, metadata::shard_index shard, bool reached_end, pushed_message* out,
                const MayHaveNews& may_have_news) {
    std::lock_guard lock(mu_);
    for (const auto& [waiting, since] : taken) {
      if (waiting != shard) {
        if (may_have_news(waiting)) wait_since(waiting, since);
      } else if (out && reached_end) {
        out->woken_at = since;
      } else if (out) {
        wait_since(waiting, since);
      }
    }
    taken.clear();
  }

 private:
  // Keeps the earlier of `since` and the time already kept for `shard`. The list only grows to
  // the number of shards listened to; should that growth fail, the time is not kept (it only
  // feeds a metric) and the wake-up itself still goes out.
  void wait_since(metadata::shard_index shard, clock::time_point since) noexcept {
    for (auto& [waiting, kept] : waiting_) {
      if (waiting == shard) {
        kept = std::min(kept, since);
        return;
      }
    }
    try {
      waiting_.emplace_back(shard, since);
    } catch (...) {
    }
  }

  std::mutex mu_;
  std::function<void()> wake_;  // guarded by mu_
  bool pending_ = false;        // guarded by mu_
  waits waiting_;               // guarded by mu_
};

}  // namespace spate::api
