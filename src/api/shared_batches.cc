// shared_batches: a small FIFO of encoded batches under one mutex. It holds a few dozen
// entries, so a linear search costs less than hashing would.
#include "api/shared_batches.h"

#include <algorithm>

namespace spate::api {

std::shared_ptr<const std::string> shared_batches::get(
    const key& k, const std::function<void(std::string&)>& encode) {
  {
    std::lock_guard lock(mu_);
    const auto found = std::find_if(entries_.begin(), entries_.end(),
                                    [&](const auto& entry) { return entry.first == k; });
    if (found != entries_.end()) {
      ++hits_;
      return found->second;
    }
    ++misses_;
  }
  auto made = std::make_shared<std::string>();
  encode(*made);  // outside the lock: the other subscribers' copies go on meanwhile
  std::shared_ptr<const std::string> bytes = std::move(made);
  if (bytes->size() > max_bytes_ / 4) return bytes;

  std::lock_guard lock(mu_);
  if (std::any_of(entries_.begin(), entries_.end(),
                  [&](const auto& entry) { return entry.first == k; })) {
    return bytes;  // another thread kept the same bytes meanwhile
  }
  entries_.emplace_back(k, bytes);
  bytes_ += bytes->size();
  while (entries_.size() > max_entries_ || bytes_ > max_bytes_) {
    bytes_ -= entries_.front().second->size();
    entries_.pop_front();
  }
  return bytes;
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
