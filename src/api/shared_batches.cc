// shared_batches: a small FIFO of encoded pages under one mutex. It holds a few dozen entries,
// so a linear search costs less than hashing would.
#include "api/shared_batches.h"

#include <algorithm>

namespace spate::api {

const shared_batches::entry* shared_batches::lookup(const key& k) const {
  // Newest first: subscribers at the live end ask for what was kept last.
  const auto found = std::find_if(entries_.rbegin(), entries_.rend(),
                                  [&](const entry& e) { return e.k == k; });
  return found == entries_.rend() ? nullptr : &*found;
}

std::shared_ptr<const shared_batches::batch> shared_batches::find(const key& k) {
  std::lock_guard lock(mu_);
  if (const entry* e = lookup(k)) {
    ++hits_;
    return e->page;
  }
  ++misses_;
  return nullptr;
}

void shared_batches::keep(const key& k, std::shared_ptr<const batch> page) {
  const std::size_t size = page->encoded.size() + k.stream.size();
  if (size > max_bytes_ / 4) return;
  std::lock_guard lock(mu_);
  if (lookup(k)) return;  // another reader kept the same page meanwhile
  entries_.emplace_back(k, std::move(page));
  bytes_ += size;
  while (entries_.size() > max_entries_ || bytes_ > max_bytes_) {
    bytes_ -= entries_.front().page->encoded.size() + entries_.front().stream.size();
    entries_.pop_front();
  }
}

std::uint64_t shared_batches::hits() const {
  std::lock_guard lock(mu_);
  return hits_;
}

std::uint64_t shared_batches::misses() const {
  std::lock_guard lock(mu_);
  return misses_;
}

}  // namespace spate::api
