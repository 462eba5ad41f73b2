// scheduler: the engine's delayed work, done on one maintenance thread it owns - the state
// changes that come a while after the request (CREATING -> ACTIVE, DELETING -> gone,
// UPDATING -> ACTIVE, consumer CREATING/DELETING) and one periodic job (retention).
//
// Time is the clock it is given: the thread sleeps until the earliest due time by that clock
// (re-checking at least every `max_sleep_ms`), and `run_due()` runs what is due now. Tests
// with a manual clock advance it and call run_due() themselves instead of sleeping.
//
// Owned by the engine. Threads: schedule() from any thread, also from a running task; tasks
// and the periodic job run on the maintenance thread, or on the thread calling run_due(), one
// run_due() at a time, never with the scheduler's own lock held.
#pragma once

#include "common/clock.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace spate::engine {

class scheduler {
 public:
  // `periodic` runs every `period_ms` with the clock's wall time.
  scheduler(const clock& clock, std::int64_t period_ms,
            std::function<void(std::int64_t now_ms)> periodic);
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  void start();  // starts the maintenance thread
  // Stops the thread; tasks not yet due are dropped (their state changes are completed by the
  // next start's load, as after a crash). Idempotent.
  void stop();

  // Runs `task` once `delay_ms` of the clock's wall time have passed.
  void schedule(std::int64_t delay_ms, std::function<void()> task);
  // Runs every task due by the clock's wall time now, in due order, then the periodic job if
  // its period has passed.
  void run_due();
  std::size_t pending() const;

 private:
  struct task {
    std::int64_t due_ms;
    std::function<void()> run;
  };
  void loop();

  static constexpr std::int64_t max_sleep_ms = 1000;

  const clock& clock_;
  const std::int64_t period_ms_;
  const std::function<void(std::int64_t)> periodic_;

  std::mutex run_mu_;                           // one run_due() at a time
  std::atomic<std::int64_t> next_periodic_ms_;  // written under run_mu_

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<task> tasks_;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
  std::thread thread_;
};

}  // namespace spate::engine
