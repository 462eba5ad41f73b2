// group_committer: the commit point of the fsync policies, on one thread of its own.
//
// Appends hand their bytes to the kernel on the caller's thread; acknowledging them waits for
// a commit point that this class provides. Under `batch` (group commit):
// - with a volume_sync (file.h), each round covers every request waiting when it starts. One
//   file: one fdatasync. Several files of the volume: one volume sync (a syncfs) makes them
//   all durable at once, where an fdatasync per file would cost a cache flush and three or
//   four disk requests in a row each (a round of four files costs a third of the CPU this
//   way). If the volume sync fails, which may concern any file of the volume, each file is
//   synced on its own so that only the files the error concerns fail. Files on other volumes
//   are synced one by one;
// - without one, a round is the file of the oldest waiting request, and one fdatasync covers
//   every request waiting on that file, including those that arrived while other files synced.
// Under `always`, every request gets an fdatasync of its own. Under `never`, requests complete
// at once. No caller ever blocks on a sync: completions are callbacks. The committer's thread
// runs as SCHED_BATCH: it wakes several times per sync (once per disk request), and those
// wake-ups no longer preempt an I/O thread in the middle of a request.
//
// Lifecycle: construct, use, destroy; the destructor completes every queued request first.
// Thread safety: request_sync may be called from any thread. Callbacks run on the committer's
// thread (batch, always) or on the requesting thread before request_sync returns (never); they
// must not block. A request_group belongs to the thread that made it, and must end there.
#pragma once

#include "common/duration_histogram.h"
#include "common/result.h"
#include "storage/file.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

namespace spate::storage {

enum class fsync_policy { batch, always, never };

std::optional<fsync_policy> parse_fsync_policy(std::string_view name);
std::string_view to_string(fsync_policy policy);

// Something the committer can make durable (a segment).
class syncable {
 public:
  virtual ~syncable() = default;
  // Makes everything written so far durable on its own (fdatasync).
  virtual result<void> sync() = 0;
  // For a volume sync: the volume it lives on (file::volume), if it has one; what a sync
  // starting now would cover; and, once a volume sync that started after sync_mark() has
  // succeeded, recording that it covered `mark`.
  virtual std::optional<std::uint64_t> volume() const { return std::nullopt; }
  virtual std::uint64_t sync_mark() const { return 0; }
  virtual result<void> covered_by_volume_sync(std::uint64_t /*mark*/) { return sync(); }
};

class group_committer {
 public:
  using callback = std::function<void(std::error_code)>;

 private:
  struct request {
    std::shared_ptr<syncable> target;
    callback done;
    std::size_t round_target = 0;  // its target's index in the round that covers it
  };

 public:
  // With `volume`, a batch round of several files on its volume uses one volume sync.
  explicit group_committer(fsync_policy policy, std::unique_ptr<volume_sync> volume = nullptr);
  ~group_committer();
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  fsync_policy policy() const { return policy_; }

  // Makes everything written to `target` so far durable, then calls `done` with the outcome.
  void request_sync(std::shared_ptr<syncable> target, callback done);

  // While one lives on a thread, that thread's request_sync calls to this committer wait in it
  // and are queued together when it ends, so that a put to several shards reaches the
  // committer in one piece: one round covers all of its files, rather than a round waking for
  // the first file alone and the others waiting for the next. A group made inside another of
  // the same committer on the same thread adds to the outer one.
  class request_group {
   public:
    explicit request_group(group_committer& committer);
    ~request_group();
    request_group(const request_group&) = delete;
    request_group& operator=(const request_group&) = delete;

   private:
    friend class group_committer;
    group_committer& committer_;
    request_group* const outer_;  // the thread's group before this one
    const bool joined_;           // an outer group of this committer collects instead
    std::vector<request> pending_;
  };

  // Counters for benchmarks and metrics.
  std::uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  // Commit rounds: one per fdatasync or volume sync.
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  // Rounds that synced several files through the volume.
  std::uint64_t volume_syncs() const { return volume_syncs_.load(std::memory_order_relaxed); }
  // How long each round's syncs took, together (the commit latency a round adds).
  const duration_histogram& sync_durations() const { return sync_durations_; }
  // Commit rounds (one per request under `never`): requests() / rounds() is the mean number of
  // requests one round made durable, the group-commit batch (1 under `never` and `always`).
  std::uint64_t rounds() const { return policy_ == fsync_policy::never ? requests() : syncs(); }

 private:
  void run();
  // The request group of this thread that collects `committer`'s requests, if any.
  static request_group* collecting_group(const group_committer& committer);
  // Adds requests to the queue and wakes the committer.
  void enqueue(std::vector<request>& requests);
  // Takes the next round's requests off the queue into `covered`; returns their targets.
  std::vector<std::shared_ptr<syncable>> take_round(std::vector<request>& covered);
  // Syncs a round's several `targets`: those on the volume through it when there are two or
  // more, the others one by one. Returns the outcome of each.
  std::vector<std::error_code> sync_through_volume(
      const std::vector<std::shared_ptr<syncable>>& targets);

  const fsync_policy policy_;
  const std::unique_ptr<volume_sync> volume_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<request> queue_;  // guarded by mu_
  std::unordered_map<const syncable*, std::size_t> target_index_;  // guarded by mu_; scratch
  bool stopping_ = false;      // guarded by mu_
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> volume_syncs_{0};
  duration_histogram sync_durations_;
  std::thread thread_;  // last member: starts after the others are constructed
};

}  // namespace spate::storage
