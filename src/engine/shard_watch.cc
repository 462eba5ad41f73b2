// shard_watch: a listener registered on one shard, for as long as the watch lives.
#include "engine/stream_state.h"

#include <algorithm>
#include <utility>

namespace spate::engine {

// --- shard_watch -------------------------------------------------------------------------

shard_watch::shard_watch(std::shared_ptr<registry> registry, shard_listener* listener)
    : registry_(std::move(registry)), listener_(listener) {
  std::lock_guard lock(registry_->mu);
  registry_->listeners.push_back(listener_);
  registry_->count.store(registry_->listeners.size(), std::memory_order_seq_cst);
}

shard_watch::~shard_watch() {
  release();
}

shard_watch::shard_watch(shard_watch&& other) noexcept
    : registry_(std::move(other.registry_)), listener_(std::exchange(other.listener_, nullptr)) {}

shard_watch& shard_watch::operator=(shard_watch&& other) noexcept {
  if (this != &other) {
    release();
    registry_ = std::move(other.registry_);
    listener_ = std::exchange(other.listener_, nullptr);
  }
  return *this;
}

std::uint64_t shard_watch::changes() const {
  return registry_ ? registry_->changes.load(std::memory_order_seq_cst) : 0;
}

void shard_watch::release() {
  if (!registry_) return;
  std::lock_guard lock(registry_->mu);
  auto& list = registry_->listeners;
  if (auto it = std::find(list.begin(), list.end(), listener_); it != list.end()) list.erase(it);
  registry_->count.store(list.size(), std::memory_order_release);
  registry_.reset();
  listener_ = nullptr;
}

}  // namespace spate::engine
