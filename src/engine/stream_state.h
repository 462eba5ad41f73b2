// stream_state: the engine's in-memory state of one stream and its shards, shared by the
// engine's parts (the registry that maps names to it, the data path that appends and reads,
// the control plane in engine.cc, consumers.cc and stream_settings.cc that changes it, and
// shard_watch.cc's subscriber wake-ups). Not part of the engine's interface.
//
// Locking: a stream's `mu` is its topology lock. Puts and reads take it shared; resharding,
// deletion and consumer changes take it exclusively for the instant they publish a change.
// A shard's `durable_end` is atomic and its listeners have their own mutex, so the commit path
// touches neither lock.
#pragma once

#include "common/assert.h"
#include "engine/shard_metrics.h"
#include "engine/types.h"
#include "engine/write_budget.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

namespace spate::engine {

// The listeners of one shard. Notifying holds the mutex, so once a watch has removed its
// listener (under the same mutex) that listener is never called again.
//
// No wake-up is lost: a committer publishes durable_end and then reads `count`; a new watch
// raises `count` and then its reader reads durable_end. All four are sequentially consistent,
// so at least one side sees the other's write (the reader finds the records, or the committer
// finds the listener).
struct shard_watch::registry {
  std::mutex mu;
  std::vector<shard_listener*> listeners;  // guarded by mu
  std::atomic<std::size_t> count{0};       // listeners.size(), read without the lock
  std::atomic<std::uint64_t> changes{0};   // counts notifications (see shard_watch::changes)

  // `shard` is the index of the shard this registry belongs to, `visible_end` its readable end.
  void notify(metadata::shard_index shard, storage::position visible_end) {
    changes.fetch_add(1, std::memory_order_seq_cst);
    if (count.load(std::memory_order_seq_cst) == 0) return;
    const shard_change change{
        .shard = shard, .visible_end = visible_end, .at = std::chrono::steady_clock::now()};
    std::lock_guard lock(mu);
    for (auto* l : listeners) l->shard_changed(change);
  }
};

struct shard_state {
  metadata::shard_record record;  // ending_position guarded by the stream's mu
  std::string id;
  std::unique_ptr<storage::shard_log> log;
  // One past the last record that reached the fsync policy's commit point. Readers see only
  // records below it, so nothing a power loss could still take away (and whose position could
  // then be handed out again) is ever read. Only grows.
  std::atomic<storage::position> durable_end{0};
  std::shared_ptr<shard_watch::registry> watchers = std::make_shared<shard_watch::registry>();
  write_budget budget;      // used only when the engine enforces per-shard write limits
  shard_counters counters;  // enhanced monitoring's shard-level metrics (shard_metrics.h)
  std::atomic<std::int64_t> last_get_records_ms{0};  // wall clock of the last GetRecords read

  storage::position visible_end() const { return durable_end.load(std::memory_order_seq_cst); }
  // Publishes records up to `end` to readers; true if that moved the end, and the caller then
  // owes the shard's subscribers a `wake_subscribers`.
  bool publish(storage::position end) {
    auto current = durable_end.load(std::memory_order_relaxed);
    while (current < end &&
           !durable_end.compare_exchange_weak(current, end, std::memory_order_seq_cst)) {
    }
    return current < end;
  }
  void wake_subscribers() { watchers->notify(record.index, visible_end()); }
};

struct stream_state {
  mutable std::shared_mutex mu;    // topology lock: shared by puts and reads
  metadata::stream_record record;  // guarded by mu
  std::uint32_t tag = 0;
  std::string dir;
  std::vector<std::shared_ptr<shard_state>> shards;  // by index; guarded by mu
  std::vector<shard_state*> routing;                 // open shards by range start; guarded by mu
  // Registered consumers by name; guarded by mu, changed only under the engine's control mutex.
  std::map<std::string, metadata::consumer_record, std::less<>> consumers;
  // Resource policies by ARN (the stream's, its consumers'); guarded by mu, changed only under
  // the control mutex (control_context.h).
  std::map<std::string, std::string, std::less<>> policies;
  // Deleted while CREATING: it describes with no shards until it is gone, as AWS's does (not
  // persisted: a restart finishes every DELETING stream). Guarded by mu.
  bool deleted_while_creating = false;

  void rebuild_routing() {
    routing.clear();
    for (const auto& s : shards) {
      if (s->record.is_open()) routing.push_back(s.get());
    }
    std::sort(routing.begin(), routing.end(), [](const auto* a, const auto* b) {
      return a->record.range.start < b->record.range.start;
    });
  }

  shard_state* route(uint128 key) const {
    auto it = std::upper_bound(routing.begin(), routing.end(), key,
                               [](uint128 k, const auto* s) { return k < s->record.range.start; });
    SPATE_ASSERT(it != routing.begin(), "open shards do not cover the hash key space");
    return *std::prev(it);
  }

  std::shared_ptr<shard_state> find_shard(metadata::shard_index index) const {
    return index < shards.size() ? shards[index] : nullptr;
  }

  stream_snapshot snapshot() const {
    stream_snapshot snap;
    snap.stream = record;
    snap.tag = tag;
    snap.consumer_count = consumers.size();
    snap.shards_hidden =
        deleted_while_creating || record.status == metadata::stream_status::creating;
    snap.shards.reserve(shards.size());
    for (const auto& s : shards) snap.shards.push_back(s->record);
    return snap;
  }

  // Wakes every subscriber of the stream (its shards changed state or it is going away).
  void notify_all_shards() const {
    for (const auto& s : shards) s->wake_subscribers();
  }
};

}  // namespace spate::engine
