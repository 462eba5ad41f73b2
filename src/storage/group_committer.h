// group_committer: the commit point of the fsync policies, on one thread of its own.
//
// Appends hand their bytes to the kernel on the caller's thread; acknowledging them waits for
// a commit point that this class provides. Under `batch`, files are synced one at a time, the
// file of the oldest waiting request first, and one fdatasync covers every request waiting on
// that file when it starts, including those that arrived while other files synced (group
// commit). Under `always`, every request gets an fdatasync of its own. Under `never`, requests
// complete at once. No caller ever blocks on a sync: completions are callbacks.
//
// Lifecycle: construct, use, destroy; the destructor completes every queued request first.
// Thread safety: request_sync may be called from any thread. Callbacks run on the committer's
// thread (batch, always) or on the requesting thread before request_sync returns (never); they
// must not block.
#pragma once

#include "common/result.h"

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

namespace spate::storage {

enum class fsync_policy { batch, always, never };

std::optional<fsync_policy> parse_fsync_policy(std::string_view name);
std::string_view to_string(fsync_policy policy);

// Something the committer can make durable (a segment).
class syncable {
 public:
  virtual ~syncable() = default;
  virtual result<void> sync() = 0;
};

class group_committer {
 public:
  using callback = std::function<void(std::error_code)>;

  explicit group_committer(fsync_policy policy);
  ~group_committer();
  group_committer(const group_committer&) = delete;
  group_committer& operator=(const group_committer&) = delete;

  fsync_policy policy() const { return policy_; }

  // Makes everything written to `target` so far durable, then calls `done` with the outcome.
  void request_sync(std::shared_ptr<syncable> target, callback done);

  // Counters for benchmarks and metrics.
  std::uint64_t requests() const { return requests_.load(std::memory_order_relaxed); }
  std::uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  // Commit rounds, one per sync (one per request under `never`): requests() / rounds() is the
  // mean number of requests one sync made durable, the group-commit batch (1 under `never` and
  // `always`).
  std::uint64_t rounds() const { return policy_ == fsync_policy::never ? requests() : syncs(); }

 private:
  struct request {
    std::shared_ptr<syncable> target;
    callback done;
  };
  void run();

  const fsync_policy policy_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<request> queue_;  // guarded by mu_
  bool stopping_ = false;      // guarded by mu_
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::thread thread_;  // last member: starts after the others are constructed
};

}  // namespace spate::storage
