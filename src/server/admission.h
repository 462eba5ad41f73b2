// admission: the server-wide queue in front of Kinesis work, so that overload is met with
// early, fair shedding instead of a queue that grows until clients time out.
//
// A request holds a slot (a `ticket`) from the moment it may start until its synchronous work
// is done (decoding, validating, the action up to its hand-off to the group committer; not the
// fsync wait). On HTTP/1.1 the slot is taken as soon as the request's header is in, BEFORE its
// body is read: a server past its capacity then reads the bodies of the requests it will
// serve, a few at a time, instead of reading a thousand bodies a slice at a time and finishing
// none (the bodies of waiting requests stay in the kernel: TCP backpressure). HTTP/2 bodies
// arrive multiplexed on one connection, so there the slot is taken once the body is in.
//
// At most `max_active` slots are held at once; the rest wait here in arrival order. Whenever
// a waiter leaves, the wait of the oldest one still there (its sojourn) is measured, and the
// queue is judged as CoDel judges one: when the shortest such wait over a whole `interval`
// stayed above `target`, the queue is standing, not absorbing a burst, and the server is
// overloaded. Then (adaptive
// LIFO) the newest waiter is served first, since the oldest are the likeliest to belong to
// clients that have already given up, and a waiter is refused once it has waited
// `overload_wait`; otherwise the queue is FIFO and a waiter is refused after `max_wait` (a
// timer sees to it even when no slot frees).
// Refused requests are answered 503 ServiceUnavailable, which every AWS SDK retries with
// backoff. A full queue (`max_queue`) refuses at once.
//
// Requests that are not Kinesis work (/healthz, /metrics) never come here: they are answered
// at once, so they stay fast under any load.
//
// Thread safety: submit() may be called from any thread; tickets are released from any
// thread. One mutex guards the queue and the counters (held for a few instructions per
// request, never while work runs).
#pragma once

#include "server/net.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace spate::server {

struct admission_options {
  std::size_t max_active = 64;  // slots held at once (spated: 32 per I/O thread)
  std::chrono::milliseconds target{50};
  std::chrono::milliseconds interval{500};
  std::chrono::milliseconds max_wait{2'000};     // longest wait while not overloaded
  std::chrono::milliseconds overload_wait{500};  // longest wait while overloaded
  std::size_t max_queue = 20'000;
};

class admission {
 public:
  using clock = std::chrono::steady_clock;

  // A held slot; released when destroyed (or moved from and then destroyed).
  class ticket {
   public:
    ticket() = default;
    ticket(ticket&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    ticket& operator=(ticket&& other) noexcept {
      if (this != &other) {
        release();
        gate_ = std::exchange(other.gate_, nullptr);
      }
      return *this;
    }
    ticket(const ticket&) = delete;
    ticket& operator=(const ticket&) = delete;
    ~ticket() { release(); }
    explicit operator bool() const { return gate_ != nullptr; }
    void release() {
      if (auto* gate = std::exchange(gate_, nullptr)) gate->release();
    }

   private:
    friend class admission;
    explicit ticket(admission* gate) : gate_(gate) {}
    admission* gate_ = nullptr;
  };

  explicit admission(const admission_options& options) : options_(options) {}

  // Where the timer runs that sheds waiters past their time even when no slot frees (every
  // slot held by stalled requests); until this is called they are shed as slots free. The
  // timer must go (drop_timer) before that executor's io_context does.
  void run_timer_on(session_executor timers) { sweep_timer_.emplace(timers); }
  void drop_timer() { sweep_timer_.reset(); }

  // Calls `admitted` with a ticket once a slot is free (inline when one is free now, else on
  // `executor`), or `shed` on `executor` when the request is refused. Exactly one of the two
  // runs.
  void submit(session_executor executor, std::function<void(ticket)> admitted,
              std::function<void()> shed);

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
    std::function<void(ticket)> admitted;
    std::function<void()> shed;
    clock::time_point since;
  };

  // A slot is free again: hands it to the next waiter, if any.
  void release();
  // Under mu_: moves the waiters past their time to `out`.
  void take_expired(clock::time_point now, std::vector<waiter>& out);
  // On the timers' executor: waits for the oldest waiter's deadline, then sheds what expired.
  void arm_sweep();
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
  std::optional<net::steady_timer> sweep_timer_;         // on the timers' executor
  bool sweep_armed_ = false;                             // guarded by mu_
};

}  // namespace spate::server
