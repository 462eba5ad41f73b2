// memory_trimmer: mallopt at start, mallinfo2 + malloc_trim on a timer.
#include "server/memory_trimmer.h"

#include <cstdio>
#include <malloc.h>
#include <unistd.h>

namespace spate::server {

memory_trimmer::memory_trimmer(net::io_context& timer_context, task_runner run_elsewhere,
                               std::chrono::milliseconds period, std::size_t slack)
    : timer_(timer_context),
      run_elsewhere_(std::move(run_elsewhere)),
      period_(period),
      slack_(slack) {}

void memory_trimmer::tune_allocator() {
  ::mallopt(M_MMAP_THRESHOLD, 4 << 20);
  ::mallopt(M_TRIM_THRESHOLD, 16 << 20);
}

void memory_trimmer::start() {
  stopped_ = false;
  arm();
}

void memory_trimmer::stop() {
  stopped_ = true;
  timer_.cancel();
}

void memory_trimmer::arm() {
  timer_.expires_after(period_);
  timer_.async_wait([this](beast::error_code ec) {
    if (ec || stopped_) return;
    if (!checking_.exchange(true)) {
      run_elsewhere_([this] {
        check();
        checking_ = false;
      });
    }
    arm();
  });
}

namespace {

std::uint64_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

void memory_trimmer::check() {
  // fordblks: free bytes inside the arenas' heaps (mapped chunks went back when freed). A trim
  // releases their pages but leaves them free in the allocator's books, so it is worth doing
  // again only once that figure has moved.
  const std::size_t free_now = ::mallinfo2().fordblks;
  if (free_now < slack_) return;
  if (trims_ > 0 && free_now + slack_ / 4 > free_at_last_trim_ &&
      free_at_last_trim_ + slack_ / 4 > free_now) {
    return;
  }
  const std::uint64_t before = resident_bytes();
  ::malloc_trim(0);
  const std::uint64_t after = resident_bytes();
  free_at_last_trim_ = free_now;
  trims_.fetch_add(1, std::memory_order_relaxed);
  if (before > after) released_.fetch_add(before - after, std::memory_order_relaxed);
}

}  // namespace spate::server
