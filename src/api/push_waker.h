// push_waker: the shard_listener a push source registers with the engine; it forwards wake-ups
// to the waker the server installs, remembering one that arrives before the server has. It
// also keeps, for each shard the source listens to, the wake-ups the source has not answered
// yet: when the first of them came and how far they announced the shard's records. The source
// puts that time on the message that takes the announced records (take_wakes, answered,
// pushed_message::woken_at).
#pragma once

#include "api/push_source.h"
#include "api/shared_batches.h"
#include "engine/engine.h"
#include "engine/stream_reader.h"

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
  // The wake-ups of one shard not answered yet: when the first came, and the highest readable
  // end they announced (the records below it are the ones waiting).
  struct wait {
    metadata::shard_index shard = 0;
    storage::position end = 0;
    clock::time_point since;
    friend bool operator==(const wait&, const wait&) = default;
  };
  // At most one entry per shard the source listens to.
  using waits = std::vector<wait>;

  void shard_changed(const engine::shard_change& change) noexcept override {
    std::lock_guard lock(mu_);
    // The first wake-up of a shard since its last answer keeps its time: the records it
    // announced have waited since then, whatever wake-ups follow.
    wait_on({.shard = change.shard, .end = change.visible_end, .since = change.at});
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

  // A page a pull made: its shard, where its records start and where its reader goes on after
  // it ([first, next)), and its message; null for a page without records (the end of a closed
  // shard).
  struct page {
    metadata::shard_index shard = 0;
    storage::position first = 0;
    storage::position next = 0;
    pushed_message* message = nullptr;

    // A page another subscriber read from `at` (shared_batches), its records in `out`.
    static page of(const engine::stream_reader::read_start& at, const shared_batches::batch& b,
                   pushed_message& out) {
      return {.shard = at.shard,
              .first = at.from,
              .next = b.next,
              .message = b.record_count ? &out : nullptr};
    }
    // A page the reader returned, its records (if any) in `out`.
    static page of(const engine::records_page& p, pushed_message& out) {
      const bool empty = p.batch.records.empty();
      return {.shard = p.shard,
              .first = empty ? p.batch.next : p.batch.records.front().pos,
              .next = p.batch.next,
              .message = empty ? nullptr : &out};
    }
  };

  // Answers the wake-ups a pull took (`taken`) with the page it made. Each wake-up is then:
  // - answered with its time, put on the page's message, if the page holds the last record it
  //   announced (first < end <= next);
  // - answered without one if the reader is past its end or no longer reads its shard
  //   (`reader.reading_at(shard)`, as stream_reader::reading_at): the records it announced
  //   went out before it came (untimed), or there were none;
  // - kept otherwise, from the earlier of its time and any wake-up since: the reader has yet
  //   to read up to its end (a subscriber catching up, or another shard's turn).
  template <class Reader>
  void answered(waits& taken, const page& made, const Reader& reader) {
    std::lock_guard lock(mu_);
    for (const auto& w : taken) {
      if (w.shard == made.shard && made.message && made.first < w.end && w.end <= made.next) {
        made.message->woken_at = w.since;
        continue;
      }
      const std::optional<storage::position> at = reader.reading_at(w.shard);
      if (at && *at < w.end) wait_on(w);
    }
    taken.clear();
  }

 private:
  // Merges `w` into the shard's entry: the earlier time, the higher end. The list only grows to
  // the number of shards listened to; should that growth fail, the wake-up is not kept (it only
  // feeds a metric) and goes out all the same.
  void wait_on(const wait& w) noexcept {
    for (auto& kept : waiting_) {
      if (kept.shard == w.shard) {
        kept.since = std::min(kept.since, w.since);
        kept.end = std::max(kept.end, w.end);
        return;
      }
    }
    try {
      waiting_.push_back(w);
    } catch (...) {
    }
  }

  std::mutex mu_;
  std::function<void()> wake_;  // guarded by mu_
  bool pending_ = false;        // guarded by mu_
  waits waiting_;               // guarded by mu_
};

}  // namespace spate::api
