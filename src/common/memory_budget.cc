// memory_budget: lock-free grants against one limit.
#include "common/memory_budget.h"

namespace spate {

bool memory_budget::take(std::size_t bytes) {
  std::size_t now = used_.load(std::memory_order_relaxed);
  for (;;) {
    if (limit_ != 0 && (bytes > limit_ || now > limit_ - bytes)) {
      refusals_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (used_.compare_exchange_weak(now, now + bytes, std::memory_order_relaxed)) {
      note_peak(now + bytes);
      return true;
    }
  }
}

void memory_budget::add(std::size_t bytes) {
  note_peak(used_.fetch_add(bytes, std::memory_order_relaxed) + bytes);
}

void memory_budget::note_peak(std::size_t now) {
  std::size_t seen = peak_.load(std::memory_order_relaxed);
  while (now > seen && !peak_.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

std::optional<memory_budget::reservation> memory_budget::try_reserve(std::size_t bytes) {
  if (!take(bytes)) return std::nullopt;
  return reservation(this, bytes);
}

memory_budget::reservation memory_budget::charge(std::size_t bytes) {
  add(bytes);
  return reservation(this, bytes);
}

std::size_t memory_budget::available() const {
  if (limit_ == 0) return SIZE_MAX;
  const std::size_t now = used();
  return now >= limit_ ? 0 : limit_ - now;
}

bool memory_budget::reservation::grow(std::size_t more) {
  if (!budget_ || !budget_->take(more)) return false;
  bytes_ += more;
  return true;
}

void memory_budget::reservation::shrink_to(std::size_t bytes) {
  if (!budget_ || bytes >= bytes_) return;
  budget_->give_back(bytes_ - bytes);
  bytes_ = bytes;
}

void memory_budget::reservation::resize(std::size_t bytes) {
  if (!budget_) return;
  if (bytes < bytes_) return shrink_to(bytes);
  budget_->add(bytes - bytes_);
  bytes_ = bytes;
}

void memory_budget::reservation::release() {
  if (budget_ && bytes_) budget_->give_back(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

}  // namespace spate
