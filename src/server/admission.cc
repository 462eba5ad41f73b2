// admission: slots, the CoDel judgement and adaptive LIFO.
#include "server/admission.h"

#include <utility>
#include <vector>

namespace spate::server {

void admission::submit(session_executor executor, std::function<void(ticket)> admitted,
                       std::function<void()> shed) {
  const auto now = clock::now();
  std::unique_lock lock(mu_);
  if (active_ < options_.max_active && queue_.empty()) {
    ++active_;
    ++admitted_;
    observe(clock::duration::zero(), now);
    lock.unlock();
    return admitted(ticket(this));
  }
  if (queue_.size() >= options_.max_queue) {
    ++shed_;
    lock.unlock();
    net::post(executor, std::move(shed));
    return;
  }
  queue_.push_back({executor, std::move(admitted), std::move(shed), now});
  if (sweep_timer_ && !sweep_armed_) {
    sweep_armed_ = true;
    net::post(sweep_timer_->get_executor(), [this] { arm_sweep(); });
  }
}

void admission::take_expired(clock::time_point now, std::vector<waiter>& out) {
  const auto allowed = overloaded_ ? options_.overload_wait : options_.max_wait;
  // The oldest waiters are the ones past their time; they leave from the front.
  while (!queue_.empty() && now - queue_.front().since > allowed) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
    ++shed_;
  }
}

void admission::arm_sweep() {
  clock::time_point deadline;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) {
      sweep_armed_ = false;
      return;
    }
    const auto allowed = overloaded_ ? options_.overload_wait : options_.max_wait;
    deadline = queue_.front().since + allowed + std::chrono::milliseconds(1);
  }
  sweep_timer_->expires_at(deadline);
  sweep_timer_->async_wait([this](beast::error_code ec) {
    if (ec) return;
    std::vector<waiter> expired;
    {
      std::lock_guard lock(mu_);
      take_expired(clock::now(), expired);
    }
    for (auto& w : expired) net::post(w.executor, std::move(w.shed));
    arm_sweep();
  });
}

void admission::release() {
  std::vector<waiter> refused;
  {
    std::lock_guard lock(mu_);
    --active_;
    while (active_ < options_.max_active && !queue_.empty()) {
      const auto now = clock::now();
      take_expired(now, refused);
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
      // The judgement looks at the oldest waiter, not the one served: served newest first, a
      // standing queue would otherwise look empty.
      observe(queue_.empty() ? now - next.since : now - queue_.front().since, now);
      ++active_;
      ++admitted_;
      net::post(next.executor,
                [this, admitted = std::move(next.admitted)]() mutable { admitted(ticket(this)); });
    }
  }
  for (auto& w : refused) net::post(w.executor, std::move(w.shed));
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
