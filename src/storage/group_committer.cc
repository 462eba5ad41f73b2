// Group commit loop: takes each round's requests, syncs their files (one at a time, or all at
// once through the volume), and completes the requests with their files' outcomes.
#include "storage/group_committer.h"

#include "common/thread_name.h"

#include <sched.h>

#include <chrono>

namespace spate::storage {
namespace {

// The innermost request group on this thread (group_committer::request_group), if any.
thread_local group_committer::request_group* current_group = nullptr;

std::error_code error_of(const result<void>& outcome) {
  return outcome ? std::error_code{} : outcome.error();
}

}  // namespace

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

group_committer::group_committer(fsync_policy policy, std::unique_ptr<volume_sync> volume)
    : policy_(policy), volume_(policy == fsync_policy::batch ? std::move(volume) : nullptr) {
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
  if (auto* group = collecting_group(*this)) {
    group->pending_.push_back({std::move(target), std::move(done)});
    return;
  }
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(target), std::move(done)});
  }
  wake_.notify_one();
}

void group_committer::enqueue(std::vector<request>& requests) {
  if (requests.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (auto& r : requests) queue_.push_back(std::move(r));
  }
  requests.clear();
  wake_.notify_one();
}

group_committer::request_group* group_committer::collecting_group(
    const group_committer& committer) {
  for (auto* group = current_group; group; group = group->outer_) {
    if (&group->committer_ == &committer) return group;
  }
  return nullptr;
}

group_committer::request_group::request_group(group_committer& committer)
    : committer_(committer),
      outer_(current_group),
      joined_(collecting_group(committer) != nullptr) {
  if (!joined_) current_group = this;
}

group_committer::request_group::~request_group() {
  if (joined_) return;
  current_group = outer_;
  committer_.enqueue(pending_);
}

std::vector<std::shared_ptr<syncable>> group_committer::take_round(std::vector<request>& covered) {
  std::vector<std::shared_ptr<syncable>> targets;
  if (policy_ == fsync_policy::always) {
    targets.push_back(queue_.front().target);
    covered.push_back(std::move(queue_.front()));
    queue_.pop_front();
    return targets;
  }
  if (volume_) {
    // Every waiting request: each was written before it was queued, so before this round.
    target_index_.clear();
    for (auto& r : queue_) {
      auto [at, added] = target_index_.try_emplace(r.target.get(), targets.size());
      if (added) targets.push_back(r.target);
      r.round_target = at->second;
      covered.push_back(std::move(r));
    }
    queue_.clear();
    return targets;
  }
  // The oldest request's target, and every request waiting on it, including those that arrived
  // while other targets synced. The others keep their order.
  targets.push_back(queue_.front().target);
  auto kept = queue_.begin();
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->target == targets.front()) {
      covered.push_back(std::move(*it));
    } else {
      if (kept != it) *kept = std::move(*it);
      ++kept;
    }
  }
  queue_.erase(kept, queue_.end());
  return targets;
}

std::vector<std::error_code> group_committer::sync_through_volume(
    const std::vector<std::shared_ptr<syncable>>& targets) {
  std::vector<std::error_code> outcome(targets.size());
  std::vector<std::size_t> on_volume;  // indexes into targets
  std::vector<std::size_t> alone;      // synced one by one
  for (std::size_t i = 0; i < targets.size(); ++i) {
    (targets[i]->volume() == volume_->volume() ? on_volume : alone).push_back(i);
  }
  if (on_volume.size() < 2) {
    alone.insert(alone.end(), on_volume.begin(), on_volume.end());
    on_volume.clear();
  }
  if (!on_volume.empty()) {
    std::vector<std::uint64_t> marks;
    marks.reserve(on_volume.size());
    for (auto i : on_volume) marks.push_back(targets[i]->sync_mark());
    if (volume_->sync()) {
      volume_syncs_.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t k = 0; k < on_volume.size(); ++k) {
        outcome[on_volume[k]] = error_of(targets[on_volume[k]]->covered_by_volume_sync(marks[k]));
      }
    } else {
      // An error somewhere on the volume: each file learns its own.
      alone.insert(alone.end(), on_volume.begin(), on_volume.end());
    }
  }
  for (auto i : alone) outcome[i] = error_of(targets[i]->sync());
  return outcome;
}

void group_committer::run() {
  name_this_thread("spate-commit");
  // See the header: the committer's wake-ups wait for an I/O thread to block rather than
  // preempting it. If the scheduler refuses, only scheduling changes.
  sched_param normal{};
  (void)::sched_setscheduler(0, SCHED_BATCH, &normal);

  std::vector<request> covered;
  std::vector<std::error_code> outcome;
  for (;;) {
    std::vector<std::shared_ptr<syncable>> targets;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to complete
      targets = take_round(covered);
    }
    const auto started = std::chrono::steady_clock::now();
    if (targets.size() == 1) {
      outcome.assign(1, error_of(targets.front()->sync()));
    } else {
      outcome = sync_through_volume(targets);
    }
    sync_durations_.record(std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started));
    syncs_.fetch_add(1, std::memory_order_relaxed);
    for (auto& r : covered) {
      if (r.done) r.done(outcome[r.round_target]);
    }
    covered.clear();
  }
}

}  // namespace spate::storage
