// memory_trimmer: gives memory that bursts left free in the allocator back to the system, so
// that RSS falls again after a storm instead of ratcheting up from burst to burst.
//
// glibc keeps freed memory in its arenas for reuse; after a burst of large request bodies the
// process can sit on gigabytes it no longer uses (RSS measured 3.5 -> 5.0 -> 5.9 GB over three
// bursts, 173 MB after one malloc_trim). Two measures:
//   - tune_allocator(), once at start: allocations of 4 MiB or more (the largest request
//     bodies and answers) get mappings of their own, returned whole when freed; fixing the
//     threshold also stops glibc raising it after each large free (its default behaviour).
//     Below that, memory is reused from the heap: a mapping of its own for every 2 MB
//     GetRecords answer was faulted in page by page, every time (a third of GetRecords' CPU).
//     And the heap is shrunk on free only past 16 MiB free at its top: glibc's default of
//     128 KiB made a brk call for about every PutRecords request (3% of the server's CPU),
//     giving back memory the next request took again. The timer below releases both instead;
//   - every `period`, on the control thread (never an I/O thread), if the arenas hold more
//     than `slack` bytes free (and that figure moved since the last trim), malloc_trim(0)
//     releases their pages.
// Trims are counted in /metrics (spate_memory_trims_total) with the resident bytes they
// released (spate_memory_trimmed_bytes_total).
//
// Thread safety: start() and stop() on the server's main I/O thread; the check runs on the
// control thread.
#pragma once

#include "server/net.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace spate::server {

class memory_trimmer {
 public:
  using task_runner = std::function<void(std::function<void()>)>;

  memory_trimmer(net::io_context& timer_context, task_runner run_elsewhere,
                 std::chrono::milliseconds period = std::chrono::seconds(2),
                 std::size_t slack = 32u << 20);

  // Allocator settings for a long-running server; call once, early in main.
  static void tune_allocator();

  void start();
  void stop();

  std::uint64_t trims() const { return trims_.load(std::memory_order_relaxed); }
  std::uint64_t released_bytes() const { return released_.load(std::memory_order_relaxed); }

 private:
  void arm();
  void check();  // on the control thread

  net::steady_timer timer_;
  task_runner run_elsewhere_;
  const std::chrono::milliseconds period_;
  const std::size_t slack_;
  std::atomic<bool> checking_{false};  // one check at a time
  std::atomic<std::uint64_t> trims_{0};
  std::atomic<std::uint64_t> released_{0};
  std::size_t free_at_last_trim_ = 0;  // on the control thread only
  bool stopped_ = false;
};

}  // namespace spate::server
