// Group commit loop.
#include "storage/group_committer.h"

#include <vector>

namespace spate::storage {

std::optional<fsync_policy> parse_fsync_policy(std::string_view name) {
  if (name == "batch") return fsync_policy::batch;
  if (name == "always") return fsync_policy::always;
  if (name == "never") return fsync_policy::never;
  return std::nullopt;
}

std::string_view to_string(fsync_policy policy) {
  switch (policy) {
    case fsync_policy::batch:
      return "batch";
    case fsync_policy::always:
      return "always";
    case fsync_policy::never:
      return "never";
  }
  return "?";
}

group_committer::group_committer(fsync_policy policy) : policy_(policy) {
  if (policy_ != fsync_policy::never) thread_ = std::thread([this] { run(); });
}

group_committer::~group_committer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void group_committer::request_sync(std::shared_ptr<syncable> target, callback done) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (policy_ == fsync_policy::never) {
    if (done) done({});
    return;
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(target), std::move(done)});
  }
  wake_.notify_one();
}

void group_committer::run() {
  std::vector<request> covered;
  for (;;) {
    std::shared_ptr<syncable> target;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to complete
      target = queue_.front().target;
      if (policy_ == fsync_policy::always) {
        covered.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } else {
        // The oldest request's target next, and every request waiting on it, including those
        // that arrived while other targets synced: each was written before it was queued, so
        // before this sync starts. The others keep their order.
        auto kept = queue_.begin();
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
          if (it->target == target) {
            covered.push_back(std::move(*it));
          } else {
            if (kept != it) *kept = std::move(*it);
            ++kept;
          }
        }
        queue_.erase(kept, queue_.end());
      }
    }
    auto outcome = target->sync();
    syncs_.fetch_add(1, std::memory_order_relaxed);
    const std::error_code ec = outcome ? std::error_code{} : outcome.error();
    for (auto& r : covered) {
      if (r.done) r.done(ec);
    }
    covered.clear();
  }
}

}  // namespace spate::storage
