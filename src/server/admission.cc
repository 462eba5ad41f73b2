// admission: slots, the CoDel judgement and adaptive LIFO.
#include "server/admission.h"

#include <utility>
#include <vector>

namespace spate::server {

void admission::submit(session_executor executor, std::function<void()> work,
                       std::function<void()> refuse) {
  const auto now = clock::now();
  std::unique_lock lock(mu_);
  if (active_ < options_.max_active && queue_.empty()) {
    ++active_;
    ++admitted_;
    observe(clock::duration::zero(), now);
    lock.unlock();
    return run(std::move(work));
  }
  if (queue_.size() >= options_.max_queue) {
    ++shed_;
    lock.unlock();
    net::post(executor, std::move(refuse));
    return;
  }
  queue_.push_back({executor, std::move(work), std::move(refuse), now});
}

void admission::run(std::function<void()> work) {
  work();
  release();
}

void admission::release() {
  std::vector<waiter> refused;
  {
    std::lock_guard lock(mu_);
    --active_;
    while (active_ < options_.max_active && !queue_.empty()) {
      const auto now = clock::now();
      const auto allowed = overloaded_ ? options_.overload_wait : options_.max_wait;
      // The oldest waiters are the ones past their time; they leave from the front.
      while (!queue_.empty() && now - queue_.front().since > allowed) {
        refused.push_back(std::move(queue_.front()));
        queue_.pop_front();
        ++shed_;
      }
      if (queue_.empty()) break;
      auto take = [this] {
        auto& end = overloaded_ ? queue_.back() : queue_.front();
        waiter w = std::move(end);
        if (overloaded_) {
          queue_.pop_back();
        } else {
          queue_.pop_front();
        }
        return w;
      };
      waiter next = take();
      observe(now - next.since, now);
      ++active_;
      ++admitted_;
      net::post(next.executor,
                [this, work = std::move(next.work)]() mutable { run(std::move(work)); });
    }
  }
  for (auto& w : refused) net::post(w.executor, std::move(w.refuse));
}

void admission::observe(clock::duration sojourn, clock::time_point now) {
  last_sojourn_ = sojourn;
  if (window_end_ == clock::time_point{}) window_end_ = now + options_.interval;
  if (sojourn < window_min_) window_min_ = sojourn;
  if (now >= window_end_) {
    overloaded_ = window_min_ > options_.target;
    window_min_ = clock::duration::max();
    window_end_ = now + options_.interval;
  }
}

admission::snapshot admission::stats() const {
  std::lock_guard lock(mu_);
  return {
      active_,     queue_.size(),
      overloaded_, admitted_,
      shed_,       std::chrono::duration_cast<std::chrono::microseconds>(last_sojourn_).count()};
}

}  // namespace spate::server
