// admission: the server-wide queue in front of Kinesis work (decoding a request, validating
// it, running the action up to its hand-off to the group committer), so that overload is
// met with early, fair shedding instead of a queue that grows until clients time out.
//
// At most `max_active` requests run (or are posted to run) at once; the rest wait here in
// arrival order. Each request's wait (its sojourn) is measured when it leaves, and the queue
// is judged as CoDel judges one: when the shortest sojourn over a whole `interval` stayed
// above `target`, the queue is standing, not absorbing a burst, and the server is overloaded.
// Then (adaptive LIFO) the newest waiter is served first, since the oldest are the likeliest
// to belong to clients that have already given up, and a waiter is refused once it has waited
// `overload_wait`; otherwise the queue is FIFO and a waiter is refused after `max_wait`.
// Refused requests are answered 503 ServiceUnavailable, which every AWS SDK retries with
// backoff. A full queue (`max_queue`) refuses at once.
//
// Requests that are not Kinesis work (/healthz, /metrics) never come here: they are answered
// at once, so they stay fast under any load.
//
// Thread safety: submit() and the returned work may run on any thread; one mutex guards the
// queue and the counters (held for a few instructions per request, never while work runs).
#pragma once

#include "server/net.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace spate::server {

struct admission_options {
  std::size_t max_active = 4;  // requests running or posted to run at once
  std::chrono::milliseconds target{50};
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds max_wait{2'000};     // longest wait while not overloaded
  std::chrono::milliseconds overload_wait{500};  // longest wait while overloaded
  std::size_t max_queue = 20'000;
};

class admission {
 public:
  using clock = std::chrono::steady_clock;

  explicit admission(const admission_options& options) : options_(options) {}

  // Runs `work` on `executor` once a slot is free (inline when one is free now), or `refuse`
  // on `executor` when the request is shed. Exactly one of the two runs.
  void submit(session_executor executor, std::function<void()> work, std::function<void()> refuse);

  struct snapshot {
    std::size_t active = 0;
    std::size_t queued = 0;
    bool overloaded = false;
    std::uint64_t admitted = 0;
    std::uint64_t shed = 0;
    std::int64_t last_sojourn_us = 0;
  };
  snapshot stats() const;

 private:
  struct waiter {
    session_executor executor;
    std::function<void()> work;
    std::function<void()> refuse;
    clock::time_point since;
  };

  // Runs work and then hands its slot on.
  void run(std::function<void()> work);
  void release();
  // Under mu_: records one sojourn for the CoDel judgement.
  void observe(clock::duration sojourn, clock::time_point now);

  const admission_options options_;
  mutable std::mutex mu_;
  std::deque<waiter> queue_;                             // guarded by mu_; oldest first
  std::size_t active_ = 0;                               // guarded by mu_
  bool overloaded_ = false;                              // guarded by mu_
  clock::time_point window_end_{};                       // guarded by mu_
  clock::duration window_min_ = clock::duration::max();  // guarded by mu_
  std::uint64_t admitted_ = 0;                           // guarded by mu_
  std::uint64_t shed_ = 0;                               // guarded by mu_
  clock::duration last_sojourn_{};                       // guarded by mu_
};

}  // namespace spate::server
