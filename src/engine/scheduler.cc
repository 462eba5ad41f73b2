// The maintenance thread and its queue of delayed tasks.
#include "engine/scheduler.h"

#include "common/thread_name.h"

#include <algorithm>
#include <chrono>

namespace spate::engine {

scheduler::scheduler(const clock& clock, std::int64_t period_ms,
                     std::function<void(std::int64_t now_ms)> periodic)
    : clock_(clock),
      period_ms_(period_ms),
      periodic_(std::move(periodic)),
      next_periodic_ms_(clock.wall_ms() + period_ms) {}

scheduler::~scheduler() {
  stop();
}

void scheduler::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] {
    name_this_thread("spate-maint");
    loop();
  });
}

void scheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void scheduler::schedule(std::int64_t delay_ms, std::function<void()> run) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back({clock_.wall_ms() + delay_ms, std::move(run)});
  }
  wake_.notify_all();
}

std::size_t scheduler::pending() const {
  std::lock_guard lock(mu_);
  return tasks_.size();
}

void scheduler::run_due() {
  std::lock_guard running(run_mu_);
  const std::int64_t now = clock_.wall_ms();
  std::vector<task> due;
  {
    std::lock_guard lock(mu_);
    auto split = std::stable_partition(tasks_.begin(), tasks_.end(),
                                       [&](const task& t) { return t.due_ms > now; });
    due.assign(std::make_move_iterator(split), std::make_move_iterator(tasks_.end()));
    tasks_.erase(split, tasks_.end());
  }
  std::stable_sort(due.begin(), due.end(),
                   [](const task& a, const task& b) { return a.due_ms < b.due_ms; });
  for (auto& t : due) t.run();
  if (now >= next_periodic_ms_) {
    periodic_(now);
    next_periodic_ms_ = now + period_ms_;
  }
}

void scheduler::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    std::int64_t wake = clock_.wall_ms() + max_sleep_ms;
    for (const auto& t : tasks_) wake = std::min(wake, t.due_ms);
    wake = std::min(wake, next_periodic_ms_.load());
    const std::int64_t sleep = std::max<std::int64_t>(1, wake - clock_.wall_ms());
    wake_.wait_for(lock, std::chrono::milliseconds(sleep));
    if (stopping_) break;
    lock.unlock();
    run_due();
    lock.lock();
  }
}

}  // namespace spate::engine
